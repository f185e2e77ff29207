"""Reference limits for the labs drawn during a course (R19), to mark values out of range.

Upper limits for adults, as commonly used in isotretinoin monitoring: fasting triglycerides
150 mg/dL (1.7 mmol/L), above 500 mg/dL (5.6 mmol/L) a risk of pancreatitis; total cholesterol
200 mg/dL (5.2 mmol/L); ALT and AST 40 U/L. Local laboratories' ranges differ a little; these
mark values for a second look, they decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LIMITS = {
    ("triglycerides", "mg/dL"): (Decimal(150), Decimal(500)),
    ("triglycerides", "mmol/L"): (Decimal("1.7"), Decimal("5.6")),
    ("total_cholesterol", "mg/dL"): (Decimal(200), None),
    ("total_cholesterol", "mmol/L"): (Decimal("5.2"), None),
    ("alt", "U/L"): (Decimal(40), Decimal(200)),
    ("ast", "U/L"): (Decimal(40), Decimal(200)),
}
LABELS = {
    "triglycerides": "Triglycerides (fasting)",
    "total_cholesterol": "Total cholesterol",
    "alt": "ALT",
    "ast": "AST",
}


@dataclass(frozen=True)
class LabValue:
    name: str
    value: Decimal
    unit: str
    flag: str  # "", "high" or "very high"

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def limit(self) -> Decimal:
        return LIMITS[(self.name, self.unit)][0]


def assess(name: str, value, unit: str) -> LabValue:
    high, very_high = LIMITS[(name, unit)]
    value = Decimal(value)
    flag = ""
    if very_high is not None and value > very_high:
        flag = "very high"
    elif value > high:
        flag = "high"
    return LabValue(name, value, unit, flag)


def labs_of(visit) -> list[LabValue]:
    found = []
    if visit.triglycerides is not None:
        found.append(assess("triglycerides", visit.triglycerides, visit.triglycerides_unit))
    if visit.total_cholesterol is not None:
        found.append(assess("total_cholesterol", visit.total_cholesterol, visit.cholesterol_unit))
    if visit.alt is not None:
        found.append(assess("alt", visit.alt, "U/L"))
    if visit.ast is not None:
        found.append(assess("ast", visit.ast, "U/L"))
    return found
