"""Guardians of patients under 18 (issue 17 point 5): the 18th-birthday line, the services'
refusals, the staff form (both sides of the birthday, tampered posts, each message next to its
field), editing (a minor's guardian stays), and the patient page."""

import datetime
import json
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dosing.models import RefusedAction
from registry import services
from registry.guardianship import (
    CONSENT_BEFORE_BIRTH,
    CONSENT_IN_FUTURE,
    NEEDS_CONSENT,
    NEEDS_CONTACT,
    NEEDS_GUARDIAN,
    NEEDS_RELATION,
    REMINDERS_NEED_EMAIL,
    GuardianEntry,
)
from registry.models import Guardian, Patient
from registry.models.guardians import is_minor_on
from tests.conftest import VNU_JAR
from tests.factories import PatientFactory
from tests.registry.test_enrolment import enrolment_fields, prior_rows

TODAY = timezone.localdate()


def born_years_ago(years: int, days_later: int = 0) -> datetime.date:
    """The date of birth of someone who turns `years` today (plus `days_later` days: they
    turn `years` that many days from now)."""
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February today: the birthday counts from 1 March
        day = datetime.date(TODAY.year - years, 3, 1)
    return day + datetime.timedelta(days=days_later)


GUARDIAN = {
    "guardian_full_name": "Dana Okoro",
    "guardian_relation": "parent",
    "guardian_email": "dana.okoro@example.org",
    "guardian_phone": "+44 20 7946 0101",
    "guardian_consent_given": "on",
    "guardian_consent_on": str(TODAY - datetime.timedelta(days=2)),
    "guardian_receives_reminders": "on",
}


def form_data(prescriber, born: datetime.date, **extra) -> dict:
    return {
        **enrolment_fields(prescriber),
        **prior_rows(),
        "first_name": "Kit",
        "last_name": "Okoro",
        "email": "kit.okoro@example.org",
        "date_of_birth": str(born),
        **extra,
    }


def enrol(client, user, data):
    client.force_login(user)
    return client.post(reverse("staff:patient-enrol"), data)


def refused(response, field, message):
    """Shown again with `message` in the error next to `field`; nothing saved."""
    assert response.status_code == 200, response
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    html = response.content.decode().replace("&#x27;", "'")
    # Crispy puts the message in the field's own feedback element, after its input.
    assert f'id="error_1_id_{field}"' in html
    assert message in html
    assert "Nothing was saved" in html


def entry(**overrides) -> GuardianEntry:
    values = {
        "full_name": "Dana Okoro",
        "relation": "parent",
        "email": "dana.okoro@example.org",
        "consent_given": True,
        "consent_on": TODAY,
    }
    return GuardianEntry(**{**values, **overrides})


def details(prescriber, born, **overrides) -> dict:
    return {
        "first_name": "Kit",
        "last_name": "Okoro",
        "date_of_birth": born,
        "sex": Patient.Sex.MALE,
        "email": "kit.okoro@example.org",
        "prescriber": prescriber,
        "risk_category": Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "consent_treatment_on": TODAY,
        **overrides,
    }


# The line: under 18 on the day -------------------------------------------------------------


def test_a_patient_is_a_minor_until_the_day_of_their_18th_birthday():
    born = datetime.date(2008, 12, 6)
    assert is_minor_on(born, datetime.date(2026, 12, 5))
    assert not is_minor_on(born, datetime.date(2026, 12, 6))
    assert not is_minor_on(born, datetime.date(2027, 1, 1))


def test_a_29_february_birthday_makes_an_adult_on_1_march():
    born = datetime.date(2008, 2, 29)
    assert is_minor_on(born, datetime.date(2026, 2, 28))
    assert not is_minor_on(born, datetime.date(2026, 3, 1))


# The services -------------------------------------------------------------------------------


def test_the_service_refuses_a_minor_without_a_guardian(nurse, prescriber):
    with pytest.raises(ValidationError) as refusal:
        services.enrol_patient(by=nurse, **details(prescriber, born_years_ago(15)))
    assert refusal.value.message_dict == {"full_name": [NEEDS_GUARDIAN]}
    assert not Patient.objects.exists()


def test_the_service_refuses_a_minor_whose_guardian_did_not_consent(nurse, prescriber):
    with pytest.raises(ValidationError) as refusal:
        services.enrol_patient(
            by=nurse,
            guardian=entry(consent_given=False, consent_on=None),
            **details(prescriber, born_years_ago(15)),
        )
    assert refusal.value.message_dict == {"consent_given": [NEEDS_CONSENT]}
    assert not Patient.objects.exists()
    assert not Guardian.objects.exists()


def test_the_service_enrols_a_minor_with_a_guardian_and_records_who(nurse, prescriber):
    patient = services.enrol_patient(
        by=nurse, guardian=entry(), **details(prescriber, born_years_ago(15))
    )
    guardian = patient.guardian
    assert (guardian.full_name, guardian.relation, guardian.consent_on) == (
        "Dana Okoro",
        "parent",
        TODAY,
    )
    assert guardian.history.get().history_user == nurse


def test_an_adult_needs_no_guardian(nurse, prescriber):
    patient = services.enrol_patient(by=nurse, **details(prescriber, born_years_ago(18)))
    assert not Guardian.objects.filter(patient=patient).exists()


def test_a_minors_guardian_cannot_be_removed_and_stays_when_left_out(nurse, prescriber):
    patient = services.enrol_patient(
        by=nurse, guardian=entry(), **details(prescriber, born_years_ago(16))
    )
    with pytest.raises(ValidationError) as refusal:
        services.update_patient(patient, by=nurse, guardian=None, notes="x")
    assert refusal.value.message_dict == {"full_name": [NEEDS_GUARDIAN]}
    # Left out: the guardian is not part of the change and stays.
    services.update_patient(patient, by=nurse, notes="Prefers mornings")
    assert Guardian.objects.get(patient=patient).full_name == "Dana Okoro"
    assert Patient.objects.get(pk=patient.pk).notes == "Prefers mornings"


def test_an_adults_guardian_may_be_removed_and_the_history_keeps_it(nurse, prescriber):
    patient = services.enrol_patient(
        by=nurse,
        guardian=entry(relation="legal_guardian"),
        **details(prescriber, born_years_ago(30)),
    )
    services.update_patient(patient, by=nurse, guardian=None)
    assert not Guardian.objects.filter(patient=patient).exists()
    assert [row.history_type for row in Guardian.history.filter(patient_id=patient.pk)] == [
        "-",
        "+",
    ]


def test_the_database_refuses_a_guardian_nobody_can_reach(prescriber):
    patient = PatientFactory(prescriber=prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        Guardian.objects.create(patient=patient, full_name="No Contact", relation="other")


# The staff form: both sides of the 18th birthday -------------------------------------------


def test_a_15_year_old_is_refused_without_a_guardian_with_the_message_next_to_the_field(
    client, nurse, prescriber
):
    response = enrol(client, nurse, form_data(prescriber, born_years_ago(15)))
    refused(response, "guardian_full_name", NEEDS_GUARDIAN)
    assert not Patient.objects.exists()
    refusal = RefusedAction.objects.get()
    assert any(NEEDS_GUARDIAN in reason for reason in refusal.reasons)


def test_a_patient_turning_18_tomorrow_still_needs_a_guardian(client, nurse, prescriber):
    response = enrol(client, nurse, form_data(prescriber, born_years_ago(18, days_later=1)))
    refused(response, "guardian_full_name", NEEDS_GUARDIAN)


def test_a_patient_turning_18_today_is_enrolled_without_one(client, nurse, prescriber):
    response = enrol(client, nurse, form_data(prescriber, born_years_ago(18)))
    assert response.status_code == 302
    assert not Guardian.objects.exists()


def test_a_15_year_old_is_enrolled_with_the_guardian(client, nurse, prescriber):
    response = enrol(client, nurse, form_data(prescriber, born_years_ago(15), **GUARDIAN))
    patient = Patient.objects.get(email="kit.okoro@example.org")
    assert response.status_code == 302
    guardian = patient.guardian
    assert guardian.full_name == "Dana Okoro"
    assert guardian.email == "dana.okoro@example.org"
    assert guardian.consent_given
    assert guardian.receives_reminders
    assert guardian.consent_on == TODAY - datetime.timedelta(days=2)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"guardian_relation": ""}, "guardian_relation", NEEDS_RELATION),
        ({"guardian_relation": "uncle"}, "guardian_relation", "Select a valid choice"),
        ({"guardian_email": "", "guardian_phone": ""}, "guardian_email", NEEDS_CONTACT),
        (
            {"guardian_email": "", "guardian_receives_reminders": "on"},
            "guardian_email",
            REMINDERS_NEED_EMAIL,
        ),
        ({"guardian_consent_given": ""}, "guardian_consent_given", NEEDS_CONSENT),
        ({"guardian_consent_on": ""}, "guardian_consent_on", "the day the guardian signed"),
        (
            {"guardian_consent_on": str(TODAY + datetime.timedelta(days=1))},
            "guardian_consent_on",
            CONSENT_IN_FUTURE,
        ),
        (
            {"guardian_consent_on": str(born_years_ago(15) - datetime.timedelta(days=1))},
            "guardian_consent_on",
            CONSENT_BEFORE_BIRTH,
        ),
        ({"guardian_full_name": "  "}, "guardian_full_name", "full name"),
    ],
    ids=[
        "no relation",
        "an unknown relation",
        "no contact",
        "reminders without email",
        "consent not ticked",
        "no consent date",
        "consent tomorrow",
        "consent before birth",
        "a blank name",
    ],
)
def test_each_guardian_problem_is_refused_next_to_its_field(
    client, nurse, prescriber, change, field, message
):
    data = form_data(prescriber, born_years_ago(15), **{**GUARDIAN, **change})
    refused(enrol(client, nurse, data), field, message)
    assert not Patient.objects.exists()
    assert not Guardian.objects.exists()


def test_a_tampered_post_without_the_guardian_fields_is_refused(client, nurse, prescriber):
    data = form_data(prescriber, born_years_ago(15), **GUARDIAN)
    for name in list(data):
        if name.startswith("guardian_"):
            del data[name]
    refused(enrol(client, nurse, data), "guardian_full_name", NEEDS_GUARDIAN)
    assert not Patient.objects.exists()


def test_guardian_details_for_an_adult_are_accepted_and_saved(client, nurse, prescriber):
    data = form_data(
        prescriber, born_years_ago(25), **{**GUARDIAN, "guardian_relation": "legal_guardian"}
    )
    assert enrol(client, nurse, data).status_code == 302
    assert Patient.objects.get().guardian.relation == "legal_guardian"


# Editing -------------------------------------------------------------------------------------


@pytest.fixture
def minor(nurse, prescriber):
    return services.enrol_patient(
        by=nurse,
        guardian=entry(phone="+44 20 7946 0101"),
        **details(prescriber, born_years_ago(16)),
    )


def edit_data(patient, **guardian) -> dict:
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": str(patient.date_of_birth),
        "sex": patient.sex,
        "email": patient.email,
        "prescriber": str(patient.prescriber_id),
        "risk_category": patient.risk_category,
        "consent_treatment_on": str(patient.consent_treatment_on),
        **prior_rows(),
    }
    return {**data, **guardian}


def test_the_edit_page_shows_the_guardian(client, nurse, minor):
    client.force_login(nurse)
    form = client.get(reverse("staff:patient-edit", args=[minor.pk])).context["form"]
    assert form["guardian_full_name"].value() == "Dana Okoro"
    assert form["guardian_relation"].value() == "parent"


def test_editing_cannot_remove_a_minors_guardian(client, nurse, minor):
    client.force_login(nurse)
    response = client.post(reverse("staff:patient-edit", args=[minor.pk]), edit_data(minor))
    refused(response, "guardian_full_name", NEEDS_GUARDIAN)
    assert Guardian.objects.get(patient=minor).full_name == "Dana Okoro"


def test_editing_updates_the_guardian(client, nurse, minor):
    client.force_login(nurse)
    data = edit_data(
        minor,
        **{**GUARDIAN, "guardian_email": "dana@example.net", "guardian_relation": "other_relative"},
    )
    response = client.post(reverse("staff:patient-edit", args=[minor.pk]), data)
    assert response.status_code == 302
    guardian = Guardian.objects.get(patient=minor)
    assert (guardian.email, guardian.relation) == ("dana@example.net", "other_relative")
    assert guardian.history.first().history_user == nurse


# The patient page ----------------------------------------------------------------------------


def test_the_patient_page_shows_the_guardian_and_who_gets_the_reminders(client, nurse, minor):
    Patient.objects.filter(pk=minor.pk).update(
        reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    Guardian.objects.filter(patient=minor).update(receives_reminders=True)
    client.force_login(nurse)
    html = client.get(minor.get_absolute_url()).content.decode().replace("&#x27;", "'")
    assert "Dana Okoro (parent)" in html
    assert "dana.okoro@example.org" in html
    assert "+44 20 7946 0101" in html
    assert f"Signed {TODAY:%-d %b %Y}" in html
    assert (
        "Reminders go to the patient at kit.okoro@example.org and to the guardian Dana Okoro "
        "(parent) at dana.okoro@example.org." in html
    )
    assert "<strong>Created</strong> · Guardian" in html  # the change history


def test_a_minor_without_a_guardian_on_record_is_pointed_out(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber, date_of_birth=born_years_ago(14))
    client.force_login(nurse)
    html = client.get(patient.get_absolute_url()).content.decode()
    assert "None on record, and the patient is under 18" in html


# Valid HTML ----------------------------------------------------------------------------------


@pytest.mark.html_checker
def test_the_guardian_parts_of_the_pages_are_valid_html(client, nurse, minor, tmp_path):
    """The Nu HTML Checker on what tests/security/test_html_valid.py does not reach: the form
    with the guardian's messages, the patient page and edit page with a guardian."""
    client.force_login(nurse)
    pages = {
        "refused.html": client.post(
            reverse("staff:patient-enrol"),
            form_data(minor.prescriber, born_years_ago(15), guardian_consent_on="2000-01-01"),
        ),
        "patient.html": client.get(minor.get_absolute_url()),
        "edit.html": client.get(reverse("staff:patient-edit", args=[minor.pk])),
    }
    for filename, response in pages.items():
        assert response.status_code == 200, filename
        (tmp_path / filename).write_bytes(response.content)
    run = subprocess.run(  # noqa: S603 (our own jar, our own files)
        ["java", "-jar", VNU_JAR, "--errors-only", "--format", "json", "--exit-zero-always"]  # noqa: S607
        + sorted(str(path) for path in tmp_path.iterdir()),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = [m for m in json.loads(run.stderr or run.stdout)["messages"] if m["type"] == "error"]
    assert errors == []
