"""pharmacy/rules.py: the label table (R5), ranges (R1), ceiling (R2), capsules (R3), once daily
(R4), cumulative dose (R7) and the 20-week calendar (R8). Pure Python: no database."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosing import rules
from dosing.rules import Formulation, Supply

# R5, verbatim: weight kg -> total mg/day at 0.5, 1 and 2 mg/kg/day.
LABEL_TABLE = {
    40: (20, 40, 80),
    50: (25, 50, 100),
    60: (30, 60, 120),
    70: (35, 70, 140),
    80: (40, 80, 160),
    90: (45, 90, 180),
    100: (50, 100, 200),
}


@pytest.mark.parametrize(("weight", "expected"), LABEL_TABLE.items())
def test_the_label_weight_table_is_reproduced_exactly(weight, expected):
    assert rules.label_daily_doses(weight) == tuple(Decimal(v) for v in expected)
    assert all(isinstance(value, Decimal) for value in rules.label_daily_doses(weight))


@pytest.mark.parametrize(("weight", "expected"), LABEL_TABLE.items())
def test_the_usual_range_and_ceiling_match_the_label_table(weight, expected):
    low, usual_high, ceiling = expected
    found = rules.dose_range(weight, Formulation.CONVENTIONAL)
    assert found.daily_mg == (Decimal(low), Decimal(usual_high))
    assert found.ceiling_daily_mg == Decimal(ceiling)
    assert found.dose_mg == (Decimal(low) / 2, Decimal(usual_high) / 2)


def test_70_kg_conventional_suggests_20_and_30_mg_with_30_as_the_full_dose():
    found = rules.dose_range(70, Formulation.CONVENTIONAL)
    assert [c.mg_per_dose for c in found.candidates] == [20, 30]
    assert [c.mg_per_dose for c in found.candidates if c.is_full_dose] == [30]


def test_70_kg_absorica_suggests_35_mg_as_one_capsule():
    found = rules.dose_range(70, Formulation.ABSORICA)
    full = next(c for c in found.candidates if c.is_full_dose)
    assert (full.mg_per_dose, full.capsules, full.daily_mg_per_kg) == (35, "1 × 35 mg", 1)


def test_absorica_ld_has_its_own_range_and_ceiling():
    found = rules.dose_range(80, Formulation.ABSORICA_LD)
    assert found.daily_mg == (Decimal(32), Decimal(64))
    assert found.ceiling_daily_mg == Decimal(128)
    assert {c.mg_per_dose for c in found.candidates} <= {16, 24, 32}


def test_combinations_are_listed_fewest_capsules_first():
    combos = rules.capsule_combinations(Formulation.CONVENTIONAL, 60)
    assert combos[0] in {(40, 20), (30, 30)}
    assert [len(c) for c in combos] == sorted(len(c) for c in combos)
    assert (20, 20, 20) in combos


@pytest.mark.parametrize(
    ("mg", "per_day", "weight", "formulation", "message"),
    [
        (
            Decimal("70.5"),
            2,
            70,
            "conventional",
            "141 mg/day is 2.02 mg/kg/day for 70 kg; the ceiling is 2 mg/kg/day (140 mg/day)",
        ),
        (
            33,
            2,
            70,
            "conventional",
            "33 mg per dose cannot be made from whole conventional "
            "isotretinoin capsules (10, 20, 30, 40 mg, up to 4 per dose); nearest: 30 mg or 40 mg",
        ),
        (80, 2, 70, "conventional", "160 mg/day is 2.29 mg/kg/day for 70 kg; the ceiling is 2"),
        (20, 2, 40, "absorica_ld", "cannot be made from whole Absorica LD capsules"),
        (56, 2, 70, "absorica_ld", "112 mg/day is 1.6 mg/kg/day"),
        (20, 3, 70, "conventional", "given as two divided doses"),
        (0, 2, 70, "conventional", "more than 0 mg"),
        (30, 2, 20, "conventional", "outside 25 to 250 kg"),
    ],
)
def test_unsafe_or_impossible_regimens_are_refused_with_a_clinical_message(
    mg, per_day, weight, formulation, message
):
    check = rules.check_regimen(mg, per_day, weight, formulation)
    if message.startswith("112 mg/day"):  # exactly at the LD ceiling: allowed, with a warning
        assert check.accepted
        assert message in check.warnings[0]
        return
    assert not check.accepted
    assert any(message in refusal for refusal in check.refusals), check.refusals


def test_the_ceiling_itself_is_allowed_with_a_warning():
    check = rules.check_regimen(70, 2, 70, "conventional")
    assert check.accepted
    assert check.warnings == [
        "140 mg/day is 2 mg/kg/day for 70 kg, above the usual 0.5 to 1 mg/kg/day (R1)."
    ]


def test_once_daily_dosing_is_a_warning_not_a_refusal():
    check = rules.check_regimen(40, 1, 70, "conventional")
    assert check.accepted
    assert any("Once-daily dosing is not recommended" in w for w in check.warnings)


def test_a_usual_regimen_has_no_warnings_and_names_its_capsules():
    check = rules.check_regimen(35, 2, 70, "absorica")
    assert (check.accepted, check.warnings, check.capsules) == (True, [], "1 × 35 mg")
    assert check.summary == "70 mg/day is 1 mg/kg/day for 70 kg"


def test_cumulative_dose_counts_dispensed_supply_against_the_latest_weight():
    supplies = [Supply(Decimal(60), 30), Supply(Decimal(70), 30)]
    assert rules.cumulative_mg(supplies) == Decimal(3900)
    assert rules.cumulative_mg_per_kg(supplies, 65) == Decimal(60)


def test_the_projected_target_date_follows_the_daily_dose():
    as_of = datetime.date(2026, 3, 1)
    # 120 mg/kg at 70 kg = 8,400 mg; 2,100 taken; 6,300 left at 70 mg/day = 90 days.
    day = rules.projected_target_date(
        as_of=as_of, taken_mg=2100, daily_mg=70, target_mg_per_kg=120, weight_kg=70
    )
    assert day == as_of + datetime.timedelta(days=89)
    assert (
        rules.projected_target_date(
            as_of=as_of, taken_mg=9000, daily_mg=70, target_mg_per_kg=120, weight_kg=70
        )
        == as_of
    )
    assert (
        rules.projected_target_date(
            as_of=as_of, taken_mg=0, daily_mg=0, target_mg_per_kg=120, weight_kg=70
        )
        is None
    )


def test_weeks_elapsed_and_left_to_the_20_week_limit():
    start = datetime.date(2026, 1, 5)
    assert rules.week_of_course(start, start) == 1
    assert rules.week_of_course(start, start + datetime.timedelta(days=7)) == 2
    assert rules.weeks_left(start, start) == 20
    assert rules.weeks_left(start, start + datetime.timedelta(days=139)) == 1
    assert rules.twenty_week_limit(start) == datetime.date(2026, 5, 24)
    assert (rules.twenty_week_limit(start) - start).days + 1 == 140


# Properties (hypothesis) ------------------------------------------------------------------

weights = st.decimals(min_value=30, max_value=200, places=1)
formulations = st.sampled_from(list(Formulation))


@given(weights, formulations, st.integers(min_value=1, max_value=200), st.sampled_from([1, 2]))
def test_no_accepted_regimen_is_above_the_ceiling(weight, formulation, mg, per_day):
    check = rules.check_regimen(mg, per_day, weight, formulation)
    ceiling = rules.PRODUCTS[formulation].ceiling_daily_mg_per_kg
    if check.accepted:
        assert Decimal(mg * per_day) <= ceiling * weight


@given(weights, formulations)
def test_every_suggested_combination_sums_to_its_dose(weight, formulation):
    for candidate in rules.dose_range(weight, formulation).candidates:
        assert candidate.combinations
        for combo in candidate.combinations:
            assert sum(combo) == candidate.mg_per_dose
            assert set(combo) <= set(rules.PRODUCTS[formulation].strengths_mg)
        assert rules.check_regimen(candidate.mg_per_dose, 2, weight, formulation).accepted


@given(weights, weights, formulations)
def test_doses_are_monotonic_in_weight(a, b, formulation):
    lighter, heavier = sorted((a, b))
    light, heavy = rules.dose_range(lighter, formulation), rules.dose_range(heavier, formulation)
    assert light.dose_mg[0] <= heavy.dose_mg[0]
    assert light.dose_mg[1] <= heavy.dose_mg[1]
    assert light.ceiling_daily_mg <= heavy.ceiling_daily_mg
    full = [c.mg_per_dose for c in light.candidates if c.is_full_dose]
    full_heavy = [c.mg_per_dose for c in heavy.candidates if c.is_full_dose]
    if full and full_heavy:
        assert full[0] <= full_heavy[0]


def test_rules_import_nothing_from_django():
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(rules.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.split(".")[0] in {"django", "registry", "clinic"} for name in imported)


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "Infinity", "-Infinity", "1e309", "1000.5"])
def test_it_refuses_a_typed_dose_that_is_not_a_usable_number(typed):
    check = rules.check_regimen(Decimal(typed), 2, Decimal(70), "conventional")
    assert not check.accepted
    assert check.refusals
