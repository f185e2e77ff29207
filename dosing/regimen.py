"""Checking a regimen a prescriber types (R1 to R4): pure Python, no Django.

Split from rules.py, which re-exports every name here (`rules.check_regimen`), as it does
products.py's; rules.py holds the one dispensing decision. Numbers and rounding as rules.py
says: exact Decimal checks, messages rounding mg/kg upwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from dosing.products import (
    MAX_CAPSULES_PER_DOSE,
    PRODUCTS,
    Formulation,
    _as_decimal,
    capsule_combinations,
    describe_capsules,
    mg_per_kg_text,
    nearest_makeable_doses,
    number,
)
from dosing.text import Text as _
from dosing.text import ngettext

PLAUSIBLE_WEIGHT_KG = (Decimal(25), Decimal(250))


@dataclass
class RegimenCheck:
    mg_per_dose: Decimal
    doses_per_day: int
    weight_kg: Decimal
    formulation: Formulation
    # Text: English strings that pages can say in the reader's language (dosing.wording).
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    combinations: tuple[tuple[int, ...], ...] = ()
    above_ceiling: bool = False  # one of the refusals is the R2 ceiling

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
        return _("%(daily)s mg/day is %(per_kg)s mg/kg/day for %(weight)s kg", **self._figures)

    @property
    def _figures(self) -> dict[str, str]:
        return {
            "daily": number(self.daily_mg),
            "per_kg": mg_per_kg_text(self.daily_mg_per_kg),
            "weight": number(self.weight_kg),
        }


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
            _(
                "%(weight)s kg is outside %(low)s to %(high)s kg; check the recorded weight.",
                weight=number(weight),
                low=number(low_kg),
                high=number(high_kg),
            )
        )
        return check
    if not mg.is_finite():
        check.refusals.append(_("The dose must be a number of mg."))
        return check
    if mg <= 0:
        check.refusals.append(_("The dose must be more than 0 mg."))
        return check
    if mg > MAX_TYPED_DOSE_MG:
        # Far above any capsule combination; stop before arithmetic on absurd values
        # (1e309 mg once made to_integral_value() raise instead of refusing).
        check.refusals.append(
            _(
                "%(mg)s mg per dose is far above any dose (at most %(most)s mg is checked); "
                "check the number.",
                mg=number(mg),
                most=MAX_TYPED_DOSE_MG,
            )
        )
        return check
    if per_day not in (1, 2):
        check.refusals.append(
            ngettext(
                "%(per_day)s dose a day: isotretinoin is given as two divided doses (R1).",
                "%(per_day)s doses a day: isotretinoin is given as two divided doses (R1).",
                per_day,
                per_day=per_day,
            )
        )
        return check

    ceiling = weight * product.ceiling_daily_mg_per_kg
    if check.daily_mg > ceiling:
        check.above_ceiling = True
        check.refusals.append(
            _(
                "%(daily)s mg/day is %(per_kg)s mg/kg/day for %(weight)s kg; the ceiling is "
                "%(ceiling)s mg/kg/day (%(ceiling_mg)s mg/day) (R2).",
                ceiling=number(product.ceiling_daily_mg_per_kg),
                ceiling_mg=number(ceiling),
                **check._figures,
            )
        )

    if mg != mg.to_integral_value() or not capsule_combinations(formulation, int(mg)):
        below, above = nearest_makeable_doses(formulation, mg)
        strengths = ", ".join(str(s) for s in product.strengths_mg)
        if below is not None and above is not None:
            nearest = _("%(below)s mg or %(above)s mg", below=below, above=above)
        else:
            nearest = " or ".join(f"{d} mg" for d in (below, above) if d is not None)
        check.refusals.append(
            _(
                "%(mg)s mg per dose cannot be made from whole %(product)s capsules "
                "(%(strengths)s mg, up to %(most)s per dose); nearest: %(nearest)s (R3).",
                mg=number(mg),
                product=product.label,
                strengths=strengths,
                most=MAX_CAPSULES_PER_DOSE,
                nearest=nearest,
            )
        )
    else:
        check.combinations = capsule_combinations(formulation, int(mg))

    usual_low, usual_high = product.usual_daily_mg_per_kg
    if not check.refusals and not usual_low <= check.daily_mg_per_kg <= usual_high:
        if check.daily_mg_per_kg < usual_low:
            usual = _(
                "%(daily)s mg/day is %(per_kg)s mg/kg/day for %(weight)s kg, below the usual "
                "%(low)s to %(high)s mg/kg/day (R1).",
                low=number(usual_low),
                high=number(usual_high),
                **check._figures,
            )
        else:
            usual = _(
                "%(daily)s mg/day is %(per_kg)s mg/kg/day for %(weight)s kg, above the usual "
                "%(low)s to %(high)s mg/kg/day (R1).",
                low=number(usual_low),
                high=number(usual_high),
                **check._figures,
            )
        check.warnings.append(usual)
    if per_day == 1:
        check.warnings.append(
            _("Once-daily dosing is not recommended; the label gives two divided doses (R4).")
        )
    return check
