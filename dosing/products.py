"""Products, capsule strengths and the arithmetic of whole capsules (R3, R5): pure Python.

Split from rules.py, which re-exports every name here, so `rules.capsule_combinations` and the
rest keep working; rules.py holds the checks and the one dispensing decision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from itertools import combinations_with_replacement

from dosing.text import Text as _

MAX_CAPSULES_PER_DOSE = 4  # more is impractical to take and to dispense
LABEL_TABLE_WEIGHTS_KG = (40, 50, 60, 70, 80, 90, 100)
LABEL_TABLE_MG_PER_KG = (Decimal("0.5"), Decimal(1), Decimal(2))


class Formulation(StrEnum):
    CONVENTIONAL = "conventional"
    ABSORICA = "absorica"
    ABSORICA_LD = "absorica_ld"


@dataclass(frozen=True)
class Product:
    label: str  # as it reads in a sentence: "whole {label} capsules" (a Text when translated)
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
        _("conventional isotretinoin"),  # Accutane, Claravis, Amnesteem and generics
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
    try:
        return number(value.quantize(Decimal("0.01"), rounding=ROUND_CEILING))
    except InvalidOperation:  # too large to hold two decimals: an absurd value, said as it is
        return f"{value:.3E}"


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
