"""Figures for the course page's charts: nodule count (baseline and the 70% line) and weight.

The data goes into the page as JSON (json_script) and static/js/course_charts.js draws it
with Chart.js, so no inline script is needed under the CSP.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clinic.monitoring.thresholds import NODULE_FALL_PERCENT, nodules_fell_enough


@dataclass(frozen=True)
class NoduleProgress:
    baseline: int
    latest: int | None
    reduction_percent: Decimal | None  # None without a visit or with a zero baseline

    @property
    def past_70(self) -> bool:
        # The exact comparison the flag makes, not the rounded percentage shown.
        return self.latest is not None and nodules_fell_enough(self.baseline, self.latest)


def nodule_progress(course, visits) -> NoduleProgress:
    baseline = course.baseline_nodule_count
    latest = visits[-1].nodule_count if visits else None
    if latest is None or baseline == 0:
        return NoduleProgress(baseline, latest, None)
    reduction = (Decimal(baseline - latest) * 100 / baseline).quantize(Decimal("0.1"))
    return NoduleProgress(baseline, latest, reduction)


def chart_data(course, visits) -> dict:
    labels = [course.start_date.isoformat()] + [v.visit_date.isoformat() for v in visits]
    return {
        "labels": labels,
        "nodules": [course.baseline_nodule_count] + [v.nodule_count for v in visits],
        "weights": [float(course.baseline_weight_kg)] + [float(v.weight_kg) for v in visits],
        "baseline": course.baseline_nodule_count,
        # A count below this line is a fall of more than 70% (R9).
        "line70": round(course.baseline_nodule_count * (100 - NODULE_FALL_PERCENT) / 100, 1),
    }
