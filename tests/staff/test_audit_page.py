"""The audit page (issue 16, point 3): registry admins read who looked at patients' records
and what changed in one patient's record, filtered by patient, user, dates and kind, with the
access log as CSV. Everyone else gets 404; nothing typed into the clinic runs on the page."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from registry import services
from registry.audit import record_access
from registry.models import RecordAccess
from tests.factories import PatientFactory, UserFactory

URL = "/registry-admin/audit/"
UTC = datetime.UTC


@pytest.fixture
def log(personas):
    """Accesses by the nurse and the prescriber, to the two patients, of every kind, on three
    days (one of them 23:30 UTC on 30 June: 1 July in the clinic's zone)."""
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    alex, jordan = personas["patient"].patient, personas["other_patient"].patient
    rows = [
        (nurse, alex, "page", "Patient page", datetime.datetime(2026, 6, 1, 9, tzinfo=UTC)),
        (nurse, jordan, "page", "Course page", datetime.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
        (prescriber, alex, "page", "Prescribing page", datetime.datetime(2026, 7, 2, tzinfo=UTC)),
        (
            prescriber,
            None,
            "export",
            "Patient list export",
            datetime.datetime(2026, 7, 3, tzinfo=UTC),
        ),
    ]
    made = []
    for user, patient, kind, what, at in rows:
        access = record_access(
            user, patient, kind, what, {"format": "csv"} if not patient else None
        )
        RecordAccess.objects.filter(pk=access.pk).update(at=at)
        made.append(access.what)
    return made


def whats(response) -> list[str]:
    table = response.content.decode().split('data-testid="accesses"')[1].split("</table>")[0]
    return [
        what
        for what in (
            "Patient page",
            "Course page",
            "Prescribing page",
            "Patient list export",
            "Audit page",
        )
        if what in table
    ]


def signed_in(client, personas, role="registry_admin"):
    client.force_login(personas[role])
    return client


@pytest.mark.parametrize("role", ["nurse", "prescriber", "pharmacist", "patient"])
def test_only_registry_admins_reach_the_audit_page(client, personas, role):
    assert signed_in(client, personas, role).get(URL).status_code == 404
    assert signed_in(client, personas, role).get(URL, {"_export": "csv"}).status_code == 404


def test_the_registry_admin_finds_it_from_the_start_page_and_the_navigation(client, personas):
    html = signed_in(client, personas).get(reverse("staff:registry-admin-home")).content.decode()
    assert html.count(f'href="{URL}"') == 2  # the card's button and the navigation bar


def test_every_access_newest_first_without_a_filter(client, personas, log):
    response = signed_in(client, personas).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('data-testid="accesses"')[1]
    order = [table.index(what) for what in reversed(log)]
    assert order == sorted(order)
    assert "Give a patient" in html  # no patient asked: no change history shown
    assert not RecordAccess.objects.filter(what="Audit page").exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "okafor"}, ["Prescribing page", "Patient list export"]),
        ({"user": "LIND"}, ["Patient page", "Course page"]),
        ({"kind": "export"}, ["Patient list export"]),
        ({"date_from": "2026-07-01", "date_to": "2026-07-02"}, ["Course page", "Prescribing page"]),
        ({"date_to": "2026-06-30"}, ["Patient page"]),
        ({"user": "nobody"}, []),
    ],
)
def test_filters_by_user_kind_and_the_clinics_days(client, personas, log, query, expected):
    assert whats(signed_in(client, personas).get(URL, query)) == expected


def test_filters_by_patient_and_shows_what_changed_and_logs_that_look(client, personas, log):
    alex = personas["patient"].patient
    services.change_status(alex, "withdrawn", "Moved <script>away</script>", by=personas["nurse"])
    response = signed_in(client, personas).get(URL, {"patient": alex.registry_id.lower()})
    assert whats(response) == ["Patient page", "Prescribing page"]
    changes = response.content.decode().split('data-testid="changes"')[1]
    assert alex.full_name in changes
    assert "Withdrawn" in changes
    assert "nurse.lind" in changes
    assert "&lt;script&gt;away&lt;/script&gt;" in changes
    assert "<script>away" not in changes
    # The change history is the patient's record: this look is logged, for that patient.
    access = RecordAccess.objects.get(what="Audit page")
    assert (access.user, access.patient, access.kind) == (personas["registry_admin"], alex, "page")


def test_the_change_history_narrows_by_user_and_date(client, personas):
    alex = personas["patient"].patient
    services.change_status(alex, "withdrawn", "Moved away", by=personas["nurse"])
    admin = signed_in(client, personas)
    by_other = admin.get(URL, {"patient": alex.registry_id, "user": "okafor"}).content.decode()
    assert "Moved away" not in by_other.split('data-testid="changes"')[1]
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    later = admin.get(URL, {"patient": alex.registry_id, "date_from": tomorrow}).content.decode()
    assert "No change matches." in later
    now = admin.get(URL, {"patient": alex.registry_id, "date_from": today.isoformat()})
    assert "Moved away" in now.content.decode().split('data-testid="changes"')[1]


def test_a_mistyped_registry_id_shows_its_message_and_no_rows(client, personas, log):
    alex = personas["patient"].patient
    wrong = alex.registry_id[:-1] + ("A" if alex.registry_id[-1] != "A" else "B")
    response = signed_in(client, personas).get(URL, {"patient": wrong})
    assert response.status_code == 200
    assert "is not a whole registry ID" in response.content.decode()
    assert whats(response) == []


def test_the_csv_has_the_filtered_rows_and_its_export_is_logged(client, personas, log):
    response = signed_in(client, personas).get(URL, {"user": "lind", "_export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="access-log.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["When", "Who", "Kind", "What", "Patient", "Asked for"]
    alex, jordan = personas["patient"].patient, personas["other_patient"].patient
    assert [(row[2], row[3], row[4]) for row in rows[1:]] == [
        ("Page", "Course page", f"{jordan.full_name} ({jordan.registry_id})"),
        ("Page", "Patient page", f"{alex.full_name} ({alex.registry_id})"),
    ]
    assert rows[1][0] == "1 Jul 2026 00:30"  # the clinic's time
    assert rows[1][1] == "nurse.lind" or "(nurse.lind)" in rows[1][1]
    access = RecordAccess.objects.get(what="Access log export")
    assert (access.patient, access.kind) == (None, "export")
    assert access.detail == {"format": "csv", "filter": {"user": "lind"}}


def test_the_csv_says_what_an_export_asked_for(client, personas, log):
    response = signed_in(client, personas).get(URL, {"kind": "export", "_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # The file is read as it streams, after its own row was written: that row is in it too.
    assert [row[3:] for row in rows[1:]] == [
        ["Access log export", "", "filter: kind=export\nformat: csv"],
        ["Patient list export", "", "format: csv"],
    ]


def test_hostile_names_and_details_are_shown_as_text(client, personas):
    mallory = UserFactory(
        username="mallory", first_name="<img src=x onerror=alert(1)>", roles=[Role.CLINICAL_STAFF]
    )
    victim = PatientFactory(first_name="<script>alert(2)</script>", last_name="=1+1")
    record_access(mallory, victim, "page", "Patient page")
    record_access(
        mallory, None, "export", "Patient list export", {"filter": {"q": "<svg onload=x>"}}
    )
    html = signed_in(client, personas).get(URL).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(2)" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<svg onload" not in html
    assert "&lt;svg onload=x&gt;" in html
    # The patient cell links to this page narrowed to the patient, its ID encoded.
    assert f'href="{URL}?patient={victim.registry_id}"' in html
    csv_text = b"".join(client.get(URL, {"_export": "csv"}).streaming_content).decode()
    assert "'=1+1" not in csv_text  # "=1+1" is not the cell's start: not a formula
    assert "<script>alert(2)</script> =1+1" in csv_text


def test_the_patient_page_links_registry_admins_who_also_see_patients(client, personas):
    both = UserFactory(username="both", roles=[Role.CLINICAL_STAFF, Role.REGISTRY_ADMIN])
    client.force_login(both)
    patient = personas["patient"].patient
    html = client.get(reverse("staff:patient-detail", args=[patient.pk])).content.decode()
    assert f"{URL}?patient={patient.registry_id}" in html
