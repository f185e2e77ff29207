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


# R19 alerts: a value past one of these lines raises a course flag (clinic.monitoring.flagging),
# when the visit is saved and in the nightly run. "Above" means strictly above. The mmol/L lines
# are the mg/dL lines converted (triglycerides 1 mmol/L = 88.57 mg/dL, total cholesterol
# 1 mmol/L = 38.67 mg/dL) and rounded to the 2 decimals the visit form keeps. Sources in
# docs/CLINICAL_RULES.md ("Lab alerts").
# Fasting triglycerides above 800 mg/dL: the prescribing information's level for acute
# pancreatitis; above 500 mg/dL: the commonly used level for acting on the dose.
TRIGLYCERIDES_URGENT_ABOVE = {"mg/dL": Decimal(800), "mmol/L": Decimal("9.03")}
TRIGLYCERIDES_ALERT_ABOVE = {"mg/dL": Decimal(500), "mmol/L": Decimal("5.65")}
# ALT or AST above 3 times the upper reference limit (LAB_LIMITS: 40 U/L), i.e. above 120 U/L.
LIVER_ENZYME_ALERT_TIMES_LIMIT = 3
LIVER_ENZYME_ALERT_ABOVE = LIVER_ENZYME_ALERT_TIMES_LIMIT * LAB_LIMITS[("alt", "U/L")][0]
# Total cholesterol above 300 mg/dL: markedly raised (the high line is 200 mg/dL).
CHOLESTEROL_ALERT_ABOVE = {"mg/dL": Decimal(300), "mmol/L": Decimal("7.76")}


# R19, the labs "commonly around month 2": fasting lipids and liver tests drawn at a visit from
# day 43 of the course (week 7) count; an active course without them is due from day 57
# (week 9) and listed on the worklist.
MONTH_TWO_LABS_FROM_DAY = 43
MONTH_TWO_LABS_DUE_FROM_DAY = 57


def nodules_fell_enough(baseline: int, count: int) -> bool:
    """R9 in whole numbers, exactly as the flag's SQL: count < 30% of a baseline above 0."""
    return baseline > 0 and 100 * count < (100 - NODULE_FALL_PERCENT) * baseline
