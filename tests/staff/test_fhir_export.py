"""The FHIR R4 export of one patient (issue 18, point 1): `GET /fhir/Patient/<id>/$everything`.

Every answer is parsed back with fhir.resources' R4B models (an independent implementation of
FHIR's structures), and the codes, units and identifiers a receiver relies on are checked on
the parsed resources, not on our own dicts.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from clinic.monitoring.models import CourseFlag, Visit
from clinic.monitoring.services import acknowledge_flag
from dosing import services
from dosing.dispensing import reverse_dispense
from registry.models import PregnancyTest, RecordAccess
from tests.course_fixtures import TODAY, days_ago, draw_baseline_labs

BASE = "https://clinic.test/fhir"
NOW = timezone.now()
EVERY_KIND = {
    "Patient",
    "Consent",
    "Condition",
    "Encounter",
    "Observation",
    "MedicationRequest",
    "MedicationDispense",
    "Flag",
}


@pytest.fixture
def full_patient(female_patient, start_course, prescribe, record_test, make_pharmacy, nurse):
    """A patient with something of every kind: consent, a home and a medical pregnancy test,
    a baseline visit with lipids in mmol/L and mg/dL and liver tests, a course visit, a
    prescription dispensed and one handed back, an open and an acknowledged flag."""
    patient = female_patient
    record_test(patient, 25)
    home = record_test(patient, 2)
    PregnancyTest.objects.filter(pk=home.pk).update(setting=PregnancyTest.Setting.HOME)
    baseline = draw_baseline_labs(
        patient,
        by=nurse,
        on=days_ago(3),
        triglycerides=Decimal("1.45"),
        triglycerides_unit="mmol/L",
        alt=31,
        ast=27,
    )
    course = start_course(patient, weight="64")
    rx = prescribe(course, mg=30, per_day=2, days=30)
    pharmacy = make_pharmacy()
    dispense = services.authorize_dispense(rx, pharmacy=pharmacy, by=nurse)
    visit = Visit.objects.create(
        patient=patient,
        course=course,
        visit_date=TODAY,
        weight_kg=Decimal("63.5"),
        nodule_count=12,
        phq2_interest=2,
        phq2_mood=1,
        recorded_by=nurse,
    )
    open_flag = CourseFlag.objects.create(course=course, kind="mood_screen", detail="PHQ-2 of 3")
    done = CourseFlag.objects.create(course=course, kind="reached_20_weeks", subject_key="x")
    acknowledge_flag(done, by=course.started_by, action="continue")
    return {
        "patient": patient,
        "course": course,
        "rx": rx,
        "dispense": dispense,
        "pharmacy": pharmacy,
        "baseline": baseline,
        "visit": visit,
        "home_test": home,
        "open_flag": open_flag,
        "done_flag": done,
    }


def everything_url(patient_pk) -> str:
    return reverse("staff:fhir-patient-everything", args=[patient_pk])


def fetch(client, user, patient_pk):
    client.force_login(user)
    return client.get(everything_url(patient_pk))


def parsed(response) -> Bundle:
    assert response.status_code == 200
    return Bundle.model_validate_json(response.content)


def by_type(bundle: Bundle) -> dict[str, list]:
    found: dict[str, list] = {}
    for entry in bundle.entry:
        found.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return found


def one(resources, resource_id):
    (found,) = [r for r in resources if r.id == resource_id]
    return found


def codings(concept) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in concept.coding}


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_a_full_patient_is_one_valid_bundle_with_every_kind_of_resource(
    client, nurse, full_patient
):
    patient = full_patient["patient"]
    response = fetch(client, nurse, patient.pk)
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    bundle = parsed(response)
    assert bundle.type == "searchset"
    kinds = by_type(bundle)
    assert set(kinds) == EVERY_KIND
    assert bundle.total == len(bundle.entry)
    # Every resource parsed as its own class, every id once per type.
    for entry in bundle.entry:
        assert type(entry.resource).__name__ == entry.resource.get_resource_type()
        assert entry.fullUrl.endswith(
            f"/fhir/{entry.resource.get_resource_type()}/{entry.resource.id}"
        )
    assert not [
        key
        for key, n in Counter(
            (e.resource.get_resource_type(), e.resource.id) for e in bundle.entry
        ).items()
        if n > 1
    ]
    # Counts: one Encounter per visit, one MedicationRequest per prescription, and so on.
    assert len(kinds["Patient"]) == len(kinds["Consent"]) == len(kinds["Condition"]) == 1
    assert len(kinds["Encounter"]) == 2
    assert len(kinds["MedicationRequest"]) == 1
    assert len(kinds["MedicationDispense"]) == 1
    assert len(kinds["Flag"]) == 2


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_every_reference_points_at_a_resource_in_the_bundle(client, nurse, full_patient):
    bundle = parsed(fetch(client, nurse, full_patient["patient"].pk))
    present = {f"{e.resource.get_resource_type()}/{e.resource.id}" for e in bundle.entry}
    raw = json.loads(bundle.model_dump_json())
    references = []

    def walk(value):
        if isinstance(value, dict):
            if "reference" in value:
                references.append(value["reference"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(raw)
    assert references
    assert set(references) <= present


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_the_patient_carries_the_registry_id_under_our_own_system(client, nurse, full_patient):
    patient = full_patient["patient"]
    kinds = by_type(parsed(fetch(client, nurse, patient.pk)))
    (resource,) = kinds["Patient"]
    assert resource.id == str(patient.pk)
    assert [(i.system, i.value) for i in resource.identifier] == [
        (f"{BASE}/sid/registry-id", patient.registry_id)
    ]
    assert resource.gender == "female"
    assert resource.birthDate == patient.date_of_birth
    assert resource.name[0].family == patient.last_name
    (consent,) = kinds["Consent"]
    assert consent.status == "active"
    assert str(consent.dateTime) == patient.consent_treatment_on.isoformat()
    assert consent.patient.reference == f"Patient/{patient.pk}"
    (condition,) = kinds["Condition"]
    assert codings(condition.code) == {("http://snomed.info/sct", "11381005")}


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_measurements_carry_their_loinc_codes_and_ucum_units_as_measured(
    client, nurse, full_patient
):
    baseline, visit = full_patient["baseline"], full_patient["visit"]
    observations = by_type(parsed(fetch(client, nurse, full_patient["patient"].pk)))["Observation"]

    def value_of(resource_id):
        found = one(observations, resource_id)
        quantity = found.valueQuantity
        assert quantity.system == "http://unitsofmeasure.org"
        return codings(found.code), float(quantity.value), quantity.code

    weight = value_of(f"visit-{visit.pk}-weight")
    assert weight == ({("http://loinc.org", "29463-7")}, 63.5, "kg")
    assert one(observations, f"visit-{visit.pk}-weight").encounter.reference == (
        f"Encounter/{visit.pk}"
    )
    # Triglycerides were measured in mmol/L: the mmol/L code and unit, the value untouched.
    assert value_of(f"visit-{baseline.pk}-triglycerides") == (
        {("http://loinc.org", "14927-8")},
        1.45,
        "mmol/L",
    )
    assert value_of(f"visit-{baseline.pk}-cholesterol") == (
        {("http://loinc.org", "2093-3")},
        180.0,
        "mg/dL",
    )
    assert value_of(f"visit-{baseline.pk}-alt") == ({("http://loinc.org", "1742-6")}, 31.0, "U/L")
    assert value_of(f"visit-{baseline.pk}-ast") == ({("http://loinc.org", "1920-8")}, 27.0, "U/L")
    # The course visit drew no labs: no lab observation for it.
    assert not [
        o
        for o in observations
        if o.id.startswith(f"visit-{visit.pk}-")
        and o.id.endswith(("alt", "ast", "triglycerides", "cholesterol"))
    ]

    phq2 = one(observations, f"visit-{visit.pk}-phq2")
    assert codings(phq2.code) == {("http://loinc.org", "55758-7")}
    assert phq2.valueInteger == 3
    assert [(next(iter(codings(c.code)))[1], c.valueInteger) for c in phq2.component] == [
        ("44250-9", 2),
        ("44255-8", 1),
    ]
    nodules = one(observations, f"visit-{visit.pk}-nodules")
    assert codings(nodules.code) == {(f"{BASE}/CodeSystem/observation", "nodule-count")}
    assert nodules.valueInteger == 12


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_pregnancy_tests_are_qualitative_results_coded_by_what_we_know_of_the_specimen(
    client, nurse, full_patient
):
    observations = by_type(parsed(fetch(client, nurse, full_patient["patient"].pk)))["Observation"]
    tests = {o.id: o for o in observations if o.id.startswith("pregnancy-test-")}
    assert len(tests) == 2
    home = tests.pop(f"pregnancy-test-{full_patient['home_test'].pk}")
    assert codings(home.code) == {("http://loinc.org", "2106-3")}  # a home test is urine
    (medical,) = tests.values()
    assert codings(medical.code) == {
        (f"{BASE}/CodeSystem/observation", "hcg-presence-specimen-not-recorded")
    }
    for test in (home, medical):
        assert codings(test.valueCodeableConcept) == {("http://snomed.info/sct", "260385009")}
        assert test.valueQuantity is None


@override_settings(FHIR_SYSTEM_BASE=BASE)
def test_prescription_and_dispense_carry_dosage_and_authorization(client, nurse, full_patient):
    rx, dispense = full_patient["rx"], full_patient["dispense"]
    kinds = by_type(parsed(fetch(client, nurse, full_patient["patient"].pk)))
    request = one(kinds["MedicationRequest"], str(rx.pk))
    assert codings(request.medicationCodeableConcept) == {
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "6064")
    }
    assert request.status == "completed"  # dispensed
    assert request.intent == "order"
    (dose,) = request.dosageInstruction
    repeat = dose.timing.repeat
    assert (repeat.frequency, float(repeat.period), repeat.periodUnit) == (2, 1.0, "d")
    quantity = dose.doseAndRate[0].doseQuantity
    assert (float(quantity.value), quantity.code) == (30.0, "mg")
    supply = request.dispenseRequest
    assert supply.numberOfRepeatsAllowed == 0
    assert (supply.validityPeriod.start, supply.validityPeriod.end) == (
        rx.window_opens,
        rx.window_closes,
    )
    assert float(supply.expectedSupplyDuration.value) == 30

    given = one(kinds["MedicationDispense"], str(dispense.pk))
    assert [(i.system, i.value) for i in given.identifier] == [
        (f"{BASE}/sid/dispense-authorization", dispense.authorization_number)
    ]
    assert given.status == "completed"
    assert [r.reference for r in given.authorizingPrescription] == [f"MedicationRequest/{rx.pk}"]
    assert float(given.quantity.value) == dispense.quantity
    assert given.performer[0].actor.display == full_patient["pharmacy"].name


def test_a_reversed_dispense_is_cancelled_and_its_prescription_active_again(
    client, nurse, full_patient
):
    dispense = reverse_dispense(
        full_patient["dispense"], by=nurse, pharmacy=None, reason="Not picked up"
    )
    kinds = by_type(parsed(fetch(client, nurse, full_patient["patient"].pk)))
    given = one(kinds["MedicationDispense"], str(dispense.pk))
    assert given.status == "cancelled"
    assert given.statusReasonCodeableConcept.text == "Not picked up"
    assert one(kinds["MedicationRequest"], str(full_patient["rx"].pk)).status == "active"


def test_flags_are_active_until_acknowledged(client, nurse, full_patient):
    flags = by_type(parsed(fetch(client, nurse, full_patient["patient"].pk)))["Flag"]
    open_flag = one(flags, str(full_patient["open_flag"].pk))
    assert open_flag.status == "active"
    assert open_flag.code.coding[0].code == "mood_screen"
    assert open_flag.code.text == "PHQ-2 of 3"
    done = one(flags, str(full_patient["done_flag"].pk))
    assert done.status == "inactive"
    assert done.period.end is not None


def test_the_export_is_logged_as_one_access_to_the_record(client, nurse, full_patient):
    patient = full_patient["patient"]
    before = RecordAccess.objects.count()
    fetch(client, nurse, patient.pk)
    assert RecordAccess.objects.count() == before + 1
    access = RecordAccess.objects.latest("pk")
    assert (access.user, access.patient, access.kind, access.what) == (
        nurse,
        patient,
        RecordAccess.Kind.PAGE,
        "FHIR export",
    )


def test_an_unknown_id_is_404_and_logs_nothing(client, nurse, prescriber, full_patient):
    for user in (nurse, prescriber):
        before = RecordAccess.objects.count()
        assert fetch(client, user, 999_999).status_code == 404
        assert RecordAccess.objects.count() == before


def test_other_roles_get_404_for_a_real_patient(client, personas, full_patient):
    url = everything_url(full_patient["patient"].pk)
    for role in ("pharmacist", "registry_admin", "patient"):
        client.force_login(personas[role])
        assert client.get(url).status_code == 404
    # Even the patient's own record: the export is a staff page, not the portal.
    client.force_login(personas["patient"])
    assert client.get(everything_url(personas["patient"].patient.pk)).status_code == 404


def test_a_post_is_refused_and_changes_nothing(client, nurse, full_patient):
    client.force_login(nurse)
    before = RecordAccess.objects.count()
    assert client.post(everything_url(full_patient["patient"].pk)).status_code == 405
    assert RecordAccess.objects.count() == before


def test_the_queries_do_not_grow_with_the_record(client, nurse, full_patient):
    patient, course = full_patient["patient"], full_patient["course"]
    client.force_login(nurse)
    url = everything_url(patient.pk)
    client.get(url)  # warm per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for k in range(6):
        draw_baseline_labs(patient, by=nurse, on=days_ago(10 + k))
        CourseFlag.objects.create(
            course=course, kind="follow_up_overdue", subject_key=f"k{k}", acknowledged_at=NOW
        )
        PregnancyTest.objects.create(
            patient=patient, specimen_date=days_ago(30 + k), result="negative", recorded_by=nurse
        )
    assert count() == few
