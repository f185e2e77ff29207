"""`manage.py export_fhir` (issue 18, point 1): NDJSON per resource type, bulk-data style.

Every line of every file is parsed back with fhir.resources' R4B model of the type its file
names; one patient's files hold the same resources as the patient's $everything bundle; --all
reads each table once, so its queries do not grow with the number of patients.
"""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.monitoring.models import Visit
from tests.course_fixtures import TODAY
from tests.factories import PatientFactory
from tests.staff import test_fhir_export

# The patient with a record of every kind, as the bundle's tests make it.
full_patient = test_fhir_export.full_patient


def export(out: Path, *args: str) -> str:
    from io import StringIO

    stdout = StringIO()
    call_command("export_fhir", *args, "--out", str(out), stdout=stdout)
    return stdout.getvalue()


def read_back(out: Path) -> dict[str, list]:
    """Each file's lines, parsed as the type its name says; and every line says that type."""
    found = {}
    for path in sorted(out.glob("*.ndjson")):
        kind = path.stem
        model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines, f"{path.name} is empty"
        assert all(lines), f"{path.name} has an empty line"
        parsed = [model.model_validate_json(line) for line in lines]
        assert {resource.get_resource_type() for resource in parsed} == {kind}
        found[kind] = parsed
    return found


def keys(found: dict[str, list]) -> set[tuple[str, str]]:
    return {(kind, resource.id) for kind, resources in found.items() for resource in resources}


def visit_for(patient, nurse, nodules=5):
    return Visit.objects.create(
        patient=patient,
        visit_date=TODAY,
        weight_kg=Decimal(70),
        nodule_count=nodules,
        phq2_interest=0,
        phq2_mood=0,
        recorded_by=nurse,
    )


def test_one_patient_gives_the_same_resources_as_its_bundle(
    tmp_path, client, nurse, full_patient, other_patient
):
    patient = full_patient["patient"]
    other = other_patient.patient
    visit_for(other, nurse)
    output = export(tmp_path, "--patient", patient.registry_id)
    found = read_back(tmp_path)
    assert set(found) == {
        "Patient",
        "Consent",
        "Condition",
        "Encounter",
        "Observation",
        "MedicationRequest",
        "MedicationDispense",
        "Flag",
    }
    client.force_login(nurse)
    bundle = json.loads(
        client.get(reverse("staff:fhir-patient-everything", args=[patient.pk])).content
    )
    assert keys(found) == {
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]
    }
    # Nothing of the other patient, and the registry ID is the patient's own.
    assert [p.identifier[0].value for p in found["Patient"]] == [patient.registry_id]
    assert "Patient.ndjson: 1 resource(s)" in output


def test_the_registry_id_may_be_typed_as_staff_type_it(tmp_path, full_patient):
    typed = full_patient["patient"].registry_id.replace("-", " ").lower()
    export(tmp_path, "--patient", typed)
    assert len(read_back(tmp_path)["Patient"]) == 1


def test_all_exports_every_patient_in_queries_that_do_not_grow(
    tmp_path, nurse, prescriber, full_patient, other_patient
):
    other = other_patient.patient
    visit_for(other, nurse)
    with CaptureQueriesContext(connection) as few:
        export(tmp_path / "few", "--all")
    found = read_back(tmp_path / "few")
    patients = {p.id for p in found["Patient"]}
    assert {str(full_patient["patient"].pk), str(other.pk)} <= patients
    encounters = {e.subject.reference for e in found["Encounter"]}
    assert f"Patient/{other.pk}" in encounters

    for k in range(5):
        visit_for(PatientFactory(prescriber=prescriber), nurse, nodules=k)
    with CaptureQueriesContext(connection) as many:
        export(tmp_path / "many", "--all")
    assert len(read_back(tmp_path / "many")["Patient"]) == len(patients) + 5
    assert len(many) == len(few)


def test_an_unknown_patient_is_refused_and_nothing_is_written(tmp_path, full_patient):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match="No patient has the registry ID 'ZZZZ-ZZZZ-Z'"):
        export(out, "--patient", "ZZZZ-ZZZZ-Z")
    assert not out.exists()


def test_patient_and_all_together_or_neither_are_refused(tmp_path, full_patient):
    with pytest.raises(CommandError, match="not allowed with argument"):
        export(tmp_path, "--all", "--patient", full_patient["patient"].registry_id)
    with pytest.raises(CommandError, match="one of the arguments --patient --all is required"):
        export(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_new_output_directory_is_readable_by_its_owner_alone(tmp_path, full_patient):
    out = tmp_path / "new"
    export(out, "--all")
    assert out.stat().st_mode & 0o777 == 0o700
