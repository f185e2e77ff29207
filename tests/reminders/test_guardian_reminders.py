"""A guardian who receives reminders gets each of the patient's reminders too (issue 17 point 5):
one more row per reminder, addressed to the guardian's email; sent on the guardian's own choice;
greeting the guardian, not the patient; no health details; skipped when the choice or the
address changed. The portal and the staff page say who receives them."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from clinic.reminders.models import Reminder
from clinic.reminders.recipients import (
    GUARDIAN_ADDRESS_CHANGED,
    GUARDIAN_STOPPED,
    NO_GUARDIAN,
)
from clinic.reminders.schedule import schedule_course_end_reminders
from clinic.reminders.sending import WITHDRAWN, send_due_reminders
from dosing import services as dosing_services
from registry.models import Guardian, Patient
from tests.course_fixtures import TODAY
from tests.reminders.test_reminder_sending import assert_no_health_details
from tests.reminders.test_reminders import record_visit as record_visit_on

Kind, Status = Reminder.Kind, Reminder.Status
D = datetime.timedelta


def give_guardian(patient, *, receives=True, email="dana.okoro@example.org"):
    return Guardian.objects.create(
        patient=patient,
        full_name="Dana Okoro",
        relation=Guardian.Relation.PARENT,
        email=email,
        consent_given=True,
        consent_on=TODAY,
        receives_reminders=receives,
    )


def record_visit(patient, by, *, follow_up, course=None):
    """What the visit page does, today (tests/reminders/test_reminders.py)."""
    return record_visit_on(patient, by, on=TODAY, follow_up=follow_up, course=course)


def by_recipient(patient) -> dict[str, list[tuple]]:
    written = {}
    for row in Reminder.objects.filter(patient=patient).exclude(status=Status.CANCELLED):
        written.setdefault(row.recipient, []).append((row.kind, row.subject_key, row.due_date))
    return {email: sorted(keys) for email, keys in written.items()}


# Writing rows ---------------------------------------------------------------------------------


def test_each_visit_reminder_is_written_once_more_for_the_guardian(male_patient, nurse):
    give_guardian(male_patient)
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=10))
    written = by_recipient(male_patient)
    assert set(written) == {male_patient.email, "dana.okoro@example.org"}
    assert len(written[male_patient.email]) == 2  # 3 days before and on the day
    assert written["dana.okoro@example.org"] == written[male_patient.email]
    guardian_rows = Reminder.objects.filter(recipient="dana.okoro@example.org")
    assert {row.context.get("to") for row in guardian_rows} == {"guardian"}
    assert not Reminder.objects.filter(recipient=male_patient.email, context__has_key="to")


def test_a_guardian_who_does_not_receive_reminders_gets_no_rows(male_patient, nurse):
    give_guardian(male_patient, receives=False)
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=10))
    assert set(by_recipient(male_patient)) == {male_patient.email}


def test_a_guardian_sharing_the_patients_address_gets_one_row_not_two(male_patient, nurse):
    give_guardian(male_patient, email=male_patient.email.upper())
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=10))
    assert Reminder.objects.filter(patient=male_patient).count() == 2


def test_rescheduling_the_visit_moves_the_guardians_rows_too(male_patient, nurse):
    give_guardian(male_patient)
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=10))
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=20))
    written = by_recipient(male_patient)
    days = {TODAY + D(days=17), TODAY + D(days=20)}
    for email in (male_patient.email, "dana.okoro@example.org"):
        assert {due for _kind, _subject, due in written[email]} == days
    assert Reminder.objects.filter(status=Status.CANCELLED).count() == 4


def test_pick_up_and_month_two_labs_reminders_go_to_the_guardian_too(
    male_patient, start_course, prescribe
):
    give_guardian(male_patient)
    prescribe(start_course(male_patient))
    written = by_recipient(male_patient)
    kinds = {kind for kind, _subject, _due in written["dana.okoro@example.org"]}
    assert kinds == {Kind.PICK_UP_CLOSING, Kind.MONTH_TWO_LABS}
    assert written["dana.okoro@example.org"] == written[male_patient.email]


def test_the_test_after_the_course_is_reminded_to_the_guardian_too(
    female_patient, start_course, prescriber
):
    give_guardian(female_patient)
    course = start_course(female_patient, start_date=TODAY - D(days=30))
    dosing_services.end_course(
        course, by=prescriber, status="completed", reason="Completed", end_date=TODAY
    )
    course.refresh_from_db()
    schedule_course_end_reminders(course)  # again: nothing new
    rows = Reminder.objects.filter(kind=Kind.PREGNANCY_TEST_DUE, subject_key=f"course:{course.pk}")
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(
        [female_patient.email, "dana.okoro@example.org"]
    )


# Sending --------------------------------------------------------------------------------------


@pytest.fixture
def due_visit(male_patient, nurse):
    """A minor's follow-up reminders, written as the visit page does, now due."""
    Patient.objects.filter(pk=male_patient.pk).update(first_name="Kit")
    give_guardian(male_patient)
    record_visit(male_patient, nurse, follow_up=TODAY + D(days=10))
    first_due = Reminder.objects.order_by("due_at").first().due_at
    return male_patient, first_due + D(minutes=1)


def test_the_guardian_is_greeted_by_name_and_the_message_carries_no_health_details(due_visit):
    patient, now = due_visit
    Patient.objects.filter(pk=patient.pk).update(
        reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    run = send_due_reminders(now=now)
    assert run.sent == 2
    messages = {message.to[0]: message for message in mail.outbox}
    to_guardian = messages["dana.okoro@example.org"]
    assert "Hello Dana Okoro," in to_guardian.body
    assert "Hello Kit" not in to_guardian.body  # not the patient's name addressed to the guardian
    # Whose appointment it is, by the patient's first name only.
    assert "You receive this message as Kit's guardian" in to_guardian.body
    assert "You receive this message as Kit&rsquo;s guardian" in to_guardian.alternatives[0][0]
    assert "Hello Dana Okoro," in to_guardian.alternatives[0][0]
    assert "Hello Kit," in messages[patient.email].body
    assert "guardian" not in messages[patient.email].body
    assert_no_health_details(to_guardian.subject, to_guardian.body, to_guardian.alternatives[0][0])
    assert to_guardian.subject == messages[patient.email].subject  # the same reminder


def test_the_guardians_copy_goes_even_when_the_patient_did_not_consent(due_visit):
    patient, now = due_visit  # the factory's patient has not consented to reminders
    run = send_due_reminders(now=now)
    assert (run.sent, run.skipped) == (1, 1)
    assert [message.to for message in mail.outbox] == [["dana.okoro@example.org"]]
    assert Reminder.objects.get(recipient=patient.email, status=Status.SKIPPED).last_error == (
        "no reminder consent"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda p: Guardian.objects.filter(patient=p).update(receives_reminders=False),
            GUARDIAN_STOPPED,
        ),
        (
            lambda p: Guardian.objects.filter(patient=p).update(email="new@example.org"),
            GUARDIAN_ADDRESS_CHANGED,
        ),
        (lambda p: Guardian.objects.filter(patient=p).delete(), NO_GUARDIAN),
        (
            lambda p: Patient.objects.filter(pk=p.pk).update(status=Patient.Status.WITHDRAWN),
            WITHDRAWN,
        ),
    ],
    ids=["stopped", "address changed", "guardian removed", "patient withdrawn"],
)
def test_the_guardians_copy_is_skipped_with_the_reason_when_things_changed(
    due_visit, change, reason
):
    patient, now = due_visit
    change(patient)
    send_due_reminders(now=now)
    row = Reminder.objects.get(recipient="dana.okoro@example.org", due_at__lte=now)
    assert (row.status, row.last_error) == (Status.SKIPPED, reason)
    assert mail.outbox == []


# In words ------------------------------------------------------------------------------------


def test_the_portal_says_the_reminders_go_to_the_patient_and_the_guardian(client, patient):
    record = patient.patient
    Patient.objects.filter(pk=record.pk).update(
        reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    give_guardian(record)
    client.force_login(patient)
    html = client.get(reverse("portal:reminders")).content.decode()
    assert (
        f"Reminders go to you at {record.email} and to your guardian Dana Okoro (parent) at "
        "dana.okoro@example.org." in html
    )


def test_the_portal_names_the_guardian_alone_when_the_patient_said_no(client, patient):
    give_guardian(patient.patient)
    client.force_login(patient)
    html = client.get(reverse("portal:reminders")).content.decode()
    assert "You will get no reminders." in html
    assert "Reminders go to your guardian Dana Okoro (parent) at dana.okoro@example.org." in html


def test_the_portal_says_nothing_of_a_guardian_who_does_not_receive_them(client, patient):
    give_guardian(patient.patient, receives=False)
    client.force_login(patient)
    html = client.get(reverse("portal:reminders")).content.decode()
    assert "guardian" not in html
