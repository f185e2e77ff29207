"""Dosing's sentences (dosing.text.Text: refusal reasons, warnings) in the reader's language.

Translated only here, when a page shows them: what dosing stores (RefusedAction.reasons,
Prescription.warnings, void and end reasons) stays the English sentence, stable for the audit
trail and the exports. Anything that is not a Text (a stored reason read back from the database,
a typed reason) is said as it is, unless it is one of the few fixed sentences dosing stores
(services.STORED_SENTENCES), which are translated by their English text.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from dosing.services import STORED_SENTENCES
from dosing.text import MonthYear, Text

# A quantity as dosing writes it ("72.5", "1.43"): said with the language's decimal separator.
DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


def say(text):
    """`text` in the active language (a Text); anything else as it is, but a stored fixed
    sentence (services.STORED_SENTENCES) is translated too."""
    if not isinstance(text, Text):
        if isinstance(text, str) and text in STORED_SENTENCES:
            return gettext(text)
        return text
    if (translation.get_language() or "en").startswith("en"):
        return str.__str__(text)  # the English sentence, exactly as stored
    if text.plural is not None:
        template = ngettext(text.msgid, text.plural, text.count)
    else:
        template = gettext(text.msgid)
    if not text.params:
        return template
    return template % {name: _in_language(value) for name, value in text.params.items()}


def _in_language(value):
    if isinstance(value, Text) or (isinstance(value, str) and value in STORED_SENTENCES):
        return say(value)
    if isinstance(value, MonthYear):
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value)
    if isinstance(value, str) and DECIMAL.fullmatch(value):
        return formats.number_format(Decimal(value))
    return value


def say_all(texts) -> list[str]:
    return [say(text) for text in texts]
