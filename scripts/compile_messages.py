"""Compile every translation catalogue (locale/<lang>/LC_MESSAGES/django.po) to its .mo.

`make` runs this before the app or the tests start. It is Django's compilemessages without GNU
gettext's msgfmt, which a fresh machine with only Python does not have: polib writes the .mo.
Only catalogues whose .po is newer than their .mo are written. Fuzzy entries are left out, as
msgfmt leaves them out, so a guess nobody checked never reaches a patient.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("clinic", "registry", "dosing")


def catalogues() -> list[Path]:
    found: list[Path] = []
    for source in SOURCES:
        found.extend(sorted((ROOT / source).glob("**/locale/*/LC_MESSAGES/*.po")))
    found.extend(sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")))
    return sorted(set(found))


def compile_catalogue(po_path: Path) -> None:
    catalogue = polib.pofile(str(po_path))
    for entry in catalogue.fuzzy_entries():
        catalogue.remove(entry)
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))


def main() -> int:
    written = 0
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        compile_catalogue(po_path)
        written += 1
    if written:
        print(f"Compiled {written} translation catalogue(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
