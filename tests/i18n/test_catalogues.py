"""Every Spanish catalogue in the repository is complete and safe to use: each entry translated,
none fuzzy (a fuzzy entry is left out of the .mo, so English would show), every plural form
filled, and each translation carrying exactly the placeholders of its English - a missing or
misspelt %(name)s would raise KeyError on the page, a dropped one would hide a value."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/es/LC_MESSAGES/django.po")
    if not {".venv", "node_modules", ".tools"} & set(path.parts)
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def test_the_catalogues_are_found():
    names = {str(path.relative_to(ROOT)).split("/locale/")[0] for path in CATALOGUES}
    assert {"clinic/portal", "clinic/reminders", "clinic/staff", "registry", "dosing"} <= names


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated_with_its_placeholders(path):
    catalogue = polib.pofile(str(path))
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(3)]
            if not all(forms):
                problems.append(f"plural form missing: {entry.msgid!r}")
                continue
            wanted = placeholders(entry.msgid_plural)
            for form in forms:
                # The singular form may say "one" in words instead of %(count)s.
                if set(placeholders(form)) - set(wanted):
                    problems.append(f"unknown placeholder: {entry.msgid!r} -> {form!r}")
        else:
            if not entry.msgstr:
                problems.append(f"untranslated: {entry.msgid!r}")
            elif "python-format" in entry.flags and placeholders(entry.msgstr) != placeholders(
                entry.msgid
            ):
                problems.append(f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}")
    assert problems == []
