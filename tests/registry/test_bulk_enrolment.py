"""Enrolling many patients at once (registry.bulk_enrolment, the spreadsheet import): the same
refusals as enrol_patient, history rows by the user with the reason, fresh registry IDs, the
guardians written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.bulk_enrolment import Enrolment, enrol_many
from registry.guardianship import NEEDS_GUARDIAN, GuardianEntry
from registry.models import Guardian, Patient
from registry.registry_id import is_valid

TODAY = timezone.localdate()


def details(prescriber, n: int, years: int = 30) -> dict:
    return {
        "first_name": f"Bulk{n}",
        "last_name": "Patient",
        "date_of_birth": TODAY - datetime.timedelta(days=365 * years + n),
        "sex": "female",
        "email": f"bulk{n}@example.org",
        "prescriber": prescriber,
        "risk_category": "can_get_pregnant",
        "consent_treatment_on": TODAY,
        "reminder_consent": True,
        "reminder_channel": "email",
    }


def test_patients_and_guardians_are_written_with_history_by_the_user(prescriber, nurse):
    guardian = GuardianEntry(
        full_name="Ana Patient", relation="parent", email="ana@example.org",
        consent_given=True, consent_on=TODAY,
    )  # fmt: skip
    patients = enrol_many(
        [Enrolment(details(prescriber, n)) for n in range(3)]
        + [Enrolment(details(prescriber, 9, years=15), guardian)],
        by=nurse,
        reason="Imported from b.csv",
    )
    assert [p.first_name for p in patients] == ["Bulk0", "Bulk1", "Bulk2", "Bulk9"]
    assert all(p.pk and is_valid(p.registry_id) for p in patients)
    assert len({p.registry_id for p in patients}) == 4
    assert {p.reminder_consent_on for p in Patient.objects.filter(last_name="Patient")} == {TODAY}
    history = Patient.history.filter(last_name="Patient")
    assert history.count() == 4
    assert {(h.history_user, h.history_change_reason, h.history_type) for h in history} == {
        (nurse, "Imported from b.csv", "+")
    }
    row = Guardian.objects.get(patient=patients[3])
    assert (row.full_name, row.consent_on) == ("Ana Patient", TODAY)
    assert {h.history_user for h in Guardian.history.filter(patient_id=patients[3].pk)} == {nurse}


def test_a_minor_without_a_guardian_refuses_the_whole_block(prescriber, nurse):
    before = Patient.objects.count()
    with pytest.raises(ValidationError) as refusal:
        enrol_many(
            [Enrolment(details(prescriber, 1)), Enrolment(details(prescriber, 2, years=15))],
            by=nurse,
        )
    assert refusal.value.message_dict == {"full_name": [NEEDS_GUARDIAN]}
    assert Patient.objects.count() == before


def test_a_detail_staff_do_not_enter_is_refused(prescriber, nurse):
    with pytest.raises(TypeError):
        enrol_many([Enrolment({**details(prescriber, 1), "status": "completed"})], by=nurse)
