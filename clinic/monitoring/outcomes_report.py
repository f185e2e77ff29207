"""The outcomes report: the counts of clinic.monitoring.outcomes added up over a range of start
months and, if asked, one prescriber. One grouped query reads them, so the report costs the
same at a hundred patients and at a million.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.monitoring.models import FlagKind, OutcomeBuild, OutcomeCount
from clinic.monitoring.models.visits import SideEffect
from clinic.monitoring.outcomes import OTHER, POSITIVE_TEST, SIDE_EFFECTS, WITHDRAWAL
from dosing.models import TreatmentCourse

Status = TreatmentCourse.Status
# Lazy: said in the reader's language on the page, in English in the CSV (written under
# clinic.staff.exports' English).
WHY_LABELS = {
    POSITIVE_TEST: gettext_lazy("Positive pregnancy test (R18)"),
    WITHDRAWAL: gettext_lazy("Withdrawn from the registry"),
    OTHER: gettext_lazy("Other reason (the prescriber's)"),
}
# Cumulative mg/kg at the end, in the bins a prescriber reads against R7's 120 to 150.
DOSE_BINS = [(0, 60), (60, 90), (90, 120), (120, 150), (150, 180), (180, None)]


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The value below which `share` of the counted items lie (nearest rank), exact at the
    histogram's grain; None for an empty one."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(round(total * share, 9)))  # rounded first: 10 x 0.9 is 9, not 9.0...1
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


@dataclass
class Bar:
    label: str
    count: int
    share: float  # of the report's denominator, 0..1


@dataclass
class FlagWait:
    kind: str
    label: str
    acknowledged: int
    still_open: int
    median_hours: int | None
    p90_hours: int | None


@dataclass
class OutcomesReport:
    first_month: datetime.date
    last_month: datetime.date
    built: OutcomeBuild | None
    statuses: dict[str, int] = field(default_factory=dict)
    discontinued_why: dict[str, int] = field(default_factory=dict)
    fell_days: dict[int, int] = field(default_factory=dict)
    mg_per_kg_end: dict[int, int] = field(default_factory=dict)
    side_effects: dict[str, int] = field(default_factory=dict)
    flag_hours: dict[str, dict[int, int]] = field(default_factory=dict)
    flag_open: dict[str, int] = field(default_factory=dict)

    # The figures ---------------------------------------------------------------------------

    @property
    def started(self) -> int:
        return sum(self.statuses.values())

    def status(self, status: str) -> int:
        return self.statuses.get(status, 0)

    @property
    def fell_70(self) -> int:
        return sum(self.fell_days.values())

    @property
    def fell_70_share(self) -> float | None:
        return self.fell_70 / self.started if self.started else None

    @property
    def median_weeks_to_fall(self) -> float | None:
        days = percentile(self.fell_days, 0.5)
        return None if days is None else round(days / 7, 1)

    @property
    def median_mg_per_kg_end(self) -> int | None:
        return percentile(self.mg_per_kg_end, 0.5)

    def status_bars(self) -> list[Bar]:
        return self._bars([(label, self.status(value)) for value, label in Status.choices])

    def why_bars(self) -> list[Bar]:
        return self._bars([(WHY_LABELS[w], self.discontinued_why.get(w, 0)) for w in WHY_LABELS])

    def dose_bars(self) -> list[Bar]:
        ended = sum(self.mg_per_kg_end.values())
        bars = []
        for low, high in DOSE_BINS:
            count = sum(
                n for v, n in self.mg_per_kg_end.items() if v >= low and (high is None or v < high)
            )
            label = f"{low}–{high}" if high is not None else _("%(low)s and more") % {"low": low}
            bars.append(Bar(label, count, count / ended if ended else 0.0))
        return bars

    def weeks_to_fall_bars(self) -> list[Bar]:
        weeks: dict[int, int] = defaultdict(int)
        for days, n in self.fell_days.items():
            weeks[days // 7] += n
        top = max([20, *weeks]) if weeks else 20
        return self._bars([(f"{w}", weeks.get(w, 0)) for w in range(top + 1)], of=self.fell_70)

    def side_effect_bars(self) -> list[Bar]:
        labels = dict(SideEffect.choices)
        rows = [(labels[code], self.side_effects.get(code, 0)) for code in SIDE_EFFECTS]
        return self._bars(sorted(rows, key=lambda row: -row[1]))

    def flag_waits(self) -> list[FlagWait]:
        waits = []
        for kind, label in FlagKind.choices:
            hours = self.flag_hours.get(kind, {})
            still_open = self.flag_open.get(kind, 0)
            if hours or still_open:
                waits.append(
                    FlagWait(
                        kind,
                        label,
                        sum(hours.values()),
                        still_open,
                        percentile(hours, 0.5),
                        percentile(hours, 0.9),
                    )
                )
        return waits

    def _bars(self, rows, *, of: int | None = None) -> list[Bar]:
        denominator = self.started if of is None else of
        return [Bar(label, n, n / denominator if denominator else 0.0) for label, n in rows]


def outcomes_report(
    first_month: datetime.date, last_month: datetime.date, *, prescriber_id: int | None = None
) -> OutcomesReport:
    """The report for the courses that started from `first_month` to `last_month` (first days
    of months, both included), of one prescriber's patients or of all."""
    rows = OutcomeCount.objects.filter(month__gte=first_month, month__lte=last_month)
    if prescriber_id is not None:
        rows = rows.filter(prescriber_id=prescriber_id)
    report = OutcomesReport(
        first_month, last_month, built=OutcomeBuild.objects.order_by("-built_at").first()
    )
    grouped = rows.values("measure", "value").annotate(n=Sum("count")).order_by()
    for row in grouped:
        kind, _, detail = row["measure"].partition(":")
        value, n = row["value"], row["n"]
        if kind == "status":
            report.statuses[detail] = n
        elif kind == "discontinued":
            report.discontinued_why[detail] = n
        elif kind == "fell_days":
            report.fell_days[value] = n
        elif kind == "mg_per_kg_end":
            report.mg_per_kg_end[value] = n
        elif kind == "side_effect":
            report.side_effects[detail] = n
        elif kind == "flag_ack_hours":
            report.flag_hours.setdefault(detail, {})[value] = n
        elif kind == "flag_open":
            report.flag_open[detail] = n
    return report
