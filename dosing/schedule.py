"""The course schedule: one list of dated entries for staff pages, the patient portal and the
calendar feed, so all three always agree.

Entries: each day's morning and evening dose from the prescription in force, planned visits
every 28 days, pregnancy tests where required, pick-up windows, the 20-week limit and the day
the cumulative target is projected to be reached.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dosing import rules

VISIT_INTERVAL_DAYS = 28
TEST_AFTER_LAST_DOSE_DAYS = 30  # R14: a test one month after the last dose


class Kind(StrEnum):
    DOSE = "dose"
    VISIT = "visit"
    PREGNANCY_TEST = "pregnancy_test"
    PICK_UP = "pick_up"
    LIMIT = "limit"
    TARGET = "target"
    START = "start"


ORDER = {
    Kind.START: 0,
    Kind.PICK_UP: 1,
    Kind.VISIT: 2,
    Kind.PREGNANCY_TEST: 3,
    Kind.DOSE: 4,
    Kind.TARGET: 5,
    Kind.LIMIT: 6,
}


@dataclass(frozen=True)
class Entry:
    date: datetime.date
    kind: Kind
    # Lazy translations (the staff pages, the portal and the calendar each show them in their
    # reader's language).
    title: str | Promise
    detail: str | Promise = ""
    end_date: datetime.date | None = None  # for spans (pick-up windows)
    time_of_day: str = ""  # "morning" / "evening" for doses
    mg: int | None = None
    capsules: str = ""

    def covers(self, day: datetime.date) -> bool:
        return self.date <= day <= (self.end_date or self.date)


@dataclass(frozen=True)
class PlannedSupply:
    """A prescription as the schedule needs it (built from Prescription rows by the caller)."""

    starts: datetime.date  # the dispense day, or the prescription day while not dispensed
    days: int
    mg_per_dose: int
    doses_per_day: int
    capsules: str
    window_opens: datetime.date
    window_closes: datetime.date
    dispensed: bool


def build_schedule(
    *,
    start: datetime.date,
    end: datetime.date | None,
    supplies: Sequence[PlannedSupply],
    needs_pregnancy_tests: bool,
    target_date: datetime.date | None,
) -> list[Entry]:
    limit = rules.twenty_week_limit(start)
    last_day = min(end, limit) if end else limit
    entries: list[Entry] = [Entry(start, Kind.START, _("Course starts"))]
    entries += _doses(supplies, start, last_day)
    visit = start + datetime.timedelta(days=VISIT_INTERVAL_DAYS)
    while visit <= last_day:
        entries.append(Entry(visit, Kind.VISIT, _("Clinic visit"), _("Monthly check-up")))
        if needs_pregnancy_tests:
            entries.append(
                Entry(
                    visit,
                    Kind.PREGNANCY_TEST,
                    _("Pregnancy test"),
                    _("Before the next prescription"),
                )
            )
        visit += datetime.timedelta(days=VISIT_INTERVAL_DAYS)
    if needs_pregnancy_tests:
        entries.append(
            Entry(
                last_day + datetime.timedelta(days=TEST_AFTER_LAST_DOSE_DAYS),
                Kind.PREGNANCY_TEST,
                _("Pregnancy test"),
                _("One month after the last dose"),
            )
        )
    for supply in supplies:
        entries.append(
            Entry(
                supply.window_opens,
                Kind.PICK_UP,
                _("Pick-up window"),
                _("Collect the medicine at a certified pharmacy (collected)")
                if supply.dispensed
                else _("Collect the medicine at a certified pharmacy"),
                end_date=supply.window_closes,
            )
        )
    if end is None or end >= limit:  # a course that ended earlier has no limit ahead of it
        entries.append(
            Entry(limit, Kind.LIMIT, _("20-week limit"), _("The course ends by this day"))
        )
    if target_date and target_date <= limit:
        entries.append(
            Entry(
                target_date,
                Kind.TARGET,
                _("Planned total dose reached"),
                _("Projected from the current dose"),
            )
        )
    entries.sort(key=lambda e: (e.date, ORDER[e.kind], e.time_of_day != "morning"))
    return entries


DOSE_TITLES = {"morning": _("Morning dose"), "evening": _("Evening dose")}
# A dose in a run's summary ("30 mg morning (1 × 30 mg)"), said in the reader's language: the
# summary is shown on the course page only, never stored.
DOSE_IN_SUMMARY = {
    "morning": _("%(mg)s mg morning (%(capsules)s)"),
    "evening": _("%(mg)s mg evening (%(capsules)s)"),
}


def _doses(
    supplies: Iterable[PlannedSupply], start: datetime.date, last_day: datetime.date
) -> list[Entry]:
    """The dose in force each day: a later supply replaces an earlier one from its first day."""
    by_day: dict[datetime.date, PlannedSupply] = {}
    for supply in sorted(supplies, key=lambda s: s.starts):
        for offset in range(supply.days):
            day = supply.starts + datetime.timedelta(days=offset)
            if start <= day <= last_day:
                by_day[day] = supply
    entries = []
    for day in sorted(by_day):
        supply = by_day[day]
        times = ("morning", "evening") if supply.doses_per_day == 2 else ("morning",)
        for time_of_day in times:
            entries.append(
                Entry(
                    day,
                    Kind.DOSE,
                    DOSE_TITLES[time_of_day],
                    f"{supply.mg_per_dose} mg: {supply.capsules}",
                    time_of_day=time_of_day,
                    mg=supply.mg_per_dose,
                    capsules=supply.capsules,
                )
            )
    return entries


def between(entries: Iterable[Entry], first: datetime.date, last: datetime.date) -> list[Entry]:
    return [e for e in entries if e.date <= last and (e.end_date or e.date) >= first]


@dataclass(frozen=True)
class DoseRun:
    first: datetime.date
    last: datetime.date
    summary: str


def dose_runs(entries: Iterable[Entry]) -> list[DoseRun]:
    """Consecutive days with the same doses, collapsed: '30 mg morning + 30 mg evening'."""
    per_day: dict[datetime.date, list[Entry]] = {}
    for entry in entries:
        if entry.kind == Kind.DOSE:
            per_day.setdefault(entry.date, []).append(entry)
    runs: list[DoseRun] = []
    for day in sorted(per_day):
        summary = " + ".join(
            str(DOSE_IN_SUMMARY[e.time_of_day]) % {"mg": e.mg, "capsules": e.capsules}
            for e in per_day[day]
        )
        if runs and runs[-1].summary == summary and runs[-1].last + datetime.timedelta(1) == day:
            runs[-1] = DoseRun(runs[-1].first, day, summary)
        else:
            runs.append(DoseRun(day, day, summary))
    return runs


def daily_mg_on(entries: Iterable[Entry], day: datetime.date) -> Decimal:
    return Decimal(sum(e.mg or 0 for e in entries if e.kind == Kind.DOSE and e.date == day))
