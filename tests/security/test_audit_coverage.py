"""What the audit trail covers (issue 8, item 5).

Every model of the three apps keeps a simple-history trail (who, when, what changed) unless it
is listed in NO_HISTORY with the reason; a new model without either fails here. Sign-ins and
failed sign-ins are logged with username, address and a UTC time.
"""

import datetime

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.apps import apps
from django.test import Client
from django.urls import reverse
from simple_history.models import registered_models

NO_HISTORY = {
    "registry.CertificationChange": "is itself the audit record of a certification change "
    "(who, when, why, from and to)",
    "dosing.RefusedAction": "is itself the audit record of a refused prescription or dispense",
    "registry.PortalInvitation": "only ever gains timestamps (created with its creator, used, "
    "revoked by a re-send, which is itself a new invitation by its creator)",
    "portal.CalendarFeed": "holds a token hash and created and revoked timestamps; no "
    "clinical data",
    "reminders.Reminder": "is the outbox: its status, attempts, last error and sent time are the "
    "log of its sending (the send log page); it carries no clinical data",
    "reminders.Heartbeat": "records when the periodic heartbeat last ran; no clinical data",
    "clinic.OutcomeCount": "counts of courses for the outcomes report, rebuilt nightly from "
    "records that keep their own history; no patient's data",
    "clinic.OutcomeBuild": "when the outcomes report's counts were last built; no clinical data",
    "accounts.RecoveryCode": "is the hash of one recovery code; its set (RecoveryCodeDevice) "
    "keeps the history (codes replaced, a code used, by whom), and a history of the hashes "
    "would keep used codes' hashes for good",
    "registry.ImportedPatient": "links a patient to the import that wrote it, written once "
    "in the import's transaction and never changed; the patient and the batch keep histories",
    "registry.RecordAccess": "is itself the audit record of a read (who looked at which "
    "patient's record, when, on what page); append-only, never changed",
}


def project_models():
    for app in ("registry", "dosing", "clinic", "reminders", "portal", "accounts"):
        for model in apps.get_app_config(app).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


def test_every_model_keeps_a_history_or_says_why_not(figures):
    tracked = set(registered_models.values())
    models = list(project_models())
    without = {m._meta.label for m in models if m not in tracked}
    assert without == set(NO_HISTORY), (
        "a model without an audit trail: add HistoricalRecords, or a reason to NO_HISTORY"
    )
    assert all(reason.strip() for reason in NO_HISTORY.values())
    figures(
        "Audit: models with a history, or a stated reason (the rest)",
        len(models) - len(without),
        len(models) - len(NO_HISTORY),
    )


def test_the_clinical_records_are_all_tracked():
    tracked = {m._meta.label for m in registered_models.values()}
    assert {
        "registry.Patient",
        "registry.PriorTreatment",
        "registry.PregnancyTest",
        "registry.MonthlyConfirmation",
        "registry.Pharmacy",
        "registry.PharmacyCertification",
        "dosing.TreatmentCourse",
        "dosing.Prescription",
        "dosing.Dispense",
        "clinic.Visit",
        "clinic.CourseFlag",
    } <= tracked


@pytest.mark.django_db
def test_a_sign_in_and_a_failed_sign_in_are_each_logged_with_user_address_and_utc_time(
    nurse, password
):
    def sign_in(pw):
        return Client().post(
            reverse("login"),
            {"username": nurse.username, "password": pw},
            REMOTE_ADDR="203.0.113.7",
        )

    assert sign_in("wrong-password-guess").status_code == 200
    assert sign_in(password).status_code == 302
    failure = AccessFailureLog.objects.get()
    success = AccessLog.objects.get()
    for row in (failure, success):
        assert row.username == nurse.username
        assert row.ip_address == "203.0.113.7"
        assert row.attempt_time.utcoffset() == datetime.timedelta(0)
    assert failure.locked_out is False
