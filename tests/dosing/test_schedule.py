"""pharmacy/schedule.py: one list of dated entries for the staff page, portal and calendar."""

import datetime

from dosing import schedule
from dosing.course_data import course_figures
from dosing.schedule import Kind, PlannedSupply
from tests.course_fixtures import TODAY

START = datetime.date(2026, 1, 5)


def supply(starts, days=30, mg=30, per_day=2, dispensed=True):
    return PlannedSupply(
        starts=starts,
        days=days,
        mg_per_dose=mg,
        doses_per_day=per_day,
        capsules=f"1 × {mg} mg",
        window_opens=starts,
        window_closes=starts + datetime.timedelta(days=6),
        dispensed=dispensed,
    )


def build(**kwargs):
    defaults = {
        "start": START,
        "end": None,
        "supplies": [supply(START)],
        "needs_pregnancy_tests": False,
        "target_date": None,
    }
    return schedule.build_schedule(**{**defaults, **kwargs})


def test_each_day_of_supply_has_a_morning_and_an_evening_dose():
    doses = [e for e in build() if e.kind == Kind.DOSE]
    assert len(doses) == 60
    first_day = [e for e in doses if e.date == START]
    assert [(e.time_of_day, e.mg, e.capsules) for e in first_day] == [
        ("morning", 30, "1 × 30 mg"),
        ("evening", 30, "1 × 30 mg"),
    ]
    assert max(e.date for e in doses) == START + datetime.timedelta(days=29)


def test_once_daily_dosing_has_one_entry_a_day():
    doses = [e for e in build(supplies=[supply(START, per_day=1, mg=40)]) if e.kind == Kind.DOSE]
    assert len(doses) == 30
    assert {e.time_of_day for e in doses} == {"morning"}


def test_a_later_prescription_replaces_the_dose_from_its_first_day():
    second = START + datetime.timedelta(days=20)
    entries = build(supplies=[supply(START), supply(second, mg=40)])
    assert schedule.daily_mg_on(entries, second - datetime.timedelta(days=1)) == 60
    assert schedule.daily_mg_on(entries, second) == 80


def test_visits_every_28_days_and_the_20_week_limit():
    entries = build()
    visits = [e.date for e in entries if e.kind == Kind.VISIT]
    assert visits == [START + datetime.timedelta(days=28 * n) for n in range(1, 5)]
    limit = [e for e in entries if e.kind == Kind.LIMIT]
    assert limit[0].date == START + datetime.timedelta(days=139)


def test_pregnancy_tests_only_where_required_including_one_month_after_the_last_dose():
    assert not [e for e in build() if e.kind == Kind.PREGNANCY_TEST]
    tests = [e for e in build(needs_pregnancy_tests=True) if e.kind == Kind.PREGNANCY_TEST]
    assert len(tests) == 5
    assert tests[-1].date == START + datetime.timedelta(days=139 + 30)


def test_pick_up_windows_are_spans():
    window = next(e for e in build() if e.kind == Kind.PICK_UP)
    assert (window.date, window.end_date) == (START, START + datetime.timedelta(days=6))
    assert window.covers(START + datetime.timedelta(days=6))
    assert not window.covers(START + datetime.timedelta(days=7))


def test_an_ended_course_has_no_doses_after_its_end():
    end = START + datetime.timedelta(days=10)
    entries = build(end=end)
    assert max(e.date for e in entries if e.kind == Kind.DOSE) == end


def test_dose_runs_collapse_identical_days():
    second = START + datetime.timedelta(days=30)
    runs = schedule.dose_runs(build(supplies=[supply(START), supply(second, mg=40)]))
    assert [(r.first, r.last) for r in runs] == [
        (START, START + datetime.timedelta(days=29)),
        (second, second + datetime.timedelta(days=29)),
    ]
    assert runs[1].summary == "40 mg morning (1 × 40 mg) + 40 mg evening (1 × 40 mg)"


def test_the_entries_are_in_date_order():
    entries = build(needs_pregnancy_tests=True, target_date=START + datetime.timedelta(days=100))
    assert [e.date for e in entries] == sorted(e.date for e in entries)
    assert any(e.kind == Kind.TARGET for e in entries)


def test_course_figures_count_dispensed_supply_and_project_the_target(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    from dosing import services

    course = start_course(male_patient)
    services.authorize_dispense(prescribe(course, mg=30), pharmacy=make_pharmacy(), by=pharmacist)
    figures = course_figures(course, weight_kg=course.baseline_weight_kg, today=TODAY)
    assert figures.taken_mg == 1800
    assert figures.percent_of_target == 21  # 1,800 of 8,400 mg
    # 6,600 mg left at 60 mg/day = 110 days after the 30 supplied.
    assert figures.target_date == TODAY + datetime.timedelta(days=30 + 110 - 1)
    assert schedule.daily_mg_on(figures.entries, TODAY) == 60
    assert figures.week_number == 1
