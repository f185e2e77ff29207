"""The FHIR R4 export (issue 18, point 1; docs/INTEROP.md "FHIR export").

- `codes.py`: the code systems, LOINC codes and UCUM units, and our own system URIs under
  settings.FHIR_SYSTEM_BASE;
- `resources.py`: one record -> one FHIR resource as JSON-ready dicts, reading only the
  columns of the record and of what the caller fetched with it (no query of its own);
- `everything.py`: one patient's records in a fixed number of queries, as a searchset Bundle
  validated by fhir.resources' R4B models (the staff view, `GET /fhir/Patient/<id>/$everything`);
- `bulk.py`: NDJSON per resource type straight from each table, streamed (`export_fhir`).

The mapping is one set of functions for both, so the bundle a page serves and the files the
command writes cannot disagree. It lives in clinic.staff because it reads visits and flags
(monitoring) as well as courses and prescriptions (dosing): it sits above both.
"""
