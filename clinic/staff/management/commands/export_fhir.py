"""`manage.py export_fhir --patient REGISTRY_ID | --all --out DIR`: the registry as FHIR R4
NDJSON, one file per resource type (docs/INTEROP.md, "FHIR export").

Reads only. The files hold patients' records: write them somewhere only the people allowed to
read the registry can read (the command makes DIR readable by its owner alone when it creates
it).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.staff.fhir.bulk import export_ndjson
from registry.models import Patient
from registry.registry_id import format_id, normalize


class Command(BaseCommand):
    help = "Export patients' records as FHIR R4 NDJSON, one file per resource type."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--patient", metavar="REGISTRY_ID", help="One patient's record.")
        which.add_argument("--all", action="store_true", help="Every patient in the registry.")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR")

    def handle(self, *args, patient=None, all=False, out: Path, **options):
        patients = None
        if patient is not None:
            patients = Patient.objects.filter(registry_id=registry_id(patient))
            if not patients.exists():
                raise CommandError(f"No patient has the registry ID {patient!r}.")
        if not out.exists():
            out.mkdir(parents=True, mode=0o700)
        elif not out.is_dir():
            raise CommandError(f"{out} is not a directory.")
        started = time.monotonic()
        counts = export_ndjson(out, patients)
        seconds = time.monotonic() - started
        for kind, count in sorted(counts.items()):
            self.stdout.write(f"{kind}.ndjson: {count} resource(s)")
        total = sum(counts.values())
        rate = total / seconds if seconds else 0
        self.stdout.write(f"{total} resource(s) in {seconds:.1f} s ({rate:,.0f}/s) to {out}")


def registry_id(text: str) -> str:
    """As staff type it ("abcd efgh k", O for 0): the stored form, XXXX-XXXX-C."""
    compact = normalize(text)
    return format_id(compact) if len(compact) == 9 else text
