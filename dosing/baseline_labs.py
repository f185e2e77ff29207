"""R19 before a course's first prescription: fasting lipids and liver tests on file, or the
prescriber's reason they are not needed. Pure Python, no Django, like dosing.rules, which asks
it from its one decision.

The labs are drawn at visits, which the monitoring app records and dosing never imports, so
the caller passes what is on file as a BaselineLabs value (clinic.monitoring.labs builds it from
the visits). A reason given instead of the labs lets the prescription be written, with the
reason kept among the prescription's warnings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dosing.text import Text as _

# How recent the baseline labs must be, counted back from the first prescription's day.
BASELINE_LABS_WITHIN_DAYS = 30

# What is missing, by (lipids missing, liver tests missing), as it reads in a sentence.
MISSING = {
    (True, True): _(
        "fasting lipids (triglycerides and total cholesterol) and liver tests (ALT and AST)"
    ),
    (True, False): _("fasting lipids (triglycerides and total cholesterol)"),
    (False, True): _("liver tests (ALT and AST)"),
}


@dataclass(frozen=True)
class BaselineLabs:
    """The latest day each panel was drawn (both values of the panel at one visit), if any:
    fasting lipids (triglycerides and total cholesterol) and liver tests (ALT and AST)."""

    lipids_on: datetime.date | None = None
    liver_tests_on: datetime.date | None = None
    not_needed_because: str = ""


def _recent(day: datetime.date | None, on: datetime.date) -> bool:
    return day is not None and 0 <= (on - day).days < BASELINE_LABS_WITHIN_DAYS


def baseline_lab_reasons(
    labs: BaselineLabs | None, on: datetime.date
) -> tuple[list[str], list[str]]:
    """(refusals, warnings) for a course's first prescription written on `on`."""
    labs = labs or BaselineLabs()
    lipids, liver = not _recent(labs.lipids_on, on), not _recent(labs.liver_tests_on, on)
    if not (lipids or liver):
        return [], []
    missing = MISSING[lipids, liver]
    reason = " ".join(labs.not_needed_because.split())
    if reason:
        return [], [
            _(
                "Baseline labs not on file (%(missing)s): %(reason)s (R19).",
                missing=missing,
                reason=reason,
            )
        ]
    since = on - datetime.timedelta(days=BASELINE_LABS_WITHIN_DAYS - 1)
    return [
        _(
            "A course's first prescription needs baseline %(missing)s drawn since %(day)s "
            "(R19). Record them at a visit, or give the reason they are not needed.",
            missing=missing,
            day=since,
        )
    ], []
