"""One patient's record as a FHIR searchset Bundle (Patient/$everything).

Five queries whatever the record holds (visits, pregnancy tests, prescriptions, dispenses,
flags), each joined to what its resources read; the patient comes from access.get_patient_for
with its prescriber. The bundle is validated by fhir.resources' R4B models before it is
served: a mapping that drifts from FHIR fails here, never at the receiver.
"""

from __future__ import annotations

import uuid

from django.db.models import F
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from clinic.monitoring.models import CourseFlag, Visit
from clinic.staff.fhir import resources as fhir
from dosing.models import Dispense, Prescription
from registry.models import Patient, PregnancyTest


def patient_resources(patient: Patient) -> list[dict]:
    """Patient, Condition, Consent, then each visit's Encounter and Observations, the
    pregnancy tests, MedicationRequests, MedicationDispenses and Flags, oldest first."""
    found = [fhir.patient_resource(patient), fhir.condition_resource(patient)]
    consent = fhir.consent_resource(patient)
    if consent:
        found.append(consent)
    for visit in Visit.objects.filter(patient=patient).order_by("visit_date", "pk"):
        found.append(fhir.encounter_resource(visit))
        found.extend(fhir.visit_observations(visit))
    tests = (
        PregnancyTest.objects.filter(patient=patient)
        .annotate(visit_pk=F("visit"))
        .order_by("specimen_date", "pk")
    )
    found.extend(fhir.pregnancy_test_observation(test, test.visit_pk) for test in tests)
    prescriptions = (
        Prescription.objects.filter(course__patient=patient)
        .select_related("prescribed_by")
        .order_by("prescribed_on", "pk")
    )
    found.extend(fhir.medication_request(rx, patient.pk) for rx in prescriptions)
    dispenses = (
        Dispense.objects.filter(prescription__course__patient=patient)
        .select_related("pharmacy")
        .order_by("authorized_at", "pk")
    )
    found.extend(fhir.medication_dispense(dispense, patient.pk) for dispense in dispenses)
    flags = CourseFlag.objects.filter(course__patient=patient).order_by("raised_at", "pk")
    found.extend(fhir.flag_resource(flag, patient.pk) for flag in flags)
    return found


def everything_bundle(patient: Patient, *, base_url: str, self_url: str) -> Bundle:
    """`base_url`: this server's FHIR base ("https://host/fhir/"), which each entry's
    fullUrl starts with; `self_url`: the URL asked."""
    found = patient_resources(patient)
    now = timezone.localtime().isoformat(timespec="seconds")
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": now},
            "type": "searchset",
            "timestamp": now,
            "total": len(found),
            "link": [{"relation": "self", "url": self_url}],
            "entry": [
                {
                    "fullUrl": f"{base_url}{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for resource in found
            ],
        }
    )
