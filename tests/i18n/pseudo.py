"""A pseudo-language that shows which words of a page were never marked for translation.

While `marked_translations()` is on, every message Django translates (templates' translate and
blocktranslate, gettext and its lazy, plural and contextual forms, Django's own messages and
month names) comes back wrapped in ⟦ ⟧. What a page or message says outside any ⟦ ⟧ was never
handed to gettext, so no translator could ever put it in Spanish: `unmarked_words` finds it.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

from django.utils import translation

OPEN, CLOSE = "⟦", "⟧"
WORD = re.compile(r"[^\W\d_]{2,}")
# What a page may show as it is, in any language: the product's name, the languages' own
# names in the language switch, units of measure.
ALWAYS_AS_IS = ("IsoCourse", "English", "Español", "mg/kg", "mg", "kg")


def _wrap(text):
    return f"{OPEN}{text}{CLOSE}"


@contextlib.contextmanager
def marked_translations(monkeypatch, language: str = "es"):
    trans = translation._trans
    real = {name: getattr(trans, name) for name in ("gettext", "ngettext", "pgettext", "npgettext")}
    monkeypatch.setattr(trans, "gettext", lambda message: _wrap(real["gettext"](message)))
    monkeypatch.setattr(
        trans, "ngettext", lambda s, p, n: _wrap(real["ngettext"](s, p, n))
    )
    monkeypatch.setattr(
        trans, "pgettext", lambda context, message: _wrap(real["pgettext"](context, message))
    )
    monkeypatch.setattr(
        trans,
        "npgettext",
        lambda context, s, p, n: _wrap(real["npgettext"](context, s, p, n)),
    )
    # The navigation bar's HTML is kept per language (clinic/accounts/navigation.py): a copy
    # written outside the pseudo-language would hide its labels from the check.
    from clinic.accounts.navigation import _html

    _html.cache_clear()
    try:
        with translation.override(language):
            yield
    finally:
        _html.cache_clear()


class _VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes (not script or style) and the attributes
    read aloud or shown (title, alt, placeholder, aria-label, a button's value)."""

    SPOKEN = ("title", "alt", "placeholder", "aria-label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attrs = dict(attrs)
        for name in self.SPOKEN:
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.chunks.append(data)


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.chunks


def outside_marks(text: str) -> str:
    """The characters of `text` not inside any ⟦ ⟧ (marks nest: a message within a message)."""
    return _outside(text, 0)[0]


def _outside(text: str, depth: int) -> tuple[str, int]:
    """outside_marks from a depth of marks already open, and the depth at the end."""
    kept = []
    for char in text:
        if char == OPEN:
            depth += 1
            kept.append(" ")
        elif char == CLOSE:
            depth = max(depth - 1, 0)
            kept.append(" ")
        elif depth == 0:
            kept.append(char)
    return "".join(kept), depth


def unmarked_words(chunks, data=()) -> list[str]:
    """Each chunk with words outside the marks, once the record's own data (names, IDs,
    email addresses: never translated) and ALWAYS_AS_IS are taken out."""
    removable = sorted({*data, *ALWAYS_AS_IS}, key=len, reverse=True)
    found = []
    # A message with markup inside it (a link, <strong>) reaches here as several chunks, one
    # per text node: the marks opened in one chunk stay open in the next until closed.
    depth = 0
    for chunk in chunks:
        rest, depth = _outside(chunk, depth)
        for value in removable:
            if value:
                rest = rest.replace(value, " ")
        if WORD.search(rest):
            found.append(" ".join(chunk.split()))
    return found


def unmarked_in_html(html: str, data=()) -> list[str]:
    return unmarked_words(visible_text(html), data)


def assert_all_marked(found: dict[str, list[str]]) -> None:
    """Fail with every page and each of its unmarked chunks, one per line."""
    found = {where: chunks for where, chunks in found.items() if chunks}  # [] is all marked
    if found:
        lines = [f"{where}: {chunk!r}" for where, chunks in found.items() for chunk in chunks]
        raise AssertionError("Words never marked for translation:\n" + "\n".join(lines))
