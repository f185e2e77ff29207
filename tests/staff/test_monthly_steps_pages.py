"""The monthly steps on the staff pages (docs/CLINICAL_RULES.md, "The monthly steps"): the
patient page's "This month" card and its counselling button, what an outsider may post to it,
the worklist section, and the month's CSV."""

import csv
import datetime
import io
import json
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.staff import worklist
from dosing.models import CounsellingConfirmation, RefusedAction, TreatmentCourse
from dosing.monthly_steps import Month
from registry.models import RecordAccess
from tests.conftest import VNU_JAR
from tests.dosing import monthly_rows as rows
from tests.dosing.monthly_rows import at
from tests.factories import PatientFactory

D = datetime.date
NOW = Month.current()


def card(client, patient) -> str:
    html = client.get(patient.get_absolute_url()).content.decode()
    start = html.find('data-testid="this-month"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def confirm(client, patient, **fields):
    data = {"course": "", "month": str(NOW), **fields}
    return client.post(reverse("staff:counselling-confirm", args=[patient.pk]), data)


@pytest.fixture
def in_treatment(female_patient, start_course):
    return start_course(female_patient)


# The card ----------------------------------------------------------------------------------


def test_the_card_lists_the_five_steps_of_this_month(client, nurse, in_treatment, record_test):
    patient = in_treatment.patient  # confirmed this month (female_patient)
    record_test(patient, 0)
    client.force_login(nurse)
    html = card(client, patient)
    assert f"This month: {NOW.label}" in html
    for key, state in [
        ("test", "done"),
        ("confirmation", "done"),
        ("counselling", "missing"),
        ("prescription", "missing"),
        ("pickup", "missing"),
    ]:
        assert f'data-testid="step-{key}" data-state="{state}"' in html
    # A nurse sees that counselling is missing, and no button to confirm it.
    assert "A prescriber confirms it" in html
    assert "Confirm counselling" not in html


def test_a_patient_who_cannot_get_pregnant_needs_no_test_nor_confirmation(
    client, prescriber, male_patient, start_course
):
    start_course(male_patient)
    client.force_login(prescriber)
    html = card(client, male_patient)
    assert 'data-testid="step-test" data-state="not needed"' in html
    assert 'data-testid="step-confirmation" data-state="not needed"' in html
    assert "Confirm counselling" in html


def test_no_card_without_a_course_in_treatment(client, prescriber, female_patient):
    client.force_login(prescriber)
    assert card(client, female_patient) == ""


def test_a_prescriber_confirms_counselling_from_the_card(client, prescriber, in_treatment):
    patient = in_treatment.patient
    client.force_login(prescriber)
    response = confirm(client, patient, course=in_treatment.pk)
    assert response.status_code == 302
    assert response.url == f"{patient.get_absolute_url()}#this-month"
    row = CounsellingConfirmation.objects.get()
    assert (row.course, row.month, row.confirmed_by) == (in_treatment, NOW.first, prescriber)
    page = client.get(patient.get_absolute_url()).content.decode()
    assert f"Counselling confirmed for {NOW.label}." in page
    html = card(client, patient)
    assert 'data-testid="step-counselling" data-state="done"' in html
    assert "Confirm counselling" not in html


# What an outsider may try ------------------------------------------------------------------


def nothing_confirmed():
    return not CounsellingConfirmation.objects.exists()


def test_a_nurse_posting_the_confirmation_is_refused(client, nurse, in_treatment):
    client.force_login(nurse)
    response = confirm(client, in_treatment.patient, course=in_treatment.pk)
    assert response.status_code == 302
    assert nothing_confirmed()
    refusal = RefusedAction.objects.get()
    assert (refusal.kind, refusal.user) == (RefusedAction.Kind.COUNSELLING, nurse)
    page = client.get(in_treatment.patient.get_absolute_url()).content.decode()
    assert "Only a prescriber can confirm the monthly counselling." in page


@pytest.mark.parametrize("course_id", ["other", "missing", "", "abc", "1 OR 1=1", "-1", "9" * 30])
def test_another_patients_or_no_course_is_404(
    client, prescriber, in_treatment, male_patient, start_course, course_id
):
    other = start_course(male_patient)
    value = {"other": other.pk, "missing": 999999}.get(course_id, course_id)
    client.force_login(prescriber)
    assert confirm(client, in_treatment.patient, course=value).status_code == 404
    assert nothing_confirmed()


def test_another_patient_in_the_url_is_404_too(client, prescriber, in_treatment):
    client.force_login(prescriber)
    url = reverse("staff:counselling-confirm", args=[999999])
    response = client.post(url, {"course": in_treatment.pk, "month": str(NOW)})
    assert response.status_code == 404
    assert nothing_confirmed()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (str(NOW.next), f"{NOW.next.label} has not started"),
        ("2026-13", "Give the month as year and month, for example 2026-12."),
        ("", "This field is required."),
        ("2026-12' OR 1=1", "at most 7 characters"),
    ],
)
def test_a_month_not_started_or_not_a_month_is_refused(
    client, prescriber, in_treatment, month, message
):
    client.force_login(prescriber)
    response = confirm(client, in_treatment.patient, course=in_treatment.pk, month=month)
    assert response.status_code == 302
    assert nothing_confirmed()
    assert RefusedAction.objects.filter(kind=RefusedAction.Kind.COUNSELLING).count() == 1
    page = client.get(in_treatment.patient.get_absolute_url()).content.decode()
    assert "Counselling not confirmed" in page
    assert message.replace("'", "&#x27;") in page


def test_a_get_is_not_allowed(client, prescriber, in_treatment):
    client.force_login(prescriber)
    url = reverse("staff:counselling-confirm", args=[in_treatment.patient.pk])
    assert client.get(url).status_code == 405


# The worklist section ----------------------------------------------------------------------


def test_the_worklist_lists_courses_with_a_step_missing(
    client, nurse, prescriber, in_treatment, male_patient, start_course, make_pharmacy
):
    complete = start_course(male_patient)  # cannot get pregnant: three steps
    CounsellingConfirmation.objects.create(
        course=complete, month=NOW.first, confirmed_by=prescriber
    )
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    section = next(s for s in response.context["sections"] if s["key"] == "monthly")
    assert section["rows"] == [in_treatment, complete]  # no prescription or pick-up yet
    html = response.content.decode()
    assert 'data-testid="count-monthly">2<' in html
    assert reverse("staff:monthly-steps-csv") in html
    rx = rows.prescription(complete, NOW.first, by=prescriber)
    rows.pick_up(rx, at(NOW.year, NOW.month, 1), pharmacy=make_pharmacy(), by=nurse)
    assert list(worklist.monthly_steps_missing(NOW.first)) == [in_treatment]


def test_the_worklist_section_shows_what_is_missing(client, nurse, in_treatment):
    client.force_login(nurse)
    html = client.get(reverse("staff:worklist-section", args=["monthly"])).content.decode()
    assert in_treatment.patient.registry_id in html
    for label in ("Counselling", "Prescription", "Pick-up"):
        assert f'<span class="badge text-bg-warning me-1">{label}</span>' in html
    assert '<span class="badge text-bg-warning me-1">Pregnancy test</span>' in html


# The CSV -----------------------------------------------------------------------------------


@pytest.fixture
def june(prescriber, nurse, make_pharmacy):
    """June 2026, by hand: a patient with every step, one who cannot get pregnant with two of
    three, one whose name is a formula with none, and courses not in treatment in June."""
    pharmacy = make_pharmacy()

    def patient(last, first, risk):
        return PatientFactory(
            prescriber=prescriber, last_name=last, first_name=first, risk_category=risk
        )

    anna = patient("Adams", "Anna", "can_get_pregnant")
    course = rows.course(anna, by=prescriber, start=D(2026, 5, 10))
    rows.pregnancy_test(anna, D(2026, 6, 2), by=nurse)
    rows.confirmation(anna, D(2026, 6, 3))
    rows.counselled(course, D(2026, 6, 1), by=prescriber, moment=at(2026, 6, 3, 9))
    rx = rows.prescription(course, D(2026, 6, 3), by=prescriber)
    rows.pick_up(rx, at(2026, 6, 5, 16), pharmacy=pharmacy, by=nurse)

    ben = patient("Brown", "Ben", "cannot_get_pregnant")
    course = rows.course(ben, by=prescriber, start=D(2026, 4, 20))
    rows.counselled(course, D(2026, 6, 1), by=prescriber, moment=at(2026, 6, 20, 23, 59))
    rows.prescription(course, D(2026, 6, 21), by=prescriber)

    # Sorts first by any collation ("@" before letters, or ignored: "Aaron").
    formula = patient("@Aaron", '=HYPERLINK("http://evil.example","x")', "can_get_pregnant")
    rows.course(formula, by=prescriber, start=D(2026, 6, 30))

    planned = patient("Planned", "Pat", "can_get_pregnant")
    rows.course(planned, by=prescriber, start=D(2026, 6, 15), status="planned")
    ended = patient("Ended", "Ed", "can_get_pregnant")
    done = rows.course(ended, by=prescriber, start=D(2026, 1, 5), status="completed")
    TreatmentCourse.objects.filter(pk=done.pk).update(end_date=D(2026, 5, 31))
    return anna, ben, formula


def download(client, month):
    response = client.get(reverse("staff:monthly-steps-csv"), {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="monthly-steps-{month}.csv"'
    return b"".join(response.streaming_content).decode()


def test_the_csv_holds_the_months_steps_per_patient(client, nurse, june):
    anna, ben, formula = june
    client.force_login(nurse)
    lines = list(csv.reader(io.StringIO(download(client, "2026-06"))))
    assert lines == [
        [
            "Registry ID",
            "Name",
            "Risk category",
            "Course",
            "Pregnancy test",
            "Patient confirmation",
            "Counselling",
            "Prescription",
            "Pick-up",
            "Missing",
        ],
        [
            formula.registry_id,
            '\'=HYPERLINK("http://evil.example","x") @Aaron',
            "Can get pregnant",
            "1",
            "",
            "",
            "",
            "",
            "",
            "Pregnancy test; Patient confirmation; Counselling; Prescription; Pick-up",
        ],
        [
            anna.registry_id,
            "Anna Adams",
            "Can get pregnant",
            "1",
            "2026-06-02",
            "2026-06-03",
            "2026-06-03",
            "2026-06-03",
            "2026-06-05",
            "",
        ],
        [
            ben.registry_id,
            "Ben Brown",
            "Cannot get pregnant",
            "1",
            "",
            "",
            "2026-06-20",
            "2026-06-21",
            "",
            "Pick-up",
        ],
    ]


def test_the_csv_of_may_has_what_was_in_treatment_then(client, prescriber, june):
    client.force_login(prescriber)
    text = download(client, "2026-05")
    for name in ("Adams", "Brown", "Ended"):
        assert name in text
    for name in ("HYPERLINK", "Planned"):
        assert name not in text


def test_the_csv_without_a_month_is_this_months(client, nurse, in_treatment):
    client.force_login(nurse)
    response = client.get(reverse("staff:monthly-steps-csv"))
    assert response["Content-Disposition"] == f'attachment; filename="monthly-steps-{NOW}.csv"'
    assert in_treatment.patient.registry_id in b"".join(response.streaming_content).decode()


def test_the_csv_is_logged_as_one_export(client, nurse, june):
    client.force_login(nurse)
    download(client, "2026-06")
    access = RecordAccess.objects.get(kind=RecordAccess.Kind.EXPORT)
    assert (access.user, access.patient, access.what) == (nurse, None, "Monthly steps CSV")
    assert access.detail == {"format": "csv", "filter": {"month": "2026-06"}}


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "Give the month as year and month, for example 2026-12."),
        ("June", "Give the month as year and month, for example 2026-12."),
        ("2026-06-01", "Ensure this value has at most 7 characters"),
        (str(NOW.next), f"{NOW.next.label} has not started yet"),
        ("9999-12", "Give the month as year and month"),
    ],
)
def test_a_month_that_is_not_one_shows_the_reason_not_a_file(client, nurse, june, month, message):
    client.force_login(nurse)
    response = client.get(reverse("staff:monthly-steps-csv"), {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    html = response.content.decode()
    assert message in html
    assert 'id="error_1_id_month"' in html  # crispy's error, next to the field
    assert not RecordAccess.objects.filter(kind=RecordAccess.Kind.EXPORT).exists()


def test_the_csv_reads_the_same_queries_for_many_courses(client, nurse, prescriber):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            download(client, str(NOW))
        return len(captured)

    def add(n):
        for _ in range(n):
            patient = PatientFactory(prescriber=prescriber)
            course = rows.course(patient, by=prescriber, start=NOW.first)
            rows.prescription(course, NOW.first, by=prescriber)

    client.force_login(nurse)
    add(2)
    few = queries()
    add(20)
    assert queries() == few


# Valid HTML --------------------------------------------------------------------------------


@pytest.mark.html_checker
def test_the_card_the_section_and_the_csv_form_are_valid_html(
    client, prescriber, nurse, in_treatment, tmp_path
):
    """The permission table's walk (tests/security/test_html_valid.py) sees the patient page
    before any course exists and the CSV as a file: these are the pages with the new parts."""
    patient = in_treatment.patient
    documents = {}
    for user in (prescriber, nurse):
        client.force_login(user)
        documents[f"patient-{user.username}.html"] = client.get(patient.get_absolute_url())
    documents["worklist.html"] = client.get(reverse("staff:worklist"))
    documents["section.html"] = client.get(reverse("staff:worklist-section", args=["monthly"]))
    documents["csv-refused.html"] = client.get(
        reverse("staff:monthly-steps-csv"), {"month": "2026-13"}
    )
    for name, response in documents.items():
        assert response.status_code == 200, name
        (tmp_path / name).write_bytes(response.content)
    assert 'data-testid="this-month"' in documents["patient-dr.okafor.html"].content.decode()
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
