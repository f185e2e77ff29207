"""The bulk FHIR export: one NDJSON file per resource type (FHIR Bulk Data's output format),
for one patient or the whole registry (`manage.py export_fhir`).

Per resource type straight from each table, never per patient: a fixed number of queries
whatever the registry holds (six), each streamed in chunks (QuerySet.iterator: a server-side
cursor on PostgreSQL), each row written as it is read, so memory stays flat at a million
patients. Each row is joined to what its resource reads (the patient's prescriber, the
prescription's prescriber, the dispense's pharmacy) and annotated with its patient's id, so
no row asks for more. The resources are the same functions as the bundle's (resources.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

from django.db.models import F, QuerySet

from clinic.monitoring.models import CourseFlag, Visit
from clinic.staff.fhir import resources as fhir
from dosing.models import Dispense, Prescription
from registry.models import Patient, PregnancyTest

# Rows fetched per round trip: large enough that the round trips do not count, small enough
# that a chunk of rows (a few MB) is nothing beside the process.
CHUNK_SIZE = 5000


class NdjsonFiles:
    """<out>/<ResourceType>.ndjson, each opened at its first line; counts what was written.
    A file of a type with no resource is not made (FHIR Bulk Data lists only files with data);
    an older file of the same name in `out` is replaced."""

    def __init__(self, out: Path, stack: ExitStack):
        self.out = out
        self.stack = stack
        self.files: dict = {}
        self.counts: Counter = Counter()

    def write(self, resource: dict) -> None:
        kind = resource["resourceType"]
        handle = self.files.get(kind)
        if handle is None:
            path = self.out / f"{kind}.ndjson"
            handle = self.stack.enter_context(path.open("w", encoding="utf-8", newline="\n"))
            self.files[kind] = handle
        handle.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")
        self.counts[kind] += 1


def export_ndjson(out: Path, patients: QuerySet | None = None) -> Counter:
    """Write the NDJSON files of `patients` (every patient when None) into `out`; returns the
    number of resources written per type."""
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        files = NdjsonFiles(out, stack)
        for resource in all_resources(patients):
            files.write(resource)
    return files.counts


def all_resources(patients: QuerySet | None) -> Iterator[dict]:
    def of(queryset: QuerySet, path: str) -> QuerySet:
        """Only the patients asked for; the whole table otherwise, in the order of its key."""
        if patients is not None:
            queryset = queryset.filter(**{f"{path}__in": patients.values("pk")})
        return queryset.order_by("pk")

    registry = of(Patient.objects.select_related("prescriber"), "pk")
    for patient in stream(registry):
        yield fhir.patient_resource(patient)
        yield fhir.condition_resource(patient)
        consent = fhir.consent_resource(patient)
        if consent:
            yield consent
    for visit in stream(of(Visit.objects.all(), "patient")):
        yield fhir.encounter_resource(visit)
        yield from fhir.visit_observations(visit)
    tests = of(PregnancyTest.objects.annotate(visit_pk=F("visit")), "patient")
    for test in stream(tests):
        yield fhir.pregnancy_test_observation(test, test.visit_pk)
    prescriptions = of(
        Prescription.objects.select_related("prescribed_by").annotate(
            patient_pk=F("course__patient")
        ),
        "course__patient",
    )
    for rx in stream(prescriptions):
        yield fhir.medication_request(rx, rx.patient_pk)
    dispenses = of(
        Dispense.objects.select_related("pharmacy").annotate(
            patient_pk=F("prescription__course__patient")
        ),
        "prescription__course__patient",
    )
    for dispense in stream(dispenses):
        yield fhir.medication_dispense(dispense, dispense.patient_pk)
    flags = of(CourseFlag.objects.annotate(patient_pk=F("course__patient")), "course__patient")
    for flag in stream(flags):
        yield fhir.flag_resource(flag, flag.patient_pk)


def stream(queryset: QuerySet) -> Iterable:
    return queryset.iterator(chunk_size=CHUNK_SIZE)
