"""Sentences people read, such as a refusal's reasons: English as a string, any language on a page.

Pure Python, no Django, like dosing.rules, which builds its reasons with it. A `Text` is a
`str` whose value is the English sentence: what is stored (RefusedAction.reasons,
Prescription.warnings), compared, joined, logged and exported, exactly as before, whatever
language the person who caused it reads. It also keeps its msgid and parameters, so a page can
say it in the reader's language at render time (dosing.wording.say, gettext underneath).

The constructors are named `_` (as modules import Text) and `ngettext` so that makemessages
finds the msgids, as it finds Django's. Parameters are a record's data (names, IDs, numbers,
typed reasons: never translated), dates (`datetime.date`, or `MonthYear` for a month), or
another Text (a phrase translated with its sentence).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping


class MonthYear(datetime.date):
    """The calendar month of a day, in a sentence: "December 2026"."""


def _english(value):
    if isinstance(value, Text):
        return str.__str__(value)
    if isinstance(value, MonthYear):
        return value.strftime("%B %Y")
    if isinstance(value, datetime.date):
        return value.strftime("%-d %b %Y")
    return value


class Text(str):
    msgid: str
    plural: str | None
    count: int | None
    params: Mapping

    def __new__(cls, msgid: str, /, **params) -> Text:
        return cls._make(msgid, None, None, params)

    @classmethod
    def _make(cls, msgid, plural, count, params) -> Text:
        chosen = plural if plural is not None and count != 1 else msgid
        # Without parameters the msgid is the sentence as it is ("70%" needs no escaping).
        english = chosen % {k: _english(v) for k, v in params.items()} if params else chosen
        text = super().__new__(cls, english)
        text.msgid, text.plural, text.count, text.params = msgid, plural, count, dict(params)
        return text

    def __repr__(self) -> str:
        return f"Text({str.__repr__(self)})"


def ngettext(singular: str, plural: str, count: int, /, **params) -> Text:
    """A Text whose wording follows `count` (English: singular for 1); name the count among
    `params` too when the sentence shows it."""
    return Text._make(singular, plural, count, params)
