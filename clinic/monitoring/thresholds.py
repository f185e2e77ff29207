"""Clinical thresholds of monitoring, each named once with its rule (docs/CLINICAL_RULES.md).

Python code (the visit, the course page, the lab marks) and the flag run's set-based SQL
(clinic.monitoring.flagging, which passes them as query parameters) read them from here, so
the page and the nightly flag cannot disagree on where a line is.
"""

from __future__ import annotations

from decimal import Decimal

# R20: a PHQ-2 score (0-6) of 3 or more is a positive depression screen.
PHQ2_POSITIVE_AT = 3

# R9: a fall of more than 70% in the nodule count from baseline lets a course stop early.
NODULE_FALL_PERCENT = 70

# R8: the flag that prompts planning the end of a 20-week course.
APPROACHING_WEEK = 18

# A planned follow-up with no visit this many days later is overdue.
FOLLOW_UP_OVERDUE_AFTER_DAYS = 7

# R19: upper reference limits for the labs drawn during a course, (high, very high) by test and
# unit; None where no second line is drawn. Adults, as commonly used in isotretinoin monitoring:
# fasting triglycerides 150 mg/dL (1.7 mmol/L), above 500 mg/dL (5.6 mmol/L) a risk of
# pancreatitis; total cholesterol 200 mg/dL (5.2 mmol/L); ALT and AST 40 U/L, 5x that very
# high. Local laboratories' ranges differ a little; these mark values for a second look.
LAB_LIMITS: dict[tuple[str, str], tuple[Decimal, Decimal | None]] = {
    ("triglycerides", "mg/dL"): (Decimal(150), Decimal(500)),
    ("triglycerides", "mmol/L"): (Decimal("1.7"), Decimal("5.6")),
    ("total_cholesterol", "mg/dL"): (Decimal(200), None),
    ("total_cholesterol", "mmol/L"): (Decimal("5.2"), None),
    ("alt", "U/L"): (Decimal(40), Decimal(200)),
    ("ast", "U/L"): (Decimal(40), Decimal(200)),
}


def nodules_fell_enough(baseline: int, count: int) -> bool:
    """R9 in whole numbers, exactly as the flag's SQL: count < 30% of a baseline above 0."""
    return baseline > 0 and 100 * count < (100 - NODULE_FALL_PERCENT) * baseline
