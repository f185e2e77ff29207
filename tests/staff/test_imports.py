"""The patient import (issue 18, point 2): a file with every kind of row error writes nothing
and shows each message next to its cell; a valid file is written once, with an import record
and history rows by the importing user; uploading it again finds every row a duplicate; CSV and
XLSX; a formula stays text; files that are not CSV or XLSX are refused by their content; a
batch is its uploader's alone; only registry admins and prescribers import. Point 3: the
audit list's XLSX neutralises a formula as the patient list's does.

The write is a Celery task; here it runs eagerly (in the request that queues it), as the
task's own code, with the broker left out.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
import subprocess
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from clinic import celery_app
from clinic.accounts.roles import Role
from clinic.staff.importing import reading, writing
from clinic.staff.importing.checking import COURSE_NEEDS_PRESCRIBER, POSITIVE_WITH_COURSE
from dosing.models import TreatmentCourse
from registry.audit import record_access
from registry.guardianship import NEEDS_GUARDIAN
from registry.models import Guardian, ImportBatch, ImportedPatient, Patient, PregnancyTest
from tests.conftest import VNU_JAR
from tests.factories import PatientFactory, UserFactory

TODAY = timezone.localdate()
UPLOAD = reverse("staff:import-upload")
HEADER = [
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "prescriber",
    "risk_category",
    "consent_treatment_on",
]


def years_ago(years: int, days: int = 0) -> str:
    day = TODAY.replace(year=TODAY.year - years) if (TODAY.month, TODAY.day) != (2, 29) else None
    day = day or TODAY.replace(year=TODAY.year - years, day=28)
    return (day - datetime.timedelta(days=days)).isoformat()


def ago(days: int) -> str:
    return (TODAY - datetime.timedelta(days=days)).isoformat()


def row(n: int = 1, **cells) -> dict:
    return {
        "first_name": f"Maria{n}",
        "last_name": "Lopez",
        "date_of_birth": years_ago(25, n),
        "sex": "female",
        "email": f"maria{n}@example.org",
        "prescriber": "dr.okafor",
        "risk_category": "can_get_pregnant",
        "consent_treatment_on": ago(10),
        **cells,
    }


def csv_file(rows: list[dict], header: list[str] | None = None) -> bytes:
    header = header or list(dict.fromkeys(name for r in rows for name in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(rows: list[list], header: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str = "patients.csv"):
    return client.post(UPLOAD, {"file": io_file(content, name)})


def io_file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.latest("pk")


def confirm(client, batch):
    return client.post(reverse("staff:import-confirm", args=[batch.pk]))


@pytest.fixture(autouse=True)
def eager_tasks():
    """Run the write task where it is queued (no broker in these tests)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def importer(client, prescriber):
    prescriber.email = "okafor@clinic.example"
    prescriber.save()
    client.force_login(prescriber)
    return client


def cell(html: str, number: int, column: str) -> str:
    """The text of a row's cell on the preview page, with its message."""
    found = re.search(rf'<tr data-row="{number}">(.*?)</tr>', html, re.S)
    assert found, f"row {number} is not on the page"
    td = re.search(
        rf'<td data-column="{column}"( class="table-danger")?>(.*?)</td>', found[1], re.S
    )
    assert td, f"row {number} has no {column} cell"
    return td[2]


# Every kind of row error -------------------------------------------------------------------

ERROR_ROWS = [
    # (cells, column, part of the message shown next to it)
    ({"date_of_birth": years_ago(11)}, "date_of_birth", "at least 12 years old (R11)"),
    ({"date_of_birth": ago(-3)}, "date_of_birth", "The date of birth is in the future."),
    ({"date_of_birth": "17/05/2007"}, "date_of_birth", "Write the date as YYYY-MM-DD"),
    ({"first_name": ""}, "first_name", "This field is required."),
    ({"sex": "robot"}, "sex", "Select a valid choice."),
    ({"prescriber": "nobody"}, "prescriber", "No active prescriber has the username or email"),
    ({"risk_category": "maybe"}, "risk_category", "Select a valid choice."),
    ({"consent_treatment_on": ""}, "consent_treatment_on", "This field is required."),
    (
        {"consent_treatment_on": ago(-1)},
        "consent_treatment_on",
        "The consent date is in the future.",
    ),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"email": "taken@example.org"}, "email", "already in the registry"),
    (
        {"first_name": "Alex", "last_name": "Rivera", "date_of_birth": "2000-01-15"},
        "different_person",
        "A patient with the same name and date of birth is already enrolled",
    ),
    ({"email": "maria1@example.org"}, "email", "Row 2 of this file has the same email."),
    (
        {"first_name": "Maria1", "date_of_birth": years_ago(25, 1), "email": ""},
        "date_of_birth",
        "Row 2 of this file has the same name and date of birth.",
    ),
    ({"date_of_birth": years_ago(15)}, "guardian_full_name", NEEDS_GUARDIAN),
    (
        {"date_of_birth": years_ago(15), "guardian_full_name": "Ana Lopez"},
        "guardian_relation",
        "Choose the guardian's relation",
    ),
    ({"reminder_consent": "yes"}, "reminder_channel", "Choose how the patient wants reminders."),
    ({"reminder_consent": "maybe"}, "reminder_consent", "Write yes or no."),
    (
        {"reminder_consent": "yes", "reminder_channel": "sms"},
        "phone",
        "Reminders by text message need a phone number.",
    ),
    (
        {
            "course_start_date": ago(200),
            "baseline_weight_kg": "60",
            "baseline_nodule_count": "9",
            "formulation": "conventional",
        },
        "course_start_date",
        "A course lasts at most 20 weeks (R8)",
    ),
    (
        {"course_start_date": ago(20), "baseline_nodule_count": "9", "formulation": "conventional"},
        "baseline_weight_kg",
        "This field is required.",
    ),
    (
        {
            "course_start_date": ago(20),
            "baseline_weight_kg": "60",
            "baseline_nodule_count": "9",
            "formulation": "conventional",
            "pregnancy_test_on": ago(21),
            "pregnancy_test_result": "positive",
        },
        "pregnancy_test_result",
        POSITIVE_WITH_COURSE,
    ),
    (
        {"pregnancy_test_on": ago(2), "pregnancy_test_result": "unclear"},
        "pregnancy_test_result",
        "Select a valid choice.",
    ),
    (
        {"pregnancy_test_on": ago(-2), "pregnancy_test_result": "negative"},
        "pregnancy_test_on",
        "The specimen date is in the future.",
    ),
]


def test_a_file_with_every_kind_of_row_error_writes_nothing(importer, prescriber, patient):
    from django.utils.html import escape

    PatientFactory(email="taken@example.org", prescriber=prescriber)
    Patient.objects.filter(user=patient).update(date_of_birth=datetime.date(2000, 1, 15))
    rows = [row(1)] + [row(n + 2, **cells) for n, (cells, _, _) in enumerate(ERROR_ROWS)]
    header = HEADER + [
        "phone", "reminder_consent", "reminder_channel", "different_person",
        "guardian_full_name", "guardian_relation", "course_start_date", "baseline_weight_kg",
        "baseline_nodule_count", "formulation", "pregnancy_test_on", "pregnancy_test_result",
    ]  # fmt: skip
    patients, histories = Patient.objects.count(), Patient.history.count()

    response = upload(importer, csv_file(rows, header))

    batch = latest_batch()
    assert response.url == reverse("staff:import-detail", args=[batch.pk])
    assert (batch.row_count, batch.error_row_count) == (len(rows), len(ERROR_ROWS))
    html = importer.get(response.url, {"page": 1}).content.decode()
    assert f"{len(ERROR_ROWS)} with errors" in html
    assert "Write 1" not in html
    assert "import-confirm" not in html
    for number, (_cells, column, message) in enumerate(ERROR_ROWS, start=3):
        shown = cell(html, number, column)
        assert escape(message) in shown or message in shown, (number, column, shown)
    assert "table-danger" not in re.search(r'<tr data-row="2">(.*?)</tr>', html, re.S)[1]
    # Confirming anyway writes nothing.
    confirm(importer, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert (Patient.objects.count(), Patient.history.count()) == (patients, histories)
    assert not ImportedPatient.objects.exists()


def test_only_the_rows_with_errors_can_be_shown(importer):
    upload(importer, csv_file([row(1), row(2, sex="robot"), row(3)]))
    html = importer.get(
        reverse("staff:import-detail", args=[latest_batch().pk]), {"only": "errors"}
    )
    html = html.content.decode()
    assert '<tr data-row="3">' in html
    assert '<tr data-row="2">' not in html
    assert '<tr data-row="4">' not in html


# A valid file ------------------------------------------------------------------------------

VALID = [
    row(1, phone="02079460101", reminder_consent="yes", reminder_channel="email", notes="moved in"),
    row(
        2,
        date_of_birth=years_ago(15),
        guardian_full_name="Ana Lopez",
        guardian_relation="Parent",  # the label is read as the value
        guardian_email="ana@example.org",
        guardian_consent_given="yes",
        guardian_consent_on=ago(10),
    ),
    row(
        3,
        sex="male",
        risk_category="Cannot get pregnant",
        prescriber="OKAFOR@clinic.example",  # the prescriber's email, case ignored
        course_start_date=ago(30),
        baseline_weight_kg="72.5",
        baseline_nodule_count="14",
        formulation="conventional",
    ),
    row(4, pregnancy_test_on=ago(3), pregnancy_test_result="negative"),
]


def test_a_valid_file_is_written_once_with_an_import_record_and_history(importer, prescriber):
    content = csv_file(VALID)
    upload(importer, content, "clinic-b.csv")
    batch = latest_batch()
    assert (batch.row_count, batch.error_row_count, batch.status) == (4, 0, "previewed")
    assert not Patient.objects.filter(last_name="Lopez").exists()  # the preview wrote nothing
    page = importer.get(reverse("staff:import-detail", args=[batch.pk])).content.decode()
    assert "Write 4 patients" in page

    response = confirm(importer, batch)
    confirm(importer, batch)  # a second click

    assert response.url == reverse("staff:import-detail", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.WRITTEN
    assert (batch.written_count, batch.file_name, batch.created_by) == (
        4,
        "clinic-b.csv",
        prescriber,
    )
    assert batch.sha256 == hashlib.sha256(content).hexdigest()
    written = Patient.objects.filter(last_name="Lopez").order_by("first_name")
    assert [p.first_name for p in written] == ["Maria1", "Maria2", "Maria3", "Maria4"]
    assert [r.row_number for r in ImportedPatient.objects.filter(batch=batch)] == [2, 3, 4, 5]
    assert {p.import_row.batch_id for p in written} == {batch.pk}
    maria1, maria2, maria3, maria4 = written
    assert (maria1.reminder_channel, maria1.notes, maria1.phone) == (
        "email",
        "moved in",
        "+44 20 7946 0101",  # stored in E.164, read with the clinic's region (docs/SMS.md)
    )
    assert Guardian.objects.get(patient=maria2).relation == "parent"
    assert maria3.risk_category == "cannot_get_pregnant"
    course = TreatmentCourse.objects.get(patient=maria3)
    assert (course.start_date, course.baseline_nodule_count) == (TODAY - datetime.timedelta(30), 14)
    assert maria3.status == Patient.Status.IN_TREATMENT
    assert PregnancyTest.objects.get(patient=maria4).result == "negative"
    # Every record has its history row, by the importing user.
    for model, rows in (
        (Patient, written),
        (Guardian, [maria2.guardian]),
        (TreatmentCourse, [course]),
        (PregnancyTest, list(maria4.pregnancy_tests.all())),
    ):
        for record in rows:
            users = {h.history_user for h in model.history.filter(id=record.pk)}
            assert users == {prescriber}, (model, users)
    assert {h.history_user for h in batch.history.all()} == {prescriber}
    assert [h.status for h in batch.history.order_by("history_id")] == [
        "previewed",
        "confirmed",
        "written",
    ]
    # The page names the patients written.
    page = importer.get(reverse("staff:import-detail", args=[batch.pk])).content.decode()
    assert "is imported" in page
    assert maria3.registry_id in page


def test_uploading_the_same_file_again_finds_every_row_a_duplicate(importer):
    content = csv_file(VALID)
    upload(importer, content)
    confirm(importer, latest_batch())
    assert Patient.objects.filter(last_name="Lopez").count() == 4

    upload(importer, content)

    again = latest_batch()
    assert again.error_row_count == 4
    assert all("already in the registry" in again.problems[str(n)]["email"] for n in range(2, 6))
    assert all("already enrolled" in again.problems[str(n)]["row"] for n in range(2, 6))
    confirm(importer, again)
    assert Patient.objects.filter(last_name="Lopez").count() == 4


def test_a_patient_enrolled_between_preview_and_confirmation_stops_the_write(importer, prescriber):
    upload(importer, csv_file([row(1), row(2)]))
    batch = latest_batch()
    PatientFactory(email="maria2@example.org", prescriber=prescriber)

    confirm(importer, batch)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert "already in the registry" in batch.problems["3"]["email"]
    assert not Patient.objects.filter(last_name="Lopez").exists()


# XLSX and formulas -------------------------------------------------------------------------


def test_an_xlsx_file_is_read_with_dates_numbers_and_a_formula_kept_as_text(importer):
    header = [*HEADER, "notes", "course_start_date", "baseline_weight_kg",
              "baseline_nodule_count", "formulation"]  # fmt: skip
    cells = list(row(1).values())
    cells[2] = datetime.datetime.combine(datetime.date.fromisoformat(cells[2]), datetime.time())
    cells[1] = '=HYPERLINK("http://evil.example","Lopez")'
    cells += ["=1+1", TODAY - datetime.timedelta(days=5), 70.5, 12, "conventional"]
    upload(importer, xlsx_file([cells], header), "from-excel.xlsx")
    batch = latest_batch()
    assert batch.error_row_count == 0, batch.problems
    assert batch.rows[0][2] == '=HYPERLINK("http://evil.example","Lopez")'

    confirm(importer, batch)

    patient = Patient.objects.get(email="maria1@example.org")
    assert patient.last_name == '=HYPERLINK("http://evil.example","Lopez")'
    assert patient.notes == "=1+1"
    assert patient.courses.get().baseline_nodule_count == 12
    # On the way out (the patient list's XLSX), the formula is neutralised again.
    sheet = load_workbook(
        io.BytesIO(importer.get("/patients/", {"_export": "xlsx"}).content)
    ).active
    names = [c.value for c in sheet[2]]
    assert any(str(v).startswith("'=HYPERLINK") for v in names), names
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_a_csv_formula_stays_text(importer):
    upload(importer, csv_file([row(1, notes="=cmd|' /C calc'!A0", last_name="@SUM(A1)")]))
    confirm(importer, latest_batch())
    patient = Patient.objects.get(email="maria1@example.org")
    assert (patient.notes, patient.last_name) == ("=cmd|' /C calc'!A0", "@SUM(A1)")


def test_the_audit_lists_xlsx_neutralises_a_formula_too(client, registry_admin, prescriber):
    # Point 3: every filtered list with a CSV has the XLSX beside it, neutralised the same way.
    mallory = UserFactory(username="mallory", first_name="=1+2", roles=[Role.CLINICAL_STAFF])
    record_access(mallory, PatientFactory(prescriber=prescriber), "page", "Patient page")
    client.force_login(registry_admin)
    response = client.get(reverse("staff:audit"), {"_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for r in sheet.iter_rows() for c in r]
    assert any(str(v).startswith("'=1+2") for v in values), values
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


# Files refused as a whole ------------------------------------------------------------------


def macro_workbook() -> bytes:
    plain = xlsx_file([list(row(1).values())], HEADER)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


REFUSED = [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "neither a CSV nor an XLSX"),
    (plain_zip(), "patients.xlsx", "neither a CSV nor an XLSX"),
    (macro_workbook(), "patients.xlsx", "macros"),
    (reading.OLE_SIGNATURE + b"\x00" * 100, "patients.xlsx", "old Excel (.xls)"),
    ("first_name;Müller\n".encode("latin-1"), "patients.csv", "not UTF-8"),
    (b"", "empty.csv", "The submitted file is empty."),
    (",".join(HEADER).encode() + b"\n", "header.csv", "no patients"),
    (csv_file([{**row(1), "shoe_size": "42"}]), "extra.csv", "Unknown column: shoe_size"),
    (csv_file([{k: v for k, v in row(1).items() if k != "prescriber"}]), "x.csv",
     "Required column missing: prescriber"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "name", "message"), REFUSED, ids=[r[1] + "-" + r[2] for r in REFUSED]
)
def test_a_file_that_is_not_a_patient_csv_or_xlsx_is_refused(importer, content, name, message):
    response = upload(importer, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_file_beyond_the_row_limit_is_refused(importer, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    response = upload(importer, csv_file([row(n) for n in range(4)]))
    assert "more than 3 rows" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_file_beyond_the_size_limit_is_refused(importer, monkeypatch):
    monkeypatch.setattr("clinic.staff.forms.imports.MAX_BYTES", 100)
    response = upload(importer, csv_file([row(n) for n in range(5)]))
    assert "The file is larger than" in response.content.decode()
    assert not ImportBatch.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=2000))
def test_any_bytes_are_refused_or_previewed_never_a_server_error(importer, content):
    response = upload(importer, content, "fuzz.xlsx")
    assert response.status_code in (200, 302)


# Who may import, and whose batch -----------------------------------------------------------


@pytest.mark.parametrize("role", ["nurse", "pharmacist", "patient"])
def test_other_roles_cannot_import(client, personas, role):
    client.force_login(personas[role])
    assert client.get(UPLOAD).status_code == 404
    assert client.post(UPLOAD, {"file": io_file(csv_file([row(1)]), "p.csv")}).status_code == 404
    assert not ImportBatch.objects.exists()


def test_another_users_batch_and_a_tampered_id_answer_404(client, personas, prescriber):
    client.force_login(prescriber)
    upload(client, csv_file([row(1)]))
    batch = latest_batch()
    other = UserFactory(username="dr.two", roles=[Role.PRESCRIBER])
    for user in (personas["registry_admin"], other):
        client.force_login(user)
        for name in ("staff:import-detail", "staff:import-progress"):
            assert client.get(reverse(name, args=[batch.pk])).status_code == 404
        assert confirm(client, batch).status_code == 404
    client.force_login(prescriber)
    assert client.get(reverse("staff:import-detail", args=[batch.pk + 1000])).status_code == 404
    assert client.post(reverse("staff:import-confirm", args=[batch.pk + 1000])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert not Patient.objects.filter(last_name="Lopez").exists()


def test_a_registry_admin_imports_patients_but_not_courses(client, registry_admin, prescriber):
    client.force_login(registry_admin)
    course = {"course_start_date": ago(5), "baseline_weight_kg": "60",
              "baseline_nodule_count": "8", "formulation": "conventional"}  # fmt: skip
    upload(client, csv_file([row(1), row(2, **course)]))
    assert latest_batch().problems == {"3": {"course_start_date": COURSE_NEEDS_PRESCRIBER}}
    upload(client, csv_file([row(1)]))
    confirm(client, latest_batch())
    patient = Patient.objects.get(email="maria1@example.org")
    assert {h.history_user for h in patient.history.all()} == {registry_admin}
    page = client.get(reverse("staff:import-detail", args=[latest_batch().pk])).content.decode()
    assert patient.registry_id in page
    assert patient.get_absolute_url() not in page  # registry admins do not open patient pages


# Progress ----------------------------------------------------------------------------------


def test_the_progress_bar_counts_the_rows_written(importer):
    upload(importer, csv_file([row(n) for n in range(1, 4)]))
    batch = latest_batch()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CONFIRMED)
    writing.note_progress(batch.pk, 2, 3)
    url = reverse("staff:import-progress", args=[batch.pk])

    fragment = importer.get(url)
    page = importer.get(reverse("staff:import-detail", args=[batch.pk])).content.decode()

    assert '<progress id="import-progress-bar" class="w-100" max="3" value="2">' in page
    assert "2 of 3 rows written" in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    writing.progress_path(batch.pk).unlink()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CONFIRMED)
    from clinic.staff.tasks import write_import

    write_import(batch.pk)
    assert importer.get(url)["HX-Refresh"] == "true"
    assert not writing.progress_path(batch.pk).exists()


# HTML --------------------------------------------------------------------------------------


def test_the_import_pages_are_valid_html(importer, tmp_path):
    pages = {"upload.html": importer.get(UPLOAD)}
    upload(importer, csv_file([row(1), row(2, sex="robot", email="bad")]))
    pages["preview-errors.html"] = importer.get(
        reverse("staff:import-detail", args=[latest_batch().pk])
    )
    upload(importer, csv_file([row(3)]))
    batch = latest_batch()
    pages["preview-valid.html"] = importer.get(reverse("staff:import-detail", args=[batch.pk]))
    confirm(importer, batch)
    pages["written.html"] = importer.get(reverse("staff:import-detail", args=[batch.pk]))
    pages["upload-with-errors.html"] = upload(importer, b"\x89PNG", "x.csv")
    for name, response in pages.items():
        assert response.status_code == 200, name
        (tmp_path / name).write_bytes(response.content)
    run = subprocess.run(
        ["java", "-jar", VNU_JAR, "--errors-only", "--format", "json", "--exit-zero-always"]
        + sorted(str(path) for path in tmp_path.iterdir()),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []


def test_the_written_page_takes_the_same_queries_for_3_or_150_patients(importer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (3, 150):
        rows = [row(k, email=f"q{n}-{k}@example.org", last_name=f"Q{n}") for k in range(n)]
        upload(importer, csv_file(rows))
        batch = latest_batch()
        confirm(importer, batch)
        with CaptureQueriesContext(connection) as captured:
            page = importer.get(reverse("staff:import-detail", args=[batch.pk]))
        assert b"is imported" in page.content
        counts.append(len(captured))
    assert counts[0] == counts[1]
