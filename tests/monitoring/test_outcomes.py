"""The outcomes report (issue 17, point 3) against a fixture counted by hand: five courses made
through the services on their days, counted by clinic.monitoring.outcomes and read back by
date range and prescriber.

The fixture (2026; prescriber A is dr.okafor, B another prescriber; nodules at each visit):

| course | by | start  | visits: nodules (side effects)        | end                        |
|--------|----|--------|---------------------------------------|----------------------------|
| C1     | A  | 5 Jan  | 20; 10 (dry lips, dry skin); 5 day 57 | stopped early 2 Mar        |
| C2     | A  | 20 Jan | 20; 14 (dry lips)                     | withdrawn 20 Feb           |
| C3     | B  | 10 Feb | 10; 2 on day 29                       | active                     |
| C4     | B  | 1 Apr  | 12; 11                                | stopped at 20 weeks 19 Aug |
| C0     | A  | 2025   | 20 (headache)                         | completed (outside 2026)   |

C1 had one 30-day supply of 30 mg twice a day dispensed on 5 Jan: 1,800 mg over 70 kg is
25.7 mg/kg, counted as 25. C2 and C4 had nothing dispensed: 0 mg/kg. C3's 70% flag was
raised at 10:00 and acknowledged at 16:30 (6 whole hours); C4 has an open 20-week flag.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring.models import CourseFlag, FlagKind, OutcomeCount
from clinic.monitoring.outcomes import build_outcome_counts
from clinic.monitoring.outcomes_report import outcomes_report, percentile
from clinic.monitoring.services import record_visit
from dosing import services as dosing
from dosing.models import TreatmentCourse
from registry import services as registry_services
from registry.models import Patient, Pharmacist, Pharmacy, PharmacyCertification
from tests.course_fixtures import labs_drawn
from tests.factories import PatientFactory, UserFactory

Status = TreatmentCourse.Status
D = datetime.date
JAN, DEC = D(2026, 1, 1), D(2026, 12, 1)


def at(day, hour=10, minute=0):
    moment = datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone()
    )
    return time_machine.travel(moment, tick=False)


def visit(patient, by, day, nodules, *effects):
    with at(day):
        return record_visit(
            patient,
            by=by,
            visit_date=day,
            weight_kg=Decimal(70),
            nodule_count=nodules,
            side_effects=list(effects),
            phq2_interest=0,
            phq2_mood=0,
            next_follow_up=day + datetime.timedelta(days=28),
        )


def start(prescriber, day, nodules):
    patient = PatientFactory(
        prescriber=prescriber,
        sex=Patient.Sex.MALE,
        risk_category=Patient.RiskCategory.CANNOT_GET_PREGNANT,
        consent_treatment_on=day,
    )
    with at(day):
        course = dosing.start_course(
            patient,
            by=prescriber,
            start_date=day,
            baseline_weight_kg=Decimal(70),
            baseline_nodule_count=nodules,
            formulation="conventional",
        )
    return patient, course


def end(course, by, day, status):
    with at(day, hour=17):
        dosing.end_course(course, by=by, status=status, reason="Planned.", end_date=day)


@pytest.fixture
def pharmacy(registry_admin, pharmacist):
    pharmacy = Pharmacy.objects.create(
        name="Riverside",
        address="1 High St",
        phone="+44 20 7946 0100",
        registration_number="REG-R",
        responsible_pharmacist="P. Nair",
    )
    certification = PharmacyCertification.objects.create(pharmacy=pharmacy, number="C-R")
    certification.certify(by=registry_admin, valid_from=D(2025, 1, 1), valid_until=D(2027, 12, 31))
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    return pharmacy


@pytest.fixture
def clinic(prescriber, nurse, pharmacist, pharmacy):
    other = UserFactory(username="dr.b", first_name="Dr", last_name="B", roles=[Role.PRESCRIBER])
    c1_patient, c1 = start(prescriber, D(2026, 1, 5), 20)
    visit(c1_patient, nurse, D(2026, 1, 5), 20)
    with at(D(2026, 1, 5), hour=11):
        rx = dosing.prescribe(
            c1,
            by=prescriber,
            prescribed_on=D(2026, 1, 5),
            weight_kg=Decimal(70),
            mg_per_dose=30,
            doses_per_day=2,
            days_supply=30,
            baseline_labs=labs_drawn(D(2026, 1, 5)),
        )
        dosing.authorize_dispense(rx, pharmacy=pharmacy, by=pharmacist)
    visit(c1_patient, nurse, D(2026, 2, 2), 10, "dry_lips", "dry_skin")
    visit(c1_patient, nurse, D(2026, 3, 2), 5)
    end(c1, prescriber, D(2026, 3, 2), Status.STOPPED_EARLY)

    c2_patient, c2 = start(prescriber, D(2026, 1, 20), 20)
    visit(c2_patient, nurse, D(2026, 1, 20), 20)
    visit(c2_patient, nurse, D(2026, 2, 17), 14, "dry_lips")
    with at(D(2026, 2, 20)):
        registry_services.change_status(
            c2_patient, Patient.Status.WITHDRAWN, "Moved away.", by=prescriber
        )

    c3_patient, c3 = start(other, D(2026, 2, 10), 10)
    visit(c3_patient, nurse, D(2026, 2, 10), 10)
    visit(c3_patient, nurse, D(2026, 3, 10), 2)
    raised = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)
    CourseFlag.objects.update_or_create(
        course=c3,
        kind=FlagKind.NODULES_DOWN_70,
        defaults={
            "raised_at": raised,
            "acknowledged_at": raised + datetime.timedelta(hours=6, minutes=30),
            "acknowledged_by": other,
        },
    )

    c4_patient, c4 = start(other, D(2026, 4, 1), 12)
    visit(c4_patient, nurse, D(2026, 4, 1), 12)
    visit(c4_patient, nurse, D(2026, 4, 29), 11)
    CourseFlag.objects.create(course=c4, kind=FlagKind.REACHED_20_WEEKS)
    end(c4, other, D(2026, 8, 19), Status.STOPPED_20_WEEKS)

    c0_patient, c0 = start(prescriber, D(2025, 3, 3), 20)
    visit(c0_patient, nurse, D(2025, 3, 3), 20, "headache")
    end(c0, prescriber, D(2025, 7, 1), Status.COMPLETED)
    return {"A": prescriber, "B": other, "courses": (c0, c1, c2, c3, c4)}


def test_the_year_for_every_prescriber_matches_the_hand_count(clinic):
    build = build_outcome_counts()
    assert build.courses == 5
    report = outcomes_report(JAN, DEC)
    assert report.started == 4
    assert {status: report.status(status) for status in Status.values} == {
        "planned": 0,
        "active": 1,
        "completed": 0,
        "stopped_early": 1,
        "stopped_20_weeks": 1,
        "discontinued": 1,
    }
    assert report.discontinued_why == {"withdrawal": 1}
    assert report.fell_days == {56: 1, 28: 1}
    assert report.fell_70_share == 0.5
    assert report.median_weeks_to_fall == 4.0  # nearest rank: the lower of 28 and 56 days
    assert report.mg_per_kg_end == {25: 1, 0: 2}
    assert report.median_mg_per_kg_end == 0
    assert [(b.label, b.count) for b in report.dose_bars()][:2] == [("0–60", 3), ("60–90", 0)]
    assert report.side_effects == {"dry_lips": 2, "dry_skin": 1}
    [lips, skin, *rest] = report.side_effect_bars()
    assert (lips.label, lips.count, lips.share) == ("Dry lips", 2, 0.5)
    assert (skin.label, skin.count, skin.share) == ("Dry skin", 1, 0.25)
    assert all(bar.count == 0 for bar in rest)
    waits = {wait.kind: wait for wait in report.flag_waits()}
    assert waits["nodules_down_70"].acknowledged == 1
    assert waits["nodules_down_70"].median_hours == 6
    assert waits["reached_20_weeks"].still_open == 1
    assert waits["reached_20_weeks"].median_hours is None


def test_by_prescriber_and_by_date_range(clinic):
    build_outcome_counts()
    b = outcomes_report(JAN, DEC, prescriber_id=clinic["B"].pk)
    assert (b.started, b.fell_70, b.side_effects) == (2, 1, {})
    assert b.status("stopped_20_weeks") == 1
    feb_mar = outcomes_report(D(2026, 2, 1), D(2026, 3, 1))
    assert (feb_mar.started, feb_mar.fell_days) == (1, {28: 1})
    last_year = outcomes_report(D(2025, 1, 1), D(2025, 12, 1))
    assert (last_year.started, last_year.side_effects) == (1, {"headache": 1})
    assert outcomes_report(D(2024, 1, 1), D(2024, 12, 1)).started == 0


def test_a_planned_course_is_not_counted_and_a_rebuild_replaces_the_rows(clinic, prescriber):
    build_outcome_counts()
    first = OutcomeCount.objects.count()
    patient = PatientFactory(
        prescriber=prescriber,
        risk_category="cannot_get_pregnant",
        consent_treatment_on=timezone.localdate(),
    )
    dosing.start_course(
        patient,
        by=prescriber,
        start_date=timezone.localdate() + datetime.timedelta(days=10),
        baseline_weight_kg=Decimal(70),
        baseline_nodule_count=8,
        formulation="conventional",
    )
    build_outcome_counts()
    assert OutcomeCount.objects.count() == first
    assert outcomes_report(JAN, DEC).started == 4


@pytest.mark.parametrize(
    ("histogram", "share", "expected"),
    [
        ({}, 0.5, None),
        ({3: 1}, 0.5, 3),
        ({1: 1, 2: 1}, 0.5, 1),
        ({1: 1, 2: 1, 3: 1}, 0.5, 2),
        ({1: 9, 100: 1}, 0.9, 1),
        ({1: 9, 100: 2}, 0.9, 100),
    ],
)
def test_percentile_is_the_nearest_rank(histogram, share, expected):
    assert percentile(histogram, share) == expected
