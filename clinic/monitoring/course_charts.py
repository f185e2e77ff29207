"""Figures for the course page's charts: nodule count (baseline and the 70% line), weight, and
the labs (R19) with their lines, each a point on the day it was measured.

The data goes into the page as JSON (json_script) and static/js/course_charts.js draws it
with Chart.js on a time axis (visits are not evenly spaced), so no inline script is needed
under the CSP. Lipids drawn in mmol/L are converted to mg/dL for the chart, so one axis and one
set of lines serve both units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clinic.monitoring import thresholds
from clinic.monitoring.thresholds import NODULE_FALL_PERCENT, nodules_fell_enough

# mg/dL in one mmol/L (the same factors as docs/CLINICAL_RULES.md, "Lab alerts").
MG_PER_MMOL = {"triglycerides": Decimal("88.57"), "total_cholesterol": Decimal("38.67")}


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


def _point(day, value) -> dict:
    return {"x": day.isoformat(), "y": float(value)}


def _mg_per_dl(name: str, value, unit: str) -> Decimal:
    value = Decimal(value)
    return value * MG_PER_MMOL[name] if unit == "mmol/L" else value


def lab_series(visits) -> dict:
    """Each lab's points in the order of the visits given, lipids in mg/dL."""
    series = {"triglycerides": [], "total_cholesterol": [], "alt": [], "ast": []}
    for v in visits:
        if v.triglycerides is not None:
            tg = _mg_per_dl("triglycerides", v.triglycerides, v.triglycerides_unit)
            series["triglycerides"].append(_point(v.visit_date, round(tg, 1)))
        if v.total_cholesterol is not None:
            chol = _mg_per_dl("total_cholesterol", v.total_cholesterol, v.cholesterol_unit)
            series["total_cholesterol"].append(_point(v.visit_date, round(chol, 1)))
        if v.alt is not None:
            series["alt"].append(_point(v.visit_date, v.alt))
        if v.ast is not None:
            series["ast"].append(_point(v.visit_date, v.ast))
    return series


# The lines drawn on the lab charts: the upper limits the visit marks use and the alert lines
# that raise flags (clinic.monitoring.thresholds), in mg/dL and U/L.
LAB_LINES = {
    "lipids": [
        ("Triglycerides high (150)", thresholds.LAB_LIMITS[("triglycerides", "mg/dL")][0]),
        ("Triglycerides flag (500)", thresholds.TRIGLYCERIDES_ALERT_ABOVE["mg/dL"]),
        ("Triglycerides urgent flag (800)", thresholds.TRIGLYCERIDES_URGENT_ABOVE["mg/dL"]),
        ("Cholesterol high (200)", thresholds.LAB_LIMITS[("total_cholesterol", "mg/dL")][0]),
        ("Cholesterol flag (300)", thresholds.CHOLESTEROL_ALERT_ABOVE["mg/dL"]),
    ],
    "liver": [
        ("Upper limit (40)", thresholds.LAB_LIMITS[("alt", "U/L")][0]),
        ("Flag: 3 × the limit (120)", thresholds.LIVER_ENZYME_ALERT_ABOVE),
    ],
}


def nodule_chart_data(course, visits) -> dict:
    """The nodule chart's points (the baseline on the start day, then each visit's count) and
    its two lines: what the portal's progress page draws too."""
    return {
        "nodules": [_point(course.start_date, course.baseline_nodule_count)]
        + [_point(v.visit_date, v.nodule_count) for v in visits],
        "baseline": course.baseline_nodule_count,
        # A count below this line is a fall of more than 70% (R9).
        "line70": round(course.baseline_nodule_count * (100 - NODULE_FALL_PERCENT) / 100, 1),
    }


def chart_data(course, visits, earlier=()) -> dict:
    """The course page's charts. `visits`: the course's, by date; `earlier`: visits before the
    course with its baseline labs (R19), shown on the lab charts only."""
    return {
        **nodule_chart_data(course, visits),
        "weights": [_point(course.start_date, course.baseline_weight_kg)]
        + [_point(v.visit_date, v.weight_kg) for v in visits],
        "labs": lab_series([*earlier, *visits]),
        "lab_lines": {
            chart: [{"label": label, "y": float(value)} for label, value in lines]
            for chart, lines in LAB_LINES.items()
        },
    }
