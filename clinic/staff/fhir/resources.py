"""One record -> one FHIR R4 resource, as the JSON-ready dict FHIR's JSON format defines.

Plain dicts rather than fhir.resources models: the bulk export writes millions of resources,
and building each as a pydantic model costs about 0.5 ms where json.dumps of the dict costs
0.01 ms (docs/INTEROP.md). The per-patient bundle is validated by fhir.resources as a whole
(everything.py), and every test parses what these return back with those models.

Each function reads the record's own columns and the relations named in its docstring, which
the caller fetches with select_related or annotates: none of them queries. An empty string
is never written (FHIR forbids empty values), so optional text is left out when blank.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone, translation

from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from clinic.staff.exports import EXPORT_LANGUAGE
from clinic.staff.fhir import codes
from dosing.models import Dispense, Prescription
from registry.models import Patient, PregnancyTest

DOSES_A_DAY = {1: "once a day", 2: "twice a day", 3: "three times a day"}


def ref(resource_type: str, resource_id) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def in_english(label) -> str:
    """A model's label (lazy, in the reader's language on pages) as the bundle writes it: in
    English, like every export (clinic.staff.exports.EXPORT_LANGUAGE)."""
    with translation.override(EXPORT_LANGUAGE):
        return str(label)


def coding(system: str, code: str, display: str | None = None) -> dict:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    found = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def quantity(value, unit: str, code: str | None = None) -> dict:
    number = float(value) if isinstance(value, Decimal) else value
    return {"value": number, "unit": unit, "system": codes.UCUM, "code": code or unit}


def instant(moment: datetime.datetime) -> str:
    """A dateTime with its offset, in the clinic's time zone (the day staff saw)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def acne_id(patient_id) -> str:
    return f"acne-{patient_id}"


# Registry ------------------------------------------------------------------------------


def patient_resource(patient: Patient) -> dict:
    """Reads patient.prescriber (select_related)."""
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "official",
                "system": codes.registry_id_system(),
                "value": patient.registry_id,
            }
        ],
        # A withdrawn patient's record is kept (R11) but no longer in use.
        "active": patient.status != Patient.Status.WITHDRAWN,
        "name": [official_name(patient)],
        "gender": codes.GENDER[patient.sex],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", patient.email), ("phone", patient.phone))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    prescriber = person(patient.prescriber)
    if prescriber:
        resource["generalPractitioner"] = [{"display": prescriber}]
    return resource


def official_name(patient: Patient) -> dict:
    name = {"use": "official", "text": patient.full_name.strip() or patient.registry_id}
    if patient.last_name:
        name["family"] = patient.last_name
    if patient.first_name:
        name["given"] = [patient.first_name]
    return name


def condition_resource(patient: Patient) -> dict:
    """Acne, the condition every registered patient is treated for. The registry records no
    remission, so it stays "active"; the courses' outcomes say how treatment went."""
    return {
        "resourceType": "Condition",
        "id": acne_id(patient.pk),
        "clinicalStatus": concept(codes.CONDITION_CLINICAL, "active"),
        "verificationStatus": concept(codes.CONDITION_VERIFICATION, "confirmed"),
        "category": [concept(codes.CONDITION_CATEGORY, "problem-list-item")],
        "code": concept(codes.SNOMED, *codes.ACNE, text="Acne"),
        "subject": ref("Patient", patient.pk),
        "recordedDate": instant(patient.enrolled_at),
    }


def consent_resource(patient: Patient) -> dict | None:
    """The consent to treatment and to the registry (R11), if signed; None otherwise."""
    if patient.consent_treatment_on is None:
        return None
    return {
        "resourceType": "Consent",
        "id": f"treatment-{patient.pk}",
        # Withdrawal ends the patient's part in the registry; the consent no longer holds.
        "status": "inactive" if patient.status == Patient.Status.WITHDRAWN else "active",
        "scope": concept(codes.CONSENT_SCOPE, "treatment", "Treatment"),
        "category": [concept(codes.LOINC, *codes.CONSENT_CATEGORY)],
        "patient": ref("Patient", patient.pk),
        "dateTime": patient.consent_treatment_on.isoformat(),
        "policyRule": concept(
            codes.ACT_CODE, "OPTIN", "opt-in", text="Consent to treatment and to the registry"
        ),
    }


# Visits: an Encounter each, and an Observation per measurement ---------------------------


def encounter_resource(visit: Visit) -> dict:
    day = visit.visit_date.isoformat()
    return {
        "resourceType": "Encounter",
        "id": str(visit.pk),
        "status": "finished",
        "class": coding(codes.ACT_CODE, "AMB", "ambulatory"),
        "subject": ref("Patient", visit.patient_id),
        "period": {"start": day, "end": day},
        "reasonReference": [ref("Condition", acne_id(visit.patient_id))],
    }


def observation(
    resource_id: str, measure: tuple[str, str], system: str, category: str, **fields
) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [concept(codes.OBSERVATION_CATEGORY, category)],
        "code": concept(system, *measure),
        **fields,
    }


def visit_observations(visit: Visit) -> list[dict]:
    """Weight, nodule count and PHQ-2 always; lipids and liver tests when drawn. The visit's
    pregnancy test is a record of its own (pregnancy_test_observation)."""
    at = {
        "subject": ref("Patient", visit.patient_id),
        "encounter": ref("Encounter", visit.pk),
        "effectiveDateTime": visit.visit_date.isoformat(),
    }
    prefix = f"visit-{visit.pk}"
    weight = codes.WEIGHT
    found = [
        observation(
            f"{prefix}-weight",
            (weight.code, weight.display),
            codes.LOINC,
            weight.category,
            **at,
            valueQuantity=quantity(visit.weight_kg, weight.unit),
        ),
        observation(
            f"{prefix}-nodules",
            codes.NODULE_COUNT,
            codes.local_observation_system(),
            "exam",
            **at,
            valueInteger=visit.nodule_count,
        ),
        observation(
            f"{prefix}-phq2",
            codes.PHQ2_TOTAL,
            codes.LOINC,
            "survey",
            **at,
            valueInteger=visit.phq2_score,
            component=[
                {"code": concept(codes.LOINC, *item), "valueInteger": answer}
                for item, answer in (
                    (codes.PHQ2_INTEREST, visit.phq2_interest),
                    (codes.PHQ2_MOOD, visit.phq2_mood),
                )
            ],
        ),
    ]
    for field, unit_field, slug in (
        ("triglycerides", "triglycerides_unit", "triglycerides"),
        ("total_cholesterol", "cholesterol_unit", "cholesterol"),
    ):
        value, unit = getattr(visit, field), getattr(visit, unit_field)
        measure = codes.LIPIDS[field].get(unit)
        if value is not None and measure is not None:
            found.append(lab(f"{prefix}-{slug}", measure, value, at))
    for field, measure in codes.LIVER.items():
        value = getattr(visit, field)
        if value is not None:
            found.append(lab(f"{prefix}-{field}", measure, value, at))
    return found


def lab(resource_id: str, measure: codes.Measure, value, at: dict) -> dict:
    return observation(
        resource_id,
        (measure.code, measure.display),
        codes.LOINC,
        measure.category,
        **at,
        valueQuantity=quantity(value, measure.unit),
    )


def pregnancy_test_observation(test: PregnancyTest, visit_id: int | None = None) -> dict:
    """`visit_id`: the visit that recorded it, if any (the caller annotates it)."""
    if test.setting == PregnancyTest.Setting.HOME:
        code, system = codes.HCG_URINE, codes.LOINC
    else:
        code, system = codes.HCG_UNRECORDED_SPECIMEN, codes.local_observation_system()
    resource = observation(
        f"pregnancy-test-{test.pk}",
        code,
        system,
        "laboratory",
        subject=ref("Patient", test.patient_id),
        effectiveDateTime=test.specimen_date.isoformat(),
        issued=timezone.localtime(test.recorded_at).isoformat(timespec="milliseconds"),
        valueCodeableConcept=concept(codes.SNOMED, *codes.TEST_RESULT[test.result]),
        method={"text": in_english(PregnancyTest.Setting(test.setting).label)},
    )
    if visit_id is not None:
        resource["encounter"] = ref("Encounter", visit_id)
    return resource


# Prescriptions and dispenses --------------------------------------------------------------


def isotretinoin() -> dict:
    return concept(codes.RXNORM, *codes.ISOTRETINOIN, text="Isotretinoin")


def medication_request(rx: Prescription, patient_id: int) -> dict:
    """Reads rx.prescribed_by (select_related). Status from the prescription's own columns:
    voided (only ever before a dispense) is cancelled, awaiting pick-up is active, the rest
    were dispensed (completed)."""
    if rx.voided_at is not None:
        status = "cancelled"
    elif rx.awaiting_pickup:
        status = "active"
    else:
        status = "completed"
    resource = {
        "resourceType": "MedicationRequest",
        "id": str(rx.pk),
        "identifier": [{"system": codes.prescription_system(), "value": str(rx.pk)}],
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": isotretinoin(),
        "subject": ref("Patient", patient_id),
        "authoredOn": rx.prescribed_on.isoformat(),
        "dosageInstruction": [dosage(rx)],
        "dispenseRequest": {
            "validityPeriod": {
                "start": rx.window_opens.isoformat(),
                "end": rx.window_closes.isoformat(),
            },
            "numberOfRepeatsAllowed": 0,  # R13: no refills
            "quantity": quantity(rx.capsules_supplied, "capsule", "{capsule}"),
            "expectedSupplyDuration": quantity(rx.days_supply, "days", "d"),
        },
    }
    requester = person(rx.prescribed_by)
    if requester:
        resource["requester"] = {"display": requester}
    if status == "cancelled" and rx.void_reason:
        resource["statusReason"] = {"text": rx.void_reason}
    return resource


def dosage(rx: Prescription) -> dict:
    """mg per intake, intakes a day, by mouth: as FHIR Dosage (timing and dose quantity)."""
    times = DOSES_A_DAY.get(rx.doses_per_day, f"{rx.doses_per_day} times a day")
    return {
        "sequence": 1,
        "text": f"{rx.mg_per_dose} mg {times} by mouth ({rx.capsules} each time)",
        "timing": {"repeat": {"frequency": rx.doses_per_day, "period": 1, "periodUnit": "d"}},
        "route": concept(codes.SNOMED, *codes.ORAL_ROUTE),
        "doseAndRate": [{"doseQuantity": quantity(rx.mg_per_dose, "mg")}],
    }


def medication_dispense(dispense: Dispense, patient_id: int) -> dict:
    """Reads dispense.pharmacy (select_related). The authorization number (R17) is its
    identifier; a reversed authorization is a cancelled dispense, with the reason."""
    resource = {
        "resourceType": "MedicationDispense",
        "id": str(dispense.pk),
        "identifier": [
            {"system": codes.authorization_system(), "value": dispense.authorization_number}
        ],
        "status": "cancelled" if dispense.reversed_at else "completed",
        "medicationCodeableConcept": isotretinoin(),
        "subject": ref("Patient", patient_id),
        "performer": [{"actor": {"display": dispense.pharmacy.name}}],
        "authorizingPrescription": [ref("MedicationRequest", dispense.prescription_id)],
        "quantity": quantity(dispense.quantity, "capsule", "{capsule}"),
        "daysSupply": quantity(dispense.days_supply, "days", "d"),
        "whenPrepared": instant(dispense.authorized_at),
    }
    if dispense.reversed_at and dispense.reversal_reason:
        resource["statusReasonCodeableConcept"] = {"text": dispense.reversal_reason}
    if dispense.ended_on:
        ended = f"Supply ended on {dispense.ended_on.isoformat()}"
        resource["note"] = [
            {"text": f"{ended}: {dispense.end_reason}" if dispense.end_reason else ended}
        ]
    return resource


# Course flags -----------------------------------------------------------------------------


def flag_resource(flag: CourseFlag, patient_id: int) -> dict:
    resource = {
        "resourceType": "Flag",
        "id": str(flag.pk),
        "status": "active" if flag.is_open else "inactive",
        "code": concept(
            codes.flag_kind_system(),
            flag.kind,
            in_english(FlagKind(flag.kind).label),
            text=flag.detail or in_english(FlagKind(flag.kind).label),
        ),
        "subject": ref("Patient", patient_id),
        "period": {"start": instant(flag.raised_at)},
    }
    if flag.acknowledged_at:
        resource["period"]["end"] = instant(flag.acknowledged_at)
    return resource
