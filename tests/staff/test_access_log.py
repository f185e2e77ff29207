"""Every read of a patient's record is logged (issue 16, point 3; HIPAA 164.312(b)): each page
that shows one patient's record writes exactly one RecordAccess row with the user, the patient
and the kind; an export writes one row with its filter and no patient; a POST, a refused
look-up and a list page write none.

The first test walks the URL permission table: every URL whose arguments name a patient, a
course or a flag, GET as a role allowed, must log one access for that patient. A new patient
page without logging fails there, unless NOT_LOGGED says why.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Pharmacist, RecordAccess
from tests.clinic.test_url_permissions import (
    OK,
    ROLES,
    TABLE,
    a_course,
    a_flag,
    a_patient,
    a_positive_test,
    a_prescription,
    a_visit,
    the_patient,
    url_for,
)

RECORD_ARGUMENTS = {
    a_patient,
    the_patient,
    a_course,
    a_flag,
    a_prescription,
    a_visit,
    a_positive_test,
}
# Pages that show a patient's record and do not log, with the reason (docs/SECURITY.md).
NOT_LOGGED = {
    "staff:course-prescribe-check": "a part of the prescribing page (which logged), asked for "
    "again at each keystroke of the dose",
    "staff:visit-follow-up-slots": "a part of the visit form (which logged), asked for again "
    "as the follow-up day changes",
    "portal:course-schedule": "the patient's own record, shown to the patient",
    "portal:course-progress": "the patient's own record, shown to the patient",
}


def record_pages():
    for name, (kwargs, answers) in TABLE.items():
        named = callable(kwargs) and kwargs in RECORD_ARGUMENTS
        if named and OK in answers.values() and name not in NOT_LOGGED:
            yield name


def newest(after_pk=0):
    return list(RecordAccess.objects.filter(pk__gt=after_pk).order_by("pk"))


def last_pk():
    return RecordAccess.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_the_walk_finds_the_patient_pages_and_every_exemption_is_a_real_url():
    assert len(list(record_pages())) >= 11
    assert set(NOT_LOGGED) <= set(TABLE)
    assert all(reason.strip() for reason in NOT_LOGGED.values())


@pytest.mark.parametrize("url_name", list(record_pages()))
def test_each_page_of_a_patient_logs_one_access_for_that_patient(client, personas, url_name):
    role = next(role for role in ROLES if TABLE[url_name][1][role] == OK)
    user, patient = personas[role], personas["patient"].patient
    client.force_login(user)
    url = url_for(url_name, personas)  # makes the course or flag the row names
    before = last_pk()
    response = client.get(url)
    assert response.status_code == 200
    [access] = newest(before)
    assert (access.user, access.patient, access.kind) == (user, patient, "page")
    assert access.what
    assert access.detail == {}


def test_a_page_for_a_patient_that_does_not_exist_logs_nothing(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("staff:patient-detail", args=[10**9])).status_code == 404
    assert not RecordAccess.objects.exists()


def test_a_post_logs_nothing_its_page_after_the_redirect_does(client, personas):
    client.force_login(personas["nurse"])
    patient = personas["patient"].patient
    url = reverse("staff:pregnancy-test-new", args=[patient.pk])
    response = client.post(url, {"specimen_date": "2999-01-01", "result": "negative"})
    assert response.status_code == 200  # refused: a date in the future (a RefusedAction)
    assert not RecordAccess.objects.exists()


def test_the_insert_is_the_only_query_logging_adds(client, personas):
    client.force_login(personas["nurse"])
    url = reverse("staff:patient-reminders", args=[personas["patient"].patient.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    writes = [q["sql"] for q in captured.captured_queries if "registry_recordaccess" in q["sql"]]
    assert len(writes) == 1
    assert writes[0].startswith("INSERT")


# Lists and their exports ---------------------------------------------------------------------


def test_the_patient_list_logs_nothing_and_its_export_one_row_with_the_filter(client, personas):
    client.force_login(personas["nurse"])
    assert client.get("/patients/", {"q": "Rivera", "status": "enrolled"}).status_code == 200
    assert not RecordAccess.objects.exists()
    response = client.get(
        "/patients/", {"q": "Rivera", "status": "enrolled", "after": "x", "_export": "csv"}
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [access] = RecordAccess.objects.all()
    assert (access.user, access.patient, access.kind) == (personas["nurse"], None, "export")
    assert access.what == "Patient list export"
    # The filter, without the page cursor; never the rows (no name of the export's rows).
    assert access.detail == {"format": "csv", "filter": {"q": "Rivera", "status": "enrolled"}}


def test_an_xlsx_export_of_refusals_logs_one_row(client, personas):
    client.force_login(personas["prescriber"])
    response = client.get("/refusals/", {"kind": "visit", "_export": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    [access] = RecordAccess.objects.all()
    assert (access.patient, access.kind, access.what) == (None, "export", "Refused actions export")
    assert access.detail == {"format": "xlsx", "filter": {"kind": "visit"}}


def test_an_export_not_offered_logs_nothing(client, personas):
    client.force_login(personas["nurse"])
    assert client.get("/patients/", {"_export": "json"}).status_code == 200
    assert not RecordAccess.objects.exists()


def test_a_hostile_query_string_is_logged_cut_short(client, personas):
    client.force_login(personas["nurse"])
    query = {f"p{i}": "x" * 5000 for i in range(50)}
    response = client.get("/patients/", {**query, "_export": "csv"})
    b"".join(response.streaming_content)
    [access] = RecordAccess.objects.all()
    assert len(access.detail["filter"]) == 20
    assert all(len(value) == 200 for value in access.detail["filter"].values())


# Dispensing look-ups ------------------------------------------------------------------------


@pytest.fixture
def rx(male_patient, start_course, prescribe):
    return prescribe(start_course(male_patient))


def test_a_pharmacist_look_up_logs_one_row_for_the_patient(client, pharmacist, make_pharmacy, rx):
    pharmacy = make_pharmacy()
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    client.force_login(pharmacist)
    patient = rx.course.patient
    html = client.get(reverse("pharmacy:home"), {"registry_id": patient.registry_id}).content
    assert patient.full_name in html.decode()
    [access] = RecordAccess.objects.all()
    assert (access.user, access.patient, access.kind) == (pharmacist, patient, "lookup")
    assert access.detail == {"pharmacy": pharmacy.pk, "prescription": rx.pk}
    # The start page without a look-up shows nobody: nothing more.
    client.get(reverse("pharmacy:home"))
    assert RecordAccess.objects.count() == 1


def test_a_refused_look_up_logs_no_access(client, pharmacist, make_pharmacy, rx):
    Pharmacist.objects.create(user=pharmacist, pharmacy=make_pharmacy(status="suspended"))
    client.force_login(pharmacist)
    client.get(reverse("pharmacy:home"), {"registry_id": rx.course.patient.registry_id})
    assert not RecordAccess.objects.exists()


def test_staff_dispensing_on_a_pharmacys_behalf_logs_the_look_up(client, nurse, make_pharmacy, rx):
    pharmacy = make_pharmacy()
    client.force_login(nurse)
    params = {"registry_id": rx.course.patient.registry_id, "pharmacy": pharmacy.pk}
    assert client.get(reverse("pharmacy:staff-dispense"), params).status_code == 200
    [access] = RecordAccess.objects.all()
    assert (access.user, access.patient, access.kind) == (nurse, rx.course.patient, "lookup")
    assert access.what == "Dispensing on a pharmacy's behalf"


# The admin site ----------------------------------------------------------------------------


def test_the_admin_patient_page_and_its_history_log(client, personas):
    admin_user, patient = personas["registry_admin"], personas["patient"].patient
    client.force_login(admin_user)
    for name in ("admin:registry_patient_change", "admin:registry_patient_history"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 200
    assert [(a.user, a.patient, a.what) for a in RecordAccess.objects.order_by("pk")] == [
        (admin_user, patient, "Patient (admin site)"),
        (admin_user, patient, "Patient history (admin site)"),
    ]
    client.get(reverse("admin:registry_patient_change", args=[10**9]))  # redirects: none
    assert RecordAccess.objects.count() == 2


# The patient page's card ---------------------------------------------------------------------


def test_the_patient_page_shows_who_looked_latest_first_in_one_query(client, personas):
    patient = personas["patient"].patient
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    nurse.first_name, nurse.last_name = "<b>Nia</b>", "Lind"
    nurse.save()
    client.force_login(nurse)
    for _ in range(11):
        client.get(reverse("staff:patient-reminders", args=[patient.pk]))
    client.force_login(prescriber)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("staff:patient-detail", args=[patient.pk])).content.decode()
    card = html.split('data-testid="patient-accesses"')[1].split("</section>")[0]
    assert card.count("<li") == 10  # the latest ten of twelve
    assert card.index("Patient page") < card.index("Reminder send log")  # this visit first
    assert "&lt;b&gt;Nia&lt;/b&gt; Lind" in card
    assert "<b>Nia</b>" not in card
    assert "Audit trail of this patient" not in card  # only for registry admins
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and "registry_recordaccess" in q["sql"]
    ]
    assert len(reads) == 1
