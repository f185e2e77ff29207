"""Dose rules for isotretinoin: pure Python, no Django (DESIGN.md).

Rules from ../shared/PRODUCT.md: R1 usual 0.5 to 1.0 mg/kg/day in two divided doses; R2 never
above 2 mg/kg/day; R3 whole capsules of each product's strengths, Absorica LD (0.4 to 0.8 mg/kg/day,
ceiling 1.6) never substituted mg for mg; R4 once daily is not recommended; R5 the label's weight
table; R7 cumulative target 120 to 150 mg/kg; R8 at most 20 weeks.

Numbers and rounding
- Every quantity is a `Decimal`, computed exactly from its inputs (mg and kg as given); no float
  ever enters a check, so 141 mg at 70 kg is refused because 141 > 140, not because a rounded
  2.01 looked larger than 2.
- Checks compare exact values. Only messages round, and they round mg/kg figures to two
  decimals *upwards* (ROUND_CEILING): a dose just over a limit can never read as equal to it
  ("2.01 mg/kg/day", not "2.00"). Whole-label values (140 mg, 2 mg/kg/day) print without
  trailing zeros.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from functools import cache
from itertools import combinations_with_replacement

MAX_CAPSULES_PER_DOSE = 4  # more is impractical to take and to dispense
COURSE_DAYS_LIMIT = 140  # R8: 20 weeks
COURSE_WEEKS_LIMIT = 20
DEFAULT_TARGET_MG_PER_KG = Decimal(120)  # R7
TARGET_RANGE_MG_PER_KG = (Decimal(120), Decimal(150))
PLAUSIBLE_WEIGHT_KG = (Decimal(25), Decimal(250))
LABEL_TABLE_WEIGHTS_KG = (40, 50, 60, 70, 80, 90, 100)
LABEL_TABLE_MG_PER_KG = (Decimal("0.5"), Decimal(1), Decimal(2))


class Formulation(StrEnum):
    CONVENTIONAL = "conventional"
    ABSORICA = "absorica"
    ABSORICA_LD = "absorica_ld"


@dataclass(frozen=True)
class Product:
    label: str  # as it reads in a sentence: "whole {label} capsules"
    strengths_mg: tuple[int, ...]
    usual_daily_mg_per_kg: tuple[Decimal, Decimal]
    ceiling_daily_mg_per_kg: Decimal

    @property
    def usual_dose_mg_per_kg(self) -> tuple[Decimal, Decimal]:
        """Per dose, given as two divided doses (R1)."""
        low, high = self.usual_daily_mg_per_kg
        return low / 2, high / 2


PRODUCTS: dict[Formulation, Product] = {
    Formulation.CONVENTIONAL: Product(
        "conventional isotretinoin",  # Accutane, Claravis, Amnesteem and generics
        (10, 20, 30, 40),
        (Decimal("0.5"), Decimal("1.0")),
        Decimal(2),
    ),
    Formulation.ABSORICA: Product(
        "Absorica", (10, 20, 25, 30, 35, 40), (Decimal("0.5"), Decimal("1.0")), Decimal(2)
    ),
    Formulation.ABSORICA_LD: Product(
        "Absorica LD", (8, 16, 24, 32), (Decimal("0.4"), Decimal("0.8")), Decimal("1.6")
    ),
}


def number(value: Decimal) -> str:
    """A quantity as people write it: 140, 17.5, 0.86 (no trailing zeros)."""
    text = f"{value.normalize():f}"
    return text


def mg_per_kg_text(value: Decimal) -> str:
    """mg/kg for a message: two decimals at most, rounded up, trailing zeros dropped."""
    return number(value.quantize(Decimal("0.01"), rounding=ROUND_CEILING))


def _as_decimal(value) -> Decimal:
    if isinstance(value, float):
        # Floats carry binary noise (70.1 is 70.09999...); go through their shortest text form.
        value = repr(value)
    return Decimal(value)


# Label table (R5) --------------------------------------------------------------------------


def label_daily_doses(weight_kg) -> tuple[Decimal, Decimal, Decimal]:
    """Total mg/day at 0.5, 1 and 2 mg/kg/day, as the label's table gives them."""
    weight = _as_decimal(weight_kg)
    return tuple(weight * factor for factor in LABEL_TABLE_MG_PER_KG)


# Capsules ----------------------------------------------------------------------------------


@cache
def capsule_combinations(formulation: Formulation, dose_mg: int) -> tuple[tuple[int, ...], ...]:
    """Every way to make `dose_mg` from whole capsules (at most MAX_CAPSULES_PER_DOSE),
    fewest capsules first, then fewest different strengths, then largest capsules first."""
    strengths = sorted(PRODUCTS[Formulation(formulation)].strengths_mg, reverse=True)
    found = []
    for count in range(1, MAX_CAPSULES_PER_DOSE + 1):
        for combo in combinations_with_replacement(strengths, count):
            if sum(combo) == dose_mg:
                found.append(tuple(combo))
    found.sort(key=lambda combo: (len(combo), len(set(combo)), [-c for c in combo]))
    return tuple(found)


def describe_capsules(combo: Iterable[int]) -> str:
    """(40, 30) -> '1 × 40 mg + 1 × 30 mg'."""
    counts: dict[int, int] = {}
    for strength in combo:
        counts[strength] = counts.get(strength, 0) + 1
    return " + ".join(f"{n} × {mg} mg" for mg, n in sorted(counts.items(), reverse=True))


@dataclass(frozen=True)
class CandidateDose:
    mg_per_dose: int
    doses_per_day: int
    daily_mg: int
    daily_mg_per_kg: Decimal
    combinations: tuple[tuple[int, ...], ...]
    is_full_dose: bool = False  # the candidate nearest 1 mg/kg/day (0.8 for Absorica LD)

    @property
    def capsules(self) -> str:
        return describe_capsules(self.combinations[0])


@dataclass(frozen=True)
class DoseRange:
    formulation: Formulation
    weight_kg: Decimal
    dose_mg: tuple[Decimal, Decimal]  # per dose, usual range
    daily_mg: tuple[Decimal, Decimal]  # per day, usual range
    ceiling_daily_mg: Decimal
    candidates: tuple[CandidateDose, ...]


def makeable_doses(formulation: Formulation, up_to_mg: int) -> list[int]:
    return [mg for mg in range(1, up_to_mg + 1) if capsule_combinations(formulation, mg)]


def dose_range(weight_kg, formulation: Formulation | str) -> DoseRange:
    """Usual per-dose and daily ranges, the ceiling, and the capsule doses inside the range."""
    formulation = Formulation(formulation)
    product = PRODUCTS[formulation]
    weight = _as_decimal(weight_kg)
    low, high = (weight * f for f in product.usual_dose_mg_per_kg)
    daily_low, daily_high = (weight * f for f in product.usual_daily_mg_per_kg)
    ceiling = weight * product.ceiling_daily_mg_per_kg
    in_range = [mg for mg in makeable_doses(formulation, math.floor(high)) if mg >= low]
    full = min(in_range, key=lambda mg: (abs(Decimal(mg) - high), -mg)) if in_range else None
    candidates = tuple(
        CandidateDose(
            mg_per_dose=mg,
            doses_per_day=2,
            daily_mg=2 * mg,
            daily_mg_per_kg=Decimal(2 * mg) / weight,
            combinations=capsule_combinations(formulation, mg),
            is_full_dose=mg == full,
        )
        for mg in in_range
    )
    return DoseRange(formulation, weight, (low, high), (daily_low, daily_high), ceiling, candidates)


def nearest_makeable_doses(formulation: Formulation | str, mg) -> tuple[int | None, int | None]:
    """The capsule doses just below and just above `mg` (either may be None)."""
    formulation = Formulation(formulation)
    target = _as_decimal(mg)
    top = max(PRODUCTS[formulation].strengths_mg) * MAX_CAPSULES_PER_DOSE
    doses = makeable_doses(formulation, top)
    below = max((d for d in doses if d < target), default=None)
    above = min((d for d in doses if d > target), default=None)
    return below, above


# Checking a regimen ------------------------------------------------------------------------


@dataclass
class RegimenCheck:
    mg_per_dose: Decimal
    doses_per_day: int
    weight_kg: Decimal
    formulation: Formulation
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    combinations: tuple[tuple[int, ...], ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.refusals

    @property
    def daily_mg(self) -> Decimal:
        return self.mg_per_dose * self.doses_per_day

    @property
    def daily_mg_per_kg(self) -> Decimal:
        return self.daily_mg / self.weight_kg

    @property
    def capsules(self) -> str:
        return describe_capsules(self.combinations[0]) if self.combinations else ""

    @property
    def summary(self) -> str:
        return (
            f"{number(self.daily_mg)} mg/day is {mg_per_kg_text(self.daily_mg_per_kg)} "
            f"mg/kg/day for {number(self.weight_kg)} kg"
        )


MAX_TYPED_DOSE_MG = 1000  # 2 mg/kg/day at 250 kg is 500 mg a dose; anything above is a typo


def check_regimen(mg_per_dose, doses_per_day, weight_kg, formulation) -> RegimenCheck:
    """Refusals (never prescribable) and warnings (prescriber's judgement) for a regimen."""
    formulation = Formulation(formulation)
    product = PRODUCTS[formulation]
    mg = _as_decimal(mg_per_dose)
    weight = _as_decimal(weight_kg)
    per_day = int(doses_per_day)
    check = RegimenCheck(mg, per_day, weight, formulation)

    low_kg, high_kg = PLAUSIBLE_WEIGHT_KG
    if not weight.is_finite() or not low_kg <= weight <= high_kg:
        check.refusals.append(
            f"{number(weight)} kg is outside {number(low_kg)} to {number(high_kg)} kg; check "
            "the recorded weight."
        )
        return check
    if not mg.is_finite():
        check.refusals.append("The dose must be a number of mg.")
        return check
    if mg <= 0:
        check.refusals.append("The dose must be more than 0 mg.")
        return check
    if mg > MAX_TYPED_DOSE_MG:
        # Far above any capsule combination; stop before arithmetic on absurd values
        # (1e309 mg once made to_integral_value() raise instead of refusing).
        check.refusals.append(
            f"{number(mg)} mg per dose is far above any dose (at most {MAX_TYPED_DOSE_MG} mg "
            "is checked); check the number."
        )
        return check
    if per_day not in (1, 2):
        check.refusals.append(
            f"{per_day} doses a day: isotretinoin is given as two divided doses (R1)."
        )
        return check

    ceiling = weight * product.ceiling_daily_mg_per_kg
    if check.daily_mg > ceiling:
        check.refusals.append(
            f"{check.summary}; the ceiling is {number(product.ceiling_daily_mg_per_kg)} "
            f"mg/kg/day ({number(ceiling)} mg/day) (R2)."
        )

    if mg != mg.to_integral_value() or not capsule_combinations(formulation, int(mg)):
        below, above = nearest_makeable_doses(formulation, mg)
        strengths = ", ".join(str(s) for s in product.strengths_mg)
        nearest = " or ".join(f"{d} mg" for d in (below, above) if d is not None)
        check.refusals.append(
            f"{number(mg)} mg per dose cannot be made from whole {product.label} capsules "
            f"({strengths} mg, up to {MAX_CAPSULES_PER_DOSE} per dose); nearest: {nearest} (R3)."
        )
    else:
        check.combinations = capsule_combinations(formulation, int(mg))

    usual_low, usual_high = product.usual_daily_mg_per_kg
    if not check.refusals and not usual_low <= check.daily_mg_per_kg <= usual_high:
        side = "below" if check.daily_mg_per_kg < usual_low else "above"
        check.warnings.append(
            f"{check.summary}, {side} the usual {number(usual_low)} to {number(usual_high)} "
            "mg/kg/day (R1)."
        )
    if per_day == 1:
        check.warnings.append(
            "Once-daily dosing is not recommended; the label gives two divided doses (R4)."
        )
    return check


# Cumulative dose and the course calendar ---------------------------------------------------


@dataclass(frozen=True)
class Supply:
    """What one dispense supplied: the daily dose for a number of days."""

    daily_mg: Decimal
    days: int

    @property
    def total_mg(self) -> Decimal:
        return self.daily_mg * self.days


def cumulative_mg(supplies: Iterable[Supply]) -> Decimal:
    return sum((s.total_mg for s in supplies), Decimal(0))


def cumulative_mg_per_kg(supplies: Iterable[Supply], weight_kg) -> Decimal:
    """Counted against the latest weight (R6), as clinicians track it."""
    return cumulative_mg(supplies) / _as_decimal(weight_kg)


def target_mg(target_mg_per_kg, weight_kg) -> Decimal:
    return _as_decimal(target_mg_per_kg) * _as_decimal(weight_kg)


def projected_target_date(
    *, as_of: datetime.date, taken_mg, daily_mg, target_mg_per_kg, weight_kg
) -> datetime.date | None:
    """The day the course reaches its cumulative target at the current daily dose.

    None when there is no daily dose yet. Counting whole days: the target is reached on the
    last day whose dose brings the total to it.
    """
    daily = _as_decimal(daily_mg)
    if daily <= 0:
        return None
    remaining = target_mg(target_mg_per_kg, weight_kg) - _as_decimal(taken_mg)
    if remaining <= 0:
        return as_of
    days = math.ceil(remaining / daily)
    return as_of + datetime.timedelta(days=days - 1)


def week_of_course(start: datetime.date, day: datetime.date) -> int:
    """Week 1 is days 1 to 7 of the course."""
    return (day - start).days // 7 + 1


def weeks_left(start: datetime.date, day: datetime.date) -> int:
    return max(0, COURSE_WEEKS_LIMIT - (day - start).days // 7)


def twenty_week_limit(start: datetime.date) -> datetime.date:
    """The last day of a 140-day course (R8)."""
    return start + datetime.timedelta(days=COURSE_DAYS_LIMIT - 1)
