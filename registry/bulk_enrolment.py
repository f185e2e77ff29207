"""Enrolling many patients at once: registry.services.enrol_patient for a spreadsheet import
(issue 18, point 2), in the caller's transaction.

The same checks as enrol_patient, patient by patient: only the details staff enter, the
guardian rule for the date of birth (registry.guardianship.check_guardian), the day consent to
reminders was given. What differs is how the rows reach the database: enrol_patient takes
about ten statements a patient (savepoints, the insert, its history row, reading the prior
treatments and the guardian it is about to create), which for a 10,000-row file is 100,000
round trips and most of a minute. Here the patients, their guardians and the history rows of
both are inserted in blocks (simple-history's bulk_create_with_history, with the importing
user as each history row's user), and the registry IDs are drawn first and checked against
the registry in one query per block (Patient.save's retry, done for the block).

An import has no prior treatments (the file has no such columns), so none are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registry.consents import consent_rows
from registry.guardianship import GuardianEntry, check_guardian
from registry.models import ChannelConsent, Guardian, Patient
from registry.phones import to_e164
from registry.registry_id import new_registry_id
from registry.services import check_details, note_reminder_consent

BLOCK = 500


@dataclass(frozen=True)
class Enrolment:
    """One patient to enrol: the values of PATIENT_DETAILS (checked by the enrolment form's
    rules already) and the guardian (None: no guardian)."""

    details: dict
    guardian: GuardianEntry | None = None


def enrol_many(enrolments: Sequence[Enrolment], *, by, reason: str = "") -> list[Patient]:
    """Create the patients and their guardians, with history rows by `by` (and `reason`), in
    the order given; refused (ValidationError, nothing written) as enrol_patient refuses."""
    today = timezone.localdate()
    patients = []
    for enrolment in enrolments:
        check_details(enrolment.details)
        check_guardian(enrolment.details.get("date_of_birth"), enrolment.guardian, today)
        patient = Patient(enrolled_by=by, **enrolment.details)
        note_reminder_consent(patient, had_consent=False)
        patients.append(patient)
    with transaction.atomic():
        for start in range(0, len(patients), BLOCK):
            block = patients[start : start + BLOCK]
            _draw_registry_ids(block)
            bulk_create_with_history(
                block, Patient, batch_size=BLOCK, default_user=by, default_change_reason=reason
            )
        guardians = [
            _guardian(patient, enrolment.guardian)
            for patient, enrolment in zip(patients, enrolments, strict=True)
            if enrolment.guardian is not None
        ]
        if guardians:
            bulk_create_with_history(
                guardians, Guardian, batch_size=BLOCK, default_user=by, default_change_reason=reason
            )
        # Consent per channel (registry/consents.py), given by import.
        now = timezone.now()
        consents = [
            row
            for patient in patients
            for row in consent_rows(patient, how=ChannelConsent.How.IMPORT, now=now)
        ]
        if consents:
            bulk_create_with_history(
                consents,
                ChannelConsent,
                batch_size=BLOCK,
                default_user=by,
                default_change_reason=reason,
            )
    return patients


def _draw_registry_ids(block: list[Patient]) -> None:
    """A fresh registry ID for each patient, none already taken (a collision is about one in
    10^12 draws, so this loops once but for bad luck)."""
    wanted = list(block)
    taken: set[str] = set()
    for _attempt in range(5):
        drawn = {}
        for patient in wanted:
            registry_id = new_registry_id()
            while registry_id in drawn or registry_id in taken:
                registry_id = new_registry_id()
            drawn[registry_id] = patient
        in_use = set(
            Patient.objects.filter(registry_id__in=list(drawn)).values_list(
                "registry_id", flat=True
            )
        )
        for registry_id, patient in drawn.items():
            if registry_id not in in_use:
                patient.registry_id = registry_id
                taken.add(registry_id)
        wanted = [patient for registry_id, patient in drawn.items() if registry_id in in_use]
        if not wanted:
            return
    raise RuntimeError("Could not draw free registry IDs after 5 tries.")


def _guardian(patient: Patient, entry: GuardianEntry) -> Guardian:
    # As registry.guardianship.save_guardian writes a new guardian.
    return Guardian(
        patient=patient,
        full_name=entry.full_name.strip(),
        relation=entry.relation,
        email=entry.email.strip(),
        phone=to_e164(entry.phone) or "",  # checked by guardian_problems
        consent_given=entry.consent_given,
        consent_on=entry.consent_on if entry.consent_given else None,
        receives_reminders=entry.receives_reminders,
    )
