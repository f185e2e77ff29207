"""Registry forms refused (issue 13, point 9): enrolment, edits and status changes write one
refusal row each (through registry.signals.action_refused) and change nothing else; the
helper keeps no secret and no markup; the patient list CSV cannot carry a formula.
"""

import csv
import datetime
import io

from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from clinic.staff.exports import neutralise
from clinic.staff.refusals import refuse_invalid_form
from dosing.models import RefusedAction
from registry.models import Patient
from tests.factories import PatientFactory
from tests.registry.test_enrolment import prior_rows

TODAY = timezone.localdate()


def enrolment(prescriber, **overrides):
    return {
        "first_name": "Maya",
        "last_name": "Lindgren",
        "date_of_birth": "2005-03-14",
        "sex": "female",
        "email": "maya.lindgren@example.org",
        "phone": "+44 20 7946 0011",
        "prescriber": str(prescriber.pk),
        "risk_category": "can_get_pregnant",
        "consent_treatment_on": str(TODAY),
        "notes": "",
        **prior_rows(),
        **overrides,
    }


def records() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and m._meta.label not in ("dosing.RefusedAction", "sessions.Session")
    }


def refused(client, user, url, data) -> RefusedAction:
    client.force_login(user)
    before = records()
    response = client.post(url, data)
    assert response.status_code == 200
    assert records() == before, "a refused form changed a record"
    return RefusedAction.objects.get()


def test_enrolling_a_child_under_12_writes_one_refusal_naming_the_age(client, nurse, prescriber):
    born = datetime.date(TODAY.year - 10, 1, 1)  # 10 years old, whatever today is
    url = reverse("staff:patient-enrol")
    row = refused(client, nurse, url, enrolment(prescriber, date_of_birth=str(born)))
    assert (row.kind, row.user, row.patient) == ("enrol", nurse, None)
    assert len(row.reasons) == 1
    assert row.reasons[0].startswith("Date of birth: Patients must be at least 12 years old")
    assert "makes them 10" in row.reasons[0]
    assert row.details["date_of_birth"] == str(born)
    assert row.details["last_name"] == "Lindgren"
    assert not Patient.objects.exists()


def test_a_duplicate_email_reason_is_plain_text_without_the_link(client, nurse, prescriber):
    existing = PatientFactory(
        email="maya.lindgren@example.org", first_name="Ann", last_name="O'Neil"
    )
    row = refused(client, nurse, reverse("staff:patient-enrol"), enrolment(prescriber))
    assert row.reasons == [
        "Email: This email belongs to Ann O'Neil "
        f"({existing.registry_id}), already in the registry."
    ]


def test_a_refused_earlier_treatment_row_is_named_with_its_values(client, nurse, prescriber):
    data = enrolment(prescriber, **prior_rows(other={"other_text": ""}))
    row = refused(client, nurse, reverse("staff:patient-enrol"), data)
    assert row.reasons == ["Earlier treatment Other, What: Say which other treatment was tried."]
    assert row.details["prior-5-tried"] == "yes"
    assert "prior-0-kind" not in row.details  # rows without errors are not repeated


def test_an_edit_refused_writes_one_refusal_for_the_patient(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber, first_name="Jo")
    url = reverse("staff:patient-edit", args=[patient.pk])
    data = enrolment(prescriber, consent_treatment_on="")
    row = refused(client, nurse, url, data)
    assert (row.kind, row.user, row.patient) == ("edit_patient", nurse, patient)
    assert row.reasons == ["Consent to treatment and registry signed on: This field is required."]
    patient.refresh_from_db()
    assert patient.first_name == "Jo"


def test_a_withdrawal_without_a_reason_writes_one_refusal(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    url = reverse("staff:patient-status", args=[patient.pk])
    row = refused(client, nurse, url, {"status": "withdrawn", "reason": " "})
    assert (row.kind, row.patient) == ("edit_patient", patient)
    assert row.reasons == ["Reason: Give the reason the patient is withdrawn."]
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ENROLLED


class SignInLikeForm(forms.Form):
    username = forms.CharField()
    password = forms.CharField(widget=forms.PasswordInput)
    reset_token = forms.CharField(required=False)
    note = forms.CharField(required=False)
    age = forms.IntegerField(min_value=12)


def test_the_helper_keeps_no_secret_no_nul_and_at_most_100_characters(nurse):
    form = SignInLikeForm(
        {
            "username": "a\x00b",
            "password": "correct horse battery staple",
            "reset_token": "abc123",
            "note": "n" * 300,
            "age": "11",
            "csrfmiddlewaretoken": "secret-csrf",
        }
    )
    assert not form.is_valid()
    refuse_invalid_form(form, kind="enrol", by=nurse)
    row = RefusedAction.objects.get()
    assert row.details == {"username": "ab", "note": "n" * 99 + "…", "age": "11"}
    assert row.reasons == [
        "Username: Null characters are not allowed.",
        "Age: Ensure this value is greater than or equal to 12.",
    ]
    assert "correct horse" not in str(row.details) + str(row.reasons)


def test_non_field_errors_are_reasons_as_they_are(nurse):
    form = SignInLikeForm({"username": "u", "password": "p", "age": "30"})
    assert form.is_valid()
    form.add_error(None, "The patient already has an active course.")
    refuse_invalid_form(form, kind="start_course", by=nurse)
    assert RefusedAction.objects.get().reasons == ["The patient already has an active course."]


def test_formula_starts_are_neutralised_and_other_values_kept():
    for text in ("=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    for value in ("Rivera", "", 12, None, "a=b"):
        assert neutralise(value) == value


def test_the_patient_list_csv_neutralises_a_formula_in_a_name(client, nurse, prescriber):
    PatientFactory(prescriber=prescriber, last_name='=HYPERLINK("http://evil.example")')
    client.force_login(nurse)
    response = client.get("/patients/", {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1].startswith("'=HYPERLINK(")


def test_the_patient_list_exports_only_the_formats_it_offers(client, nurse, prescriber):
    PatientFactory(prescriber=prescriber)
    client.force_login(nurse)
    response = client.get("/patients/", {"_export": "xls"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
