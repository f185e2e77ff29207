"""The exports of the patient list and the refused actions (issue 15, lever 5): the streamed
CSV, the XLSX beside it, and nothing else.

The CSV reads values through a server-side cursor and streams them; these tests hold it to
the bytes of the export it replaced (django-tables2's TableExport of the whole table, built
here the way clinic/staff/exports.py built it before), on values chosen to be awkward. The
XLSX is opened with openpyxl and held to the CSV of the same request, cell by cell, with no
cell a formula; beyond its row limit it is not made at all.
"""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django_tables2 import RequestConfig
from django_tables2.export import TableExport
from tablib import Dataset

from clinic.accounts.roles import Role
from clinic.staff import exports, paging
from clinic.staff.exports import FORMULA_STARTS, UNOFFERED, neutralise
from dosing.models import RefusedAction
from registry.models import Patient
from registry.registry_id import ALPHABET
from tests.course_fixtures import days_ago
from tests.factories import PatientFactory, UserFactory

PATIENTS, REFUSALS = "/patients/", "/refusals/"
PATIENT_HEADER = "Registry ID,Name,Born,Status,Risk category,Prescriber,Enrolled\r\n"
REFUSAL_HEADER = "When,Kind,By,Patient,What was tried,Reasons\r\n"
UTC = datetime.UTC


# The export before issue 15, to compare with ---------------------------------------------


class OldSpreadsheetSafeExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        rows = [[neutralise(value) for value in row] for row in dataset]
        headers = [neutralise(header) for header in dataset.headers or []]
        return Dataset(*rows, headers=headers, title=dataset.title)


def old_export_response(request, table, filename):
    if request.GET.get("_export") != "csv":
        return None
    RequestConfig(request, paginate=False).configure(table)
    return OldSpreadsheetSafeExport("csv", table, exclude_columns=()).response(filename)


def body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse), type(response)
    return b"".join(response.streaming_content)


def new_and_old(client, monkeypatch, url, params):
    """The export's response and body now, and the body the old export gave for the same
    request (the view's own filter, table and ordering, only the export swapped)."""
    response = client.get(url, {**params, "_export": "csv"})
    new = body(response)
    with monkeypatch.context() as patch:
        # The list views answer exports through clinic.staff.paging.filtered_list.
        patch.setattr(paging, "export_response", old_export_response)
        old_response = client.get(url, {**params, "_export": "csv"})
    assert not old_response.streaming
    for header in ("Content-Type", "Content-Disposition"):
        assert response[header] == old_response[header]
    return response, new, old_response.content


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


# Fixtures with awkward values --------------------------------------------------------------


@pytest.fixture
def staff_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def awkward_refusals(db, nurse, prescriber, male_patient, start_course, prescribe, make_pharmacy):
    """Refusals naming a course, a prescription and a pharmacy, or nothing; details that are
    lists, formulas, non-ASCII or not a dict at all; reasons that are not a list."""
    course = start_course(male_patient, start_date=days_ago(30))
    prescription = prescribe(course)
    pharmacy = make_pharmacy(name="Apothéke =Süd")
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    formula = UserFactory(username="formula", first_name="@user", last_name="Jones")
    other = PatientFactory(first_name="Zoë", last_name="=Ørsted", prescriber=prescriber)
    made = [
        {
            "kind": "prescribe",
            "user": prescriber,
            "patient": male_patient,
            "course": course,
            "prescription": prescription,
            "reasons": ['=HYPERLINK("http://evil.example","x")', "Dose above 2 mg/kg/day."],
            "details": {"mg_per_dose": "90", "methods": ["iud", "condom"], "note": "+1 dose"},
        },
        {
            "kind": "dispense",
            "user": nurse,
            "patient": other,
            "pharmacy": pharmacy,
            "reasons": ["Not certified."],
            "details": {"quantity": "-5", "remark": 'Zoë\'s ünïcode, "quoted"\nnext line'},
        },
        {
            "kind": "enrol",
            "user": nameless,
            "reasons": "@SUM(1+1)",
            "details": ["not", "a", "dict"],
        },
        {"kind": "visit", "user": formula, "patient": male_patient, "reasons": [], "details": {}},
        {
            "kind": "end_course",
            "user": nurse,
            "patient": other,
            "reasons": [42, None],
            "details": {},
        },
    ]
    rows = []
    for index, fields in enumerate(made):
        row = RefusedAction.objects.create(**fields)
        at = datetime.datetime(2025, 3, 30, 0, 15, tzinfo=UTC) + datetime.timedelta(hours=index)
        RefusedAction.objects.filter(pk=row.pk).update(at=at)
        rows.append(row)
    return rows


# The response ----------------------------------------------------------------------------


def test_the_patient_export_streams_a_csv_attachment(staff_client, awkward_patients):
    response = staff_client.get(PATIENTS, {"_export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="patients.csv"'
    assert not response.has_header("Content-Length")
    data = body(response)
    assert data.decode().startswith(PATIENT_HEADER)
    assert len(rows_of(data)) == 1 + len(awkward_patients)
    assert b"private clinical note" not in data


def test_the_refusal_export_streams_a_csv_attachment(client, prescriber, awkward_refusals):
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"_export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="refused-actions.csv"'
    data = body(response)
    assert data.decode().startswith(REFUSAL_HEADER)
    assert len(rows_of(data)) == 1 + len(awkward_refusals)


def test_the_rows_go_out_in_blocks_as_they_are_fetched(staff_client, monkeypatch, prescriber):
    PatientFactory.create_batch(7, prescriber=prescriber)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    response = staff_client.get(PATIENTS, {"_export": "csv"})
    pieces = list(response.streaming_content)
    assert pieces[0] == PATIENT_HEADER.encode()
    assert [piece.count(b"\r\n") for piece in pieces[1:]] == [3, 3, 1]


# The same bytes as before ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "name"},
        {"sort": "-name"},
        {"sort": "enrolled_at"},
        {"sort": "-enrolled_at"},
        {"sort": "registry_id"},
        {"sort": "-registry_id"},
        {"status": "enrolled"},
        {"risk_category": "cannot_get_pregnant", "sort": "-enrolled_at"},
        {"q": "r"},  # a search: its own ordering expressions
        {"q": "r", "sort": "-name"},
        {"q": "zoë"},
        {"q": "nobody-has-this-name"},
    ],
)
def test_the_patient_export_has_the_same_bytes_as_the_tables2_export(
    staff_client, monkeypatch, awkward_patients, params
):
    _, new, old = new_and_old(staff_client, monkeypatch, PATIENTS, params)
    assert new == old


def test_the_patient_export_by_prescriber_has_the_same_bytes(
    staff_client, monkeypatch, awkward_patients
):
    prescriber = awkward_patients[0].prescriber
    params = {"prescriber": prescriber.pk, "sort": "-enrolled_at"}
    _, new, old = new_and_old(staff_client, monkeypatch, PATIENTS, params)
    assert new == old
    assert len(rows_of(new)) == 1 + sum(p.prescriber == prescriber for p in awkward_patients)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "at"},
        {"sort": "-at"},
        {"kind": "dispense"},
        {"user": "name"},
        {"date_from": "2025-03-30", "date_to": "2025-03-30"},
    ],
)
def test_the_refusal_export_has_the_same_bytes_as_the_tables2_export(
    client, prescriber, monkeypatch, awkward_refusals, params
):
    client.force_login(prescriber)
    _, new, old = new_and_old(client, monkeypatch, REFUSALS, params)
    assert new == old


def test_the_refusal_export_for_one_patient_has_the_same_bytes(
    client, prescriber, monkeypatch, awkward_refusals
):
    patient = awkward_refusals[0].patient
    client.force_login(prescriber)
    params = {"patient": patient.registry_id}
    _, new, old = new_and_old(client, monkeypatch, REFUSALS, params)
    assert new == old
    assert len(rows_of(new)) == 3  # the header, the prescribe and the visit refusal


def test_the_awkward_cells_come_out_as_the_list_shows_them(staff_client, awkward_patients):
    rows = rows_of(body(staff_client.get(PATIENTS, {"_export": "csv", "sort": "enrolled_at"})))
    by_surname = {row[1].split(", ")[0]: row for row in rows[1:]}
    first = by_surname['\'=HYPERLINK("http://evil.example","x")']
    assert first[0] == awkward_patients[0].registry_id
    assert first[2:] == [
        "1 Jan 1990",
        "Enrolled",
        "Cannot get pregnant",
        "Ana María Pérez",
        "29 Mar 2025",
    ]
    assert by_surname["'+44 20 7946 0000"][5] == "dr-nameless"  # no name: the username
    assert by_surname["'-2+3"][5] == "'=cmd|' /C calc'!A0"
    assert by_surname["'@SUM(A1:A9)"][3] == "Completed"
    assert by_surname["'\tTabbed"][3] == "Withdrawn"
    assert by_surname["'\rReturned"][1] == "'\rReturned, Fa"
    assert by_surname["Ørsted-Åberg"][1] == "Ørsted-Åberg, Zoë 李"
    assert by_surname['O"Brien'][1] == 'O"Brien, Jr., Line\nbreak'
    assert by_surname["Émile"][1] == "Émile, =1+1"  # the cell does not start with =
    # 00:30 UTC in May is 01:30 BST, the same day; 23:30 UTC in September is the next day.
    assert by_surname["'+44 20 7946 0000"][6] == "9 May 2025"
    assert by_surname["'-2+3"][6] == "19 Sep 2025"


def test_the_refusal_cells_come_out_as_the_page_shows_them(
    client, prescriber, nurse, awkward_refusals
):
    client.force_login(prescriber)
    rows = rows_of(body(client.get(REFUSALS, {"_export": "csv", "sort": "at"})))
    prescribed, dispensed, enrolled, visit, ended = rows[1:]
    course = awkward_refusals[0].course
    assert prescribed[0] == "30 Mar 2025 00:15"
    assert prescribed[1] == "Prescribe"
    assert prescribed[2] == f"{prescriber.get_full_name()} ({prescriber.username})"
    assert prescribed[3] == f"{course.patient.full_name} ({course.patient.registry_id})"
    tried = prescribed[4].splitlines()
    assert tried[:2] == [
        f"course: {course.number}",
        f"prescription: #{awkward_refusals[0].prescription_id}",
    ]
    # What was typed, in the order the database keeps a JSON object's keys.
    assert sorted(tried[2:]) == ["methods: iud, condom", "mg per dose: 90", "note: +1 dose"]
    assert prescribed[5] == '\'=HYPERLINK("http://evil.example","x")\nDose above 2 mg/kg/day.'
    assert dispensed[0] == "30 Mar 2025 02:15"  # an hour later, after the clocks went forward
    assert dispensed[3].startswith("Zoë =Ørsted (")
    assert dispensed[4].startswith("pharmacy: Apothéke =Süd\n")
    assert enrolled[2:] == ["nameless", "", "", "'@SUM(1+1)"]
    assert visit[2] == "'@user Jones (formula)"
    assert visit[4:] == ["", ""]
    assert ended[5] == "42\nNone"


# Filters and ordering ----------------------------------------------------------------------


def test_the_filters_and_the_requested_order_apply(staff_client, awkward_patients):
    def export(**params):
        return rows_of(body(staff_client.get(PATIENTS, {"_export": "csv", **params})))[1:]

    def ids(**params):
        return [row[0] for row in export(**params)]

    by_enrolment = [p.registry_id for p in sorted(awkward_patients, key=lambda p: p.enrolled_at)]
    assert ids(sort="enrolled_at") == by_enrolment
    assert ids(sort="-enrolled_at") == by_enrolment[::-1]
    withdrawn = [p.registry_id for p in awkward_patients if p.status == "withdrawn"]
    assert sorted(ids(status="withdrawn")) == sorted(withdrawn)
    assert [row[1] for row in export(q="rivera")] == ["Rivera, Alex"]
    value_of = {label: value for value, label in Patient.Status.choices}
    statuses = [value_of[row[3]] for row in export(sort="status")]
    assert statuses == sorted(statuses)
    assert [value_of[row[3]] for row in export(sort="-status")] == sorted(statuses, reverse=True)


def test_an_impossible_registry_id_exports_the_header_alone(staff_client, awkward_patients):
    patient = awkward_patients[0]
    wrong = patient.registry_id[:-1] + next(c for c in ALPHABET if c != patient.registry_id[-1])
    response = staff_client.get(PATIENTS, {"q": wrong, "_export": "csv"})
    assert body(response) == PATIENT_HEADER.encode()


def test_an_impossible_registry_id_exports_no_refusal(client, prescriber, awkward_refusals):
    patient = awkward_refusals[0].patient
    wrong = patient.registry_id[:-1] + next(c for c in ALPHABET if c != patient.registry_id[-1])
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"patient": wrong, "_export": "csv"})
    assert body(response) == REFUSAL_HEADER.encode()


def test_the_pages_export_link_asks_for_these_rows_as_csv(staff_client, awkward_patients):
    page = staff_client.get(PATIENTS, {"status": "enrolled", "sort": "-enrolled_at"})
    link = "?status=enrolled&amp;sort=-enrolled_at&amp;_export=csv"
    assert f'href="{link}"' in page.content.decode()
    rows = rows_of(body(staff_client.get(PATIENTS + link.replace("&amp;", "&"))))
    enrolled = sorted(
        (p for p in awkward_patients if p.status == "enrolled"), key=lambda p: p.enrolled_at
    )
    assert [row[0] for row in rows[1:]] == [p.registry_id for p in reversed(enrolled)]


@pytest.mark.parametrize("url", [PATIENTS, REFUSALS])
def test_the_pages_link_the_same_rows_as_xlsx(client, prescriber, awkward_refusals, url):
    client.force_login(prescriber)
    sort = "-name" if url == PATIENTS else "at"
    page = client.get(url, {"sort": sort}).content.decode()
    assert f'href="?sort={sort}&amp;_export=csv">Export these rows as CSV</a>' in page
    assert f'href="?sort={sort}&amp;_export=xlsx">Export these rows as XLSX</a>' in page
    rows = xlsx_rows(client.get(url, {"sort": sort, "_export": "xlsx"}))
    assert rows == as_in_xlsx(rows_of(body(client.get(url, {"sort": sort, "_export": "csv"}))))
    assert len(rows) > 1


# XLSX --------------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_sheet(response):
    assert response.status_code == 200
    assert not response.streaming
    assert response["Content-Type"] == XLSX_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def xlsx_rows(response) -> list[list]:
    """The sheet's rows as the CSV has them: an empty cell is ""."""
    sheet = xlsx_sheet(response)
    return [["" if value is None else value for value in row] for row in sheet.values]


def as_in_xlsx(rows: list[list[str]]) -> list[list[str]]:
    """The CSV's rows with their line breaks as line feeds (XML reads a carriage return as
    one; exports.xlsx_value writes them so)."""
    return [[cell.replace("\r\n", "\n").replace("\r", "\n") for cell in row] for row in rows]


def csv_and_xlsx(client, url, params) -> tuple[list[list[str]], list[list]]:
    csv_rows = rows_of(body(client.get(url, {**params, "_export": "csv"})))
    return as_in_xlsx(csv_rows), xlsx_rows(client.get(url, {**params, "_export": "xlsx"}))


def test_the_patient_export_as_xlsx_is_an_attachment(staff_client, awkward_patients):
    response = staff_client.get(PATIENTS, {"_export": "xlsx"})
    sheet = xlsx_sheet(response)
    assert response["Content-Disposition"] == 'attachment; filename="patients.xlsx"'
    assert sheet.title == "patients"
    assert [cell.value for cell in sheet[1]] == PATIENT_HEADER.strip().split(",")
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 1 + len(awkward_patients)
    assert b"private clinical note" not in response.content


def test_the_refusal_export_as_xlsx_is_an_attachment(client, prescriber, awkward_refusals):
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"_export": "xlsx"})
    sheet = xlsx_sheet(response)
    assert response["Content-Disposition"] == 'attachment; filename="refused-actions.xlsx"'
    assert sheet.title == "refused-actions"
    assert [cell.value for cell in sheet[1]] == REFUSAL_HEADER.strip().split(",")
    assert sheet.max_row == 1 + len(awkward_refusals)
    # Each column as wide as its longest line, within a ceiling.
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEF"]
    assert all(8 <= width <= exports.XLSX_MAX_WIDTH for width in widths), widths


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "name"},
        {"sort": "-name"},
        {"sort": "-enrolled_at"},
        {"sort": "registry_id"},
        {"sort": "status"},
        {"status": "enrolled"},
        {"risk_category": "cannot_get_pregnant", "sort": "-enrolled_at"},
        {"q": "r"},
        {"q": "r", "sort": "-name"},
        {"q": "zoë"},
        {"q": "nobody-has-this-name"},
    ],
)
def test_the_patient_xlsx_has_the_csvs_header_rows_and_order(
    staff_client, awkward_patients, params
):
    csv_rows, xlsx = csv_and_xlsx(staff_client, PATIENTS, params)
    assert xlsx == csv_rows
    assert len(xlsx) > 1 or params.get("q") == "nobody-has-this-name"


def test_the_patient_xlsx_by_prescriber_has_the_csvs_rows(staff_client, awkward_patients):
    params = {"prescriber": awkward_patients[0].prescriber.pk, "sort": "enrolled_at"}
    csv_rows, xlsx = csv_and_xlsx(staff_client, PATIENTS, params)
    assert xlsx == csv_rows
    assert len(xlsx) == 1 + 5  # the five patients of dr-perez


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "at"},
        {"kind": "dispense"},
        {"user": "name"},
        {"date_from": "2025-03-30", "date_to": "2025-03-30"},
    ],
)
def test_the_refusal_xlsx_has_the_csvs_header_rows_and_order(
    client, prescriber, awkward_refusals, params
):
    client.force_login(prescriber)
    csv_rows, xlsx = csv_and_xlsx(client, REFUSALS, params)
    assert xlsx == csv_rows
    assert len(xlsx) > 1


def test_an_impossible_registry_id_exports_an_xlsx_of_the_header_alone(
    staff_client, awkward_patients
):
    patient = awkward_patients[0]
    wrong = patient.registry_id[:-1] + next(c for c in ALPHABET if c != patient.registry_id[-1])
    rows = xlsx_rows(staff_client.get(PATIENTS, {"q": wrong, "_export": "xlsx"}))
    assert rows == [PATIENT_HEADER.strip().split(",")]


def assert_no_formula(response) -> int:
    """No cell of the sheet is a formula, nor text a spreadsheet would read as one; the count
    of text cells."""
    sheet = xlsx_sheet(response)
    texts = 0
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "n"), (cell.coordinate, cell.value, cell.data_type)
            if isinstance(cell.value, str):
                texts += 1
                assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    assert b"<f " not in sheet_xml
    return texts


def test_formulas_in_the_patient_xlsx_are_inert_text(staff_client, prescriber, awkward_patients):
    PatientFactory(prescriber=prescriber, last_name='=HYPERLINK("http://x")', first_name="Ann")
    PatientFactory(prescriber=prescriber, last_name="@SUM(1)", first_name="Bo")
    response = staff_client.get(PATIENTS, {"_export": "xlsx", "sort": "name"})
    assert assert_no_formula(response) > 7 * len(awkward_patients)
    sheet = xlsx_sheet(response)
    names = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    for name in ('\'=HYPERLINK("http://x"), Ann', "'@SUM(1), Bo"):
        assert names[name].data_type == "s"
    prescribers = {row[5].value for row in sheet.iter_rows(min_row=2)}
    assert "'=cmd|' /C calc'!A0" in prescribers


def test_formulas_in_the_refusal_xlsx_are_inert_text(client, prescriber, awkward_refusals):
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"_export": "xlsx", "sort": "at"})
    assert_no_formula(response)
    rows = xlsx_rows(response)
    assert rows[1][5] == '\'=HYPERLINK("http://evil.example","x")\nDose above 2 mg/kg/day.'
    assert rows[3][5] == "'@SUM(1+1)"
    assert rows[4][2] == "'@user Jones (formula)"


def test_a_formula_header_is_inert_in_the_xlsx(monkeypatch, staff_client, awkward_patients):
    monkeypatch.setattr(
        exports, "export_headers", lambda table: ["=1+1", "@A1", "-1", "+1", "\tT", "\rR", "ok"]
    )
    response = staff_client.get(PATIENTS, {"_export": "xlsx"})
    assert assert_no_formula(response)
    header = [cell.value for cell in xlsx_sheet(response)[1]]
    assert header == ["'=1+1", "'@A1", "'-1", "'+1", "'\tT", "'\nR", "ok"]


def test_a_character_xml_cannot_carry_is_replaced_in_the_xlsx(staff_client, prescriber):
    PatientFactory(prescriber=prescriber, last_name="Bell\x07", first_name="\x1b=Esc")
    xlsx = xlsx_rows(staff_client.get(PATIENTS, {"_export": "xlsx"}))
    assert xlsx[1][1] == "Bell\ufffd, \ufffd=Esc"
    csv_rows = rows_of(body(staff_client.get(PATIENTS, {"_export": "csv"})))
    assert csv_rows[1][1] == "Bell\x07, \x1b=Esc"  # the CSV keeps them


# The XLSX row limit ------------------------------------------------------------------------


def test_an_xlsx_beyond_the_row_limit_is_refused_with_a_message(
    staff_client, monkeypatch, prescriber
):
    PatientFactory.create_batch(4, prescriber=prescriber)
    monkeypatch.setattr(exports, "XLSX_ROW_LIMIT", 3)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(PATIENTS, {"_export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    page = response.content.decode()
    assert "An XLSX export holds at most 3 rows" in page
    assert "export these rows as CSV, which has no limit" in page
    assert len(response.context["table"].rows) == 4  # the page itself, with its rows
    # One cheap query says so: a count of at most the limit + 1 rows, in no order.
    counts = [q["sql"] for q in queries if "registry_patient" in q["sql"] and "COUNT" in q["sql"]]
    assert len(counts) == 1
    assert "LIMIT 4" in counts[0]
    assert "ORDER BY" not in counts[0]
    # The CSV of the same rows has no limit.
    assert len(rows_of(body(staff_client.get(PATIENTS, {"_export": "csv"})))) == 5


def test_an_xlsx_of_the_limit_or_fewer_rows_is_exported(staff_client, monkeypatch, prescriber):
    PatientFactory.create_batch(3, prescriber=prescriber, status="withdrawn")
    PatientFactory(prescriber=prescriber, status="enrolled")
    monkeypatch.setattr(exports, "XLSX_ROW_LIMIT", 3)
    assert len(xlsx_rows(staff_client.get(PATIENTS, {"_export": "xlsx", "status": "withdrawn"})))
    refused = staff_client.get(PATIENTS, {"_export": "xlsx"})
    assert not refused.has_header("Content-Disposition")


def test_the_refusals_xlsx_has_the_row_limit_too(client, prescriber, monkeypatch, awkward_refusals):
    monkeypatch.setattr(exports, "XLSX_ROW_LIMIT", len(awkward_refusals) - 1)
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"_export": "xlsx"})
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    assert f"An XLSX export holds at most {len(awkward_refusals) - 1} rows" in (
        response.content.decode()
    )


def test_the_row_limit_is_stated_in_the_message():
    assert isinstance(exports.XLSX_ROW_LIMIT, int)
    assert exports.XLSX_ROW_LIMIT >= 10_000
    assert "at most 20,000 rows" in exports.too_many_rows(20_000)


# Only CSV and XLSX -------------------------------------------------------------------------

NOT_OFFERED = [
    "xls",
    "ods",
    "json",
    "yaml",
    "latex",
    "tsv",
    "html",
    "CSV",
    "XLSX",
    " csv",
    "xlsx ",
    "garbage",
    "",
    "x" * 5000,
    "xlsx\u200b",
    "éxport 李",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("wanted", NOT_OFFERED)
def test_the_patient_list_refuses_every_other_format_with_a_message(
    staff_client, awkward_patients, wanted
):
    response = staff_client.get(PATIENTS, {"_export": wanted})
    assert response.status_code == 200
    assert not response.streaming
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    page = response.content.decode()
    assert str(UNOFFERED) in page
    assert "<script>alert(1)" not in page  # the value asked for is not shown
    assert len(response.context["table"].rows)  # the page itself, with its rows


@pytest.mark.parametrize("wanted", NOT_OFFERED)
def test_the_refusals_page_refuses_every_other_format_with_a_message(
    client, prescriber, awkward_refusals, wanted
):
    client.force_login(prescriber)
    response = client.get(REFUSALS, {"_export": wanted})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")
    assert str(UNOFFERED) in response.content.decode()


def test_the_message_names_the_offered_formats():
    assert "CSV" in UNOFFERED
    assert "XLSX" in UNOFFERED
    assert len(UNOFFERED) < 120


def test_the_last_export_asked_for_is_the_one_answered(staff_client, awkward_patients):
    """?_export=json&_export=csv (the page's link after a refused format) is a CSV, and the
    same with xlsx; the other way round it is refused."""
    assert staff_client.get(PATIENTS + "?_export=json&_export=csv").streaming
    xlsx = staff_client.get(PATIENTS + "?_export=csv&_export=xlsx")
    assert xlsx["Content-Type"] == XLSX_TYPE
    refused = staff_client.get(PATIENTS + "?_export=csv&_export=json")
    assert not refused.streaming
    assert not refused.has_header("Content-Disposition")
    assert str(UNOFFERED) in refused.content.decode()


def test_the_message_is_shown_once(staff_client, awkward_patients):
    staff_client.get(PATIENTS, {"_export": "json"})
    assert str(UNOFFERED) not in staff_client.get(PATIENTS).content.decode()


# Queries -----------------------------------------------------------------------------------


def count_queries(client, url, params, wanted="csv") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {**params, "_export": wanted})
        data = body(response) if wanted == "csv" else response.content
    assert data
    return len(queries), [query["sql"] for query in queries]


def test_the_patient_export_takes_the_same_queries_for_3_or_300_patients(staff_client, prescriber):
    prescribers = [UserFactory(roles=[Role.PRESCRIBER]) for _ in range(3)]
    for index in range(3):
        PatientFactory(prescriber=prescribers[index])
    small, _ = count_queries(staff_client, PATIENTS, {"sort": "-enrolled_at"})
    Patient.objects.bulk_create(
        [
            PatientFactory.build(prescriber=prescribers[i % 3], registry_id=f"EXP{i:04d}")
            for i in range(297)
        ]
    )
    assert Patient.objects.count() == 300
    large, statements = count_queries(staff_client, PATIENTS, {"sort": "-enrolled_at"})
    assert small == large
    patient_reads = [sql for sql in statements if "registry_patient" in sql]
    assert len(patient_reads) == 1  # one statement, the prescriber's name joined in
    assert "auth_user" in patient_reads[0]


def test_the_patient_xlsx_takes_the_same_queries_for_3_or_300_patients(staff_client, prescriber):
    PatientFactory.create_batch(3, prescriber=prescriber)
    small, _ = count_queries(staff_client, PATIENTS, {"sort": "-enrolled_at"}, "xlsx")
    Patient.objects.bulk_create(
        [PatientFactory.build(prescriber=prescriber, registry_id=f"XLS{i:04d}") for i in range(297)]
    )
    large, statements = count_queries(staff_client, PATIENTS, {"sort": "-enrolled_at"}, "xlsx")
    assert small == large
    patient_reads = [sql for sql in statements if "registry_patient" in sql]
    assert len(patient_reads) == 2  # the count up to the limit, then the rows, as values
    assert "COUNT" in patient_reads[0]
    assert "auth_user" in patient_reads[1]


def test_the_refusal_export_takes_the_same_queries_for_3_or_300_refusals(
    client, prescriber, nurse, male_patient, start_course, make_pharmacy
):
    course = start_course(male_patient, start_date=days_ago(30))
    pharmacy = make_pharmacy()
    users = [nurse, prescriber, UserFactory()]

    def add(count):
        RefusedAction.objects.bulk_create(
            [
                RefusedAction(
                    kind="dispense",
                    user=users[i % 3],
                    patient=male_patient if i % 2 else None,
                    course=course if i % 3 else None,
                    pharmacy=pharmacy if i % 5 else None,
                    reasons=[f"r{i}"],
                    details={"i": i},
                )
                for i in range(count)
            ]
        )

    add(3)
    client.force_login(prescriber)
    small, _ = count_queries(client, REFUSALS, {})
    add(297)
    large, statements = count_queries(client, REFUSALS, {})
    assert small == large
    assert len([sql for sql in statements if "dosing_refusedaction" in sql]) == 1


@pytest.mark.django_db(transaction=True)
def test_the_export_streams_outside_a_transaction(client):
    """As a server runs it: autocommit, the cursor read after the view has returned (on
    PostgreSQL a named cursor WITH HOLD, which outlives the statement's transaction)."""
    prescriber = UserFactory(roles=[Role.PRESCRIBER])
    PatientFactory.create_batch(5, prescriber=prescriber)
    client.force_login(UserFactory(roles=[Role.CLINICAL_STAFF]))
    assert connection.get_autocommit()
    response = client.get(PATIENTS, {"_export": "csv"})
    assert len(rows_of(body(response))) == 6


# Who may export ----------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", ["registry_admin", "pharmacist", "patient"])
def test_other_roles_get_404_for_the_patient_export(client, personas, persona, wanted):
    client.force_login(personas[persona])
    assert client.get(PATIENTS, {"_export": wanted}).status_code == 404


@pytest.mark.parametrize("wanted", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", ["nurse", "pharmacist", "patient"])
def test_other_roles_get_404_for_the_refusal_export(client, personas, persona, wanted):
    client.force_login(personas[persona])
    assert client.get(REFUSALS, {"_export": wanted}).status_code == 404


@pytest.mark.parametrize("wanted", ["csv", "xlsx"])
@pytest.mark.parametrize("url", [PATIENTS, REFUSALS])
def test_signed_out_the_export_goes_to_sign_in(client, db, url, wanted):
    response = client.get(url, {"_export": wanted})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["prescriber", "registry_admin"])
def test_prescribers_and_registry_admins_export_the_refusals(
    client, personas, awkward_refusals, persona
):
    client.force_login(personas[persona])
    assert client.get(REFUSALS, {"_export": "csv"}).streaming
