"""Writing reminder rows: due times in the clinic's zone, one row per recipient, kind, subject
and day, rescheduling cancels and replaces, and a rolled-back change leaves no row."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic.accounts.roles import Role
from clinic.monitoring.models import Visit
from clinic.reminders.models import Reminder
from clinic.reminders.schedule import (
    one_month_after,
    schedule_certification_expiry_reminders,
    schedule_course_end_reminders,
    schedule_prescription_reminders,
    schedule_visit_reminders,
)
from dosing import services
from dosing.models import Prescription, TreatmentCourse
from registry import services as registry_services
from registry.models import PharmacyCertification, PregnancyTest
from tests.course_fixtures import TODAY
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
Kind, Status = Reminder.Kind, Reminder.Status
D = datetime.date

# 20 March 2027, in the clinic's winter time; British Summer Time starts on 28 March 2027.
NOW = datetime.datetime(2027, 3, 20, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def clinic_clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def record_visit(patient, by, *, on, follow_up, course=None):
    """What the visit page does: the visit and its reminders in one transaction."""
    with transaction.atomic():
        visit = Visit.objects.create(
            patient=patient,
            course=course,
            visit_date=on,
            weight_kg=Decimal(70),
            nodule_count=10,
            phq2_interest=0,
            phq2_mood=0,
            next_follow_up=follow_up,
            recorded_by=by,
        )
        schedule_visit_reminders(visit)
    return visit


def rows(**filters):
    return list(Reminder.objects.filter(**filters).order_by("due_at", "kind"))


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


# Follow-up visits --------------------------------------------------------------------------


def test_follow_up_reminders_are_due_at_8_clinic_time_3_days_before_and_on_the_day(
    male_patient, nurse, clinic_clock
):
    # 27 March is still winter time (08:00 = 08:00 UTC); 30 March is summer time (07:00 UTC).
    visit = record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 30))
    written = rows(patient=male_patient)
    assert [(r.kind, r.due_at, r.due_date) for r in written] == [
        (Kind.FOLLOW_UP_VISIT, utc(2027, 3, 27, 8, 0), D(2027, 3, 27)),
        (Kind.FOLLOW_UP_VISIT, utc(2027, 3, 30, 7, 0), D(2027, 3, 30)),
    ]
    for row in written:
        assert row.due_at.astimezone(LONDON).time() == datetime.time(8, 0)
        assert row.subject_key == f"visit:{visit.pk}"
        assert row.recipient == male_patient.email
        assert row.status == Status.SCHEDULED
        assert row.context == {"visit_on": "2027-03-30"}


def test_the_clinic_zone_setting_decides_the_hour(settings, male_patient, nurse, clinic_clock):
    settings.TIME_ZONE = "America/New_York"
    record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 30))
    assert [r.due_at for r in rows(patient=male_patient)] == [
        utc(2027, 3, 27, 12, 0),  # 08:00 EDT
        utc(2027, 3, 30, 12, 0),
    ]


def test_a_patient_who_can_get_pregnant_gets_test_and_confirmation_reminders_3_days_before(
    female_patient, start_course, nurse, clinic_clock
):
    course = start_course(female_patient, start_date=D(2027, 3, 1))
    visit = record_visit(
        female_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 4, 17), course=course
    )
    written = {(r.kind, r.due_date) for r in rows(patient=female_patient)}
    assert written == {
        (Kind.FOLLOW_UP_VISIT, D(2027, 4, 14)),
        (Kind.FOLLOW_UP_VISIT, D(2027, 4, 17)),
        (Kind.PREGNANCY_TEST_DUE, D(2027, 4, 14)),
        (Kind.MONTHLY_CONFIRMATION, D(2027, 4, 14)),
    }
    test_row = Reminder.objects.get(kind=Kind.PREGNANCY_TEST_DUE)
    assert test_row.due_at == utc(2027, 4, 14, 7, 0)  # 08:00 BST
    assert test_row.subject_key == f"visit:{visit.pk}"
    assert test_row.context == {"visit_on": "2027-04-17", "reason": "visit"}


@pytest.mark.parametrize(
    ("course_start", "expected"),
    [
        (None, {Kind.FOLLOW_UP_VISIT}),
        # A planned course: the test before the first prescription, no monthly confirmation.
        (D(2027, 4, 1), {Kind.FOLLOW_UP_VISIT, Kind.PREGNANCY_TEST_DUE}),
    ],
)
def test_without_an_active_course_there_is_no_monthly_confirmation_reminder(
    female_patient, start_course, nurse, clinic_clock, course_start, expected
):
    if course_start:
        assert start_course(female_patient, start_date=course_start).status == "planned"
    record_visit(female_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 4, 17))
    assert {r.kind for r in rows(patient=female_patient)} == expected


def test_a_reminder_whose_day_has_passed_is_not_written(male_patient, nurse, clinic_clock):
    record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 22))
    assert [r.due_date for r in rows(patient=male_patient)] == [D(2027, 3, 22)]


def test_a_reminder_due_earlier_today_is_written_and_so_goes_out_at_once(
    male_patient, nurse, clinic_clock
):
    record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 23))
    first = rows(patient=male_patient)[0]
    assert first.due_date == D(2027, 3, 20)
    assert first.due_at < clinic_clock


def test_each_reminder_is_written_once_per_recipient_kind_subject_and_day(
    male_patient, nurse, clinic_clock
):
    visit = record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 30))
    schedule_visit_reminders(visit)
    schedule_visit_reminders(visit)
    assert Reminder.objects.filter(patient=male_patient).count() == 2
    # The database itself refuses a second open row with the same key ...
    first = Reminder.objects.filter(patient=male_patient).first()
    duplicate = Reminder(
        kind=first.kind,
        patient=male_patient,
        recipient=first.recipient,
        subject_key=first.subject_key,
        due_at=first.due_at,
        due_date=first.due_date,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    # ... but a cancelled row does not count.
    Reminder.objects.filter(pk=first.pk).update(status=Status.CANCELLED)
    duplicate.save()


def test_a_reminder_already_sent_is_not_written_again(male_patient, nurse, clinic_clock):
    visit = record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 30))
    Reminder.objects.filter(patient=male_patient).update(status=Status.SENT)
    schedule_visit_reminders(visit)
    assert Reminder.objects.filter(patient=male_patient).count() == 2


def test_rescheduling_cancels_the_open_reminders_and_writes_new_ones(
    female_patient, start_course, nurse, clinic_clock
):
    course = start_course(female_patient, start_date=D(2027, 3, 1))
    first = record_visit(
        female_patient, nurse, on=D(2027, 3, 15), follow_up=D(2027, 3, 24), course=course
    )
    # Say its 3-days-before reminders (21 March) went out already: those stay as they are.
    sent = Reminder.objects.filter(subject_key=f"visit:{first.pk}", due_date=D(2027, 3, 21))
    assert sent.count() == 3
    sent.update(status=Status.SENT)
    second = record_visit(
        female_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 4, 12), course=course
    )
    old = rows(subject_key=f"visit:{first.pk}")
    assert {(r.due_date, r.status) for r in old} == {
        (D(2027, 3, 21), Status.SENT),
        (D(2027, 3, 24), Status.CANCELLED),
    }
    cancelled = [r for r in old if r.status == Status.CANCELLED]
    assert cancelled[0].last_error == "Cancelled: the follow-up visit was rescheduled."
    new = rows(subject_key=f"visit:{second.pk}")
    assert {(r.kind, r.due_date, r.status) for r in new} == {
        (Kind.FOLLOW_UP_VISIT, D(2027, 4, 9), Status.SCHEDULED),
        (Kind.FOLLOW_UP_VISIT, D(2027, 4, 12), Status.SCHEDULED),
        (Kind.PREGNANCY_TEST_DUE, D(2027, 4, 9), Status.SCHEDULED),
        (Kind.MONTHLY_CONFIRMATION, D(2027, 4, 9), Status.SCHEDULED),
    }
    assert Reminder.objects.filter(patient=female_patient, status=Status.SCHEDULED).count() == 4


def test_rescheduling_to_the_same_day_leaves_one_set_of_reminders(
    male_patient, nurse, clinic_clock
):
    record_visit(male_patient, nurse, on=D(2027, 3, 19), follow_up=D(2027, 3, 30))
    record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 3, 30))
    open_rows = rows(patient=male_patient, status=Status.SCHEDULED)
    assert [r.due_date for r in open_rows] == [D(2027, 3, 27), D(2027, 3, 30)]


def test_an_older_visit_entered_late_does_not_replace_the_latest_plan(
    male_patient, nurse, clinic_clock
):
    latest = record_visit(male_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 4, 10))
    record_visit(male_patient, nurse, on=D(2027, 3, 1), follow_up=D(2027, 3, 29))
    assert {r.subject_key for r in rows(status=Status.SCHEDULED)} == {f"visit:{latest.pk}"}
    assert not rows(status=Status.CANCELLED)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_visit_leaves_no_reminder(male_patient, nurse, clinic_clock):
    def record_then_fail():
        with transaction.atomic():
            visit = Visit.objects.create(
                patient=male_patient,
                visit_date=D(2027, 3, 20),
                weight_kg=Decimal(70),
                nodule_count=10,
                phq2_interest=0,
                phq2_mood=0,
                next_follow_up=D(2027, 3, 30),
                recorded_by=nurse,
            )
            schedule_visit_reminders(visit)
            assert Reminder.objects.count() == 2  # written inside the transaction ...
            raise RuntimeError("the visit page failed after writing")

    with pytest.raises(RuntimeError):
        record_then_fail()
    assert Reminder.objects.count() == 0  # ... and gone with it
    assert Visit.objects.count() == 0


# Prescriptions ------------------------------------------------------------------------------


def make_prescription(course, prescriber, *, opens, closes):
    return Prescription.objects.create(
        course=course,
        prescribed_on=opens,
        prescribed_by=prescriber,
        weight_kg=Decimal(70),
        mg_per_dose=30,
        formulation=course.formulation,
        capsules_per_dose=[30],
        days_supply=30,
        window_opens=opens,
        window_closes=closes,
    )


def test_a_7_day_window_is_reminded_on_day_5(
    female_patient, start_course, prescriber, clinic_clock
):
    course = start_course(female_patient, start_date=D(2027, 3, 1))
    with transaction.atomic():
        prescription = make_prescription(
            course, prescriber, opens=D(2027, 3, 19), closes=D(2027, 3, 25)
        )
        schedule_prescription_reminders(prescription)
    [row] = rows(kind=Kind.PICK_UP_CLOSING)
    assert row.due_date == D(2027, 3, 23)  # day 1 = 19 March
    assert row.due_at == utc(2027, 3, 23, 8, 0)
    assert row.subject_key == f"prescription:{prescription.pk}"
    assert row.patient == female_patient
    assert row.context == {"window_closes": "2027-03-25"}


def test_a_30_day_window_is_reminded_2_days_before_it_closes(male_patient, start_course, prescribe):
    """Through the real prescribing service, on today's date."""
    course = start_course(male_patient)
    with transaction.atomic():
        prescription = prescribe(course)
        schedule_prescription_reminders(prescription)
    schedule_prescription_reminders(prescription)  # again: nothing new
    [row] = rows(kind=Kind.PICK_UP_CLOSING)
    assert prescription.window_closes == TODAY + datetime.timedelta(days=29)
    assert row.due_date == TODAY + datetime.timedelta(days=27)
    assert row.due_at.astimezone(LONDON).time() == datetime.time(8, 0)


# Course end ---------------------------------------------------------------------------------


def test_one_month_after():
    assert one_month_after(D(2027, 3, 15)) == D(2027, 4, 15)
    assert one_month_after(D(2027, 1, 31)) == D(2027, 2, 28)
    assert one_month_after(D(2028, 1, 30)) == D(2028, 2, 29)
    assert one_month_after(D(2027, 12, 31)) == D(2028, 1, 31)


def test_a_course_ending_writes_the_test_reminder_a_month_after_the_last_dose(
    female_patient, start_course, prescriber, nurse, clinic_clock
):
    course = start_course(female_patient, start_date=D(2027, 3, 1))
    record_visit(female_patient, nurse, on=D(2027, 3, 20), follow_up=D(2027, 4, 17), course=course)
    prescription = make_prescription(
        course, prescriber, opens=D(2027, 3, 19), closes=D(2027, 3, 25)
    )
    schedule_prescription_reminders(prescription)
    with transaction.atomic():
        course = services.end_course(
            course,
            by=prescriber,
            status=TreatmentCourse.Status.DISCONTINUED,
            reason="Patient's choice",
            end_date=D(2027, 3, 20),
        )
        schedule_course_end_reminders(course)
    [row] = rows(kind=Kind.PREGNANCY_TEST_DUE, subject_key=f"course:{course.pk}")
    assert row.due_date == D(2027, 4, 17)  # 3 days before 20 April
    assert row.due_at == utc(2027, 4, 17, 7, 0)
    assert row.context == {"test_on": "2027-04-20", "reason": "course_end"}
    # No monthly confirmation and no pick-up after the course ended; the visit stays.
    assert {r.kind for r in rows(status=Status.CANCELLED)} == {
        Kind.MONTHLY_CONFIRMATION,
        Kind.PICK_UP_CLOSING,
    }
    assert {r.kind for r in rows(status=Status.SCHEDULED)} == {
        Kind.FOLLOW_UP_VISIT,
        Kind.PREGNANCY_TEST_DUE,
    }
    schedule_course_end_reminders(course)
    assert Reminder.objects.filter(subject_key=f"course:{course.pk}").count() == 1


def test_a_course_stopped_by_a_positive_test_gets_no_test_reminder_only_cancellations(
    female_patient, start_course, prescriber, nurse, clinic_clock
):
    course = start_course(female_patient, start_date=D(2027, 3, 1))
    record_visit(female_patient, nurse, on=D(2027, 3, 19), follow_up=D(2027, 4, 17), course=course)
    with transaction.atomic():
        PregnancyTest.objects.create(
            patient=female_patient,
            specimen_date=D(2027, 3, 20),
            result=PregnancyTest.Result.POSITIVE,
            recorded_by=nurse,
        )
        course = services.end_course(
            course,
            by=prescriber,
            status=TreatmentCourse.Status.DISCONTINUED,
            reason="Positive pregnancy test: stopped at once and referred (R18).",
            end_date=D(2027, 3, 20),
        )
        schedule_course_end_reminders(course)
    assert not Reminder.objects.filter(subject_key=f"course:{course.pk}").exists()
    assert [r.kind for r in rows(status=Status.CANCELLED)] == [Kind.MONTHLY_CONFIRMATION]


def test_a_course_ending_for_a_patient_who_cannot_get_pregnant_writes_nothing(
    male_patient, start_course, prescriber, clinic_clock
):
    course = start_course(male_patient, start_date=D(2027, 3, 1))
    course = services.end_course(
        course, by=prescriber, status="completed", reason="Done", end_date=D(2027, 3, 20)
    )
    schedule_course_end_reminders(course)
    assert not Reminder.objects.exists()


# Pharmacy certifications --------------------------------------------------------------------


def set_valid_until(pharmacy, day, status=PharmacyCertification.Status.CERTIFIED):
    PharmacyCertification.objects.filter(pharmacy=pharmacy).update(valid_until=day, status=status)


def test_certifications_ending_within_30_days_are_reminded_to_every_active_registry_admin(
    registry_admin, make_pharmacy
):
    today = D(2027, 3, 20)
    UserFactory(username="second.admin", roles=[Role.REGISTRY_ADMIN])
    UserFactory(username="gone.admin", roles=[Role.REGISTRY_ADMIN], is_active=False)
    UserFactory(username="no.mail", roles=[Role.REGISTRY_ADMIN], email="")
    UserFactory(username="a.nurse", roles=[Role.CLINICAL_STAFF])
    in_30 = make_pharmacy("Thirty")
    in_10 = make_pharmacy("Ten")
    set_valid_until(in_30, D(2027, 4, 19))
    set_valid_until(in_10, D(2027, 3, 30))
    set_valid_until(make_pharmacy("ThirtyOne"), D(2027, 4, 20))
    set_valid_until(make_pharmacy("Expired"), D(2027, 3, 19))
    set_valid_until(make_pharmacy("Suspended"), D(2027, 3, 25), status="suspended")

    assert schedule_certification_expiry_reminders(today=today) == 4
    schedule_certification_expiry_reminders(today=today)  # run twice: nothing new
    written = rows(kind=Kind.CERTIFICATION_EXPIRING)
    assert len(written) == 4
    assert {(r.recipient, r.subject_key, r.due_date) for r in written} == {
        (email, f"pharmacy:{pharmacy.pk}", day)
        for email in ("reg.admin@example.org", "second.admin@example.org")
        for pharmacy, day in ((in_30, D(2027, 3, 20)), (in_10, D(2027, 2, 28)))
    }
    assert all(r.patient is None for r in written)
    row = next(r for r in written if r.subject_key == f"pharmacy:{in_10.pk}")
    assert row.context == {
        "pharmacy": "Ten",
        "certification": "CERT-Ten",
        "valid_until": "2027-03-30",
    }
    # The next night, the certification ending on 20 April comes into the window.
    schedule_certification_expiry_reminders(today=D(2027, 3, 21))
    assert Reminder.objects.count() == 6
    # Renewed: a new end date gets its own reminder 30 days before it.
    set_valid_until(in_10, D(2027, 4, 15))
    schedule_certification_expiry_reminders(today=today)
    assert Reminder.objects.filter(subject_key=f"pharmacy:{in_10.pk}").count() == 4


def test_the_certification_run_is_bounded_whatever_the_number_of_pharmacies(
    registry_admin, make_pharmacy
):
    today = D(2027, 3, 20)
    counts = []
    for number in (2, 8):
        for index in range(number):
            set_valid_until(make_pharmacy(f"P{number}-{index}"), today + datetime.timedelta(5))
        with CaptureQueriesContext(connection) as queries:
            schedule_certification_expiry_reminders(today=today)
        counts.append(len(queries))
        Reminder.objects.all().delete()
    assert counts[0] == counts[1] <= 4


# What dosing announces reaches the outbox (dosing.signals, clinic.reminders.receivers) -------


def test_writing_a_prescription_schedules_its_pick_up_reminder_whoever_calls_the_service(
    male_patient, start_course, prescribe
):
    """No caller passes a callback any more: the service announces, reminders listen."""
    prescription = prescribe(start_course(male_patient))
    [row] = rows(kind=Kind.PICK_UP_CLOSING, status=Status.SCHEDULED)
    assert row.subject_key == f"prescription:{prescription.pk}"


def test_a_replaced_prescription_loses_its_pick_up_reminder_and_the_new_one_gets_its_own(
    male_patient, start_course, prescribe
):
    course = start_course(male_patient)
    first = prescribe(course)
    second = prescribe(course, mg=40)
    first.refresh_from_db()
    assert first.replaced_by == second
    scheduled = rows(kind=Kind.PICK_UP_CLOSING, status=Status.SCHEDULED)
    assert [row.subject_key for row in scheduled] == [f"prescription:{second.pk}"]
    [cancelled] = rows(kind=Kind.PICK_UP_CLOSING, status=Status.CANCELLED)
    assert cancelled.subject_key == f"prescription:{first.pk}"


def test_a_withdrawal_cancels_the_pick_up_reminder_of_what_it_voided(
    male_patient, start_course, prescribe, prescriber
):
    prescription = prescribe(start_course(male_patient))
    registry_services.change_status(male_patient, "withdrawn", "Moved abroad", by=prescriber)
    prescription.refresh_from_db()
    assert prescription.is_voided
    assert rows(kind=Kind.PICK_UP_CLOSING, status=Status.SCHEDULED) == []
