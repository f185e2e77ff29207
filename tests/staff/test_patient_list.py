"""The patient list: search, filters, sorting, pagination, CSV export, constant query count."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.accounts.roles import Role
from registry.models import Patient
from registry.registry_id import ALPHABET
from tests.factories import PatientFactory, UserFactory

URL = "/patients/"


@pytest.fixture
def staff_client(client, nurse):
    client.force_login(nurse)
    return client


def names(response):
    return [row.record.last_name for row in response.context["table"].rows]


def test_it_finds_a_patient_by_part_of_the_registry_id(staff_client, prescriber):
    wanted = PatientFactory(last_name="Rivera", prescriber=prescriber)
    PatientFactory(last_name="Baker", prescriber=prescriber)
    middle = wanted.registry_id[3:7]  # spans the first dash: "D-EF" typed as "DEF" etc.
    for query in (middle, middle.lower(), wanted.registry_id, wanted.registry_id.replace("-", "")):
        assert names(staff_client.get(URL, {"q": query})) == ["Rivera"], query


def test_it_finds_patients_by_name_words(staff_client, prescriber):
    PatientFactory(first_name="Alex", last_name="Rivera", prescriber=prescriber)
    PatientFactory(first_name="Alex", last_name="Baker", prescriber=prescriber)
    assert names(staff_client.get(URL, {"q": "alex riv"})) == ["Rivera"]
    assert sorted(names(staff_client.get(URL, {"q": "Alex"}))) == ["Baker", "Rivera"]


def test_search_results_are_in_surname_then_first_name_order_both_ways(staff_client, prescriber):
    for first, last in (("Zoe", "Johnson"), ("amy", "Johnson"), ("Bob", "anderson"), ("Cy", "Lee")):
        PatientFactory(first_name=first, last_name=last, prescriber=prescriber)

    def found(**params):
        rows = staff_client.get(URL, {"q": "son", **params}).context["table"].rows
        return [(r.record.last_name, r.record.first_name) for r in rows]

    ascending = [("anderson", "Bob"), ("Johnson", "amy"), ("Johnson", "Zoe")]
    assert found() == ascending
    assert found(sort="-name") == ascending[::-1]


def test_a_whole_registry_id_with_a_typo_gets_a_message_next_to_the_search(
    staff_client, prescriber
):
    patient = PatientFactory(prescriber=prescriber)
    body = patient.registry_id[:-1]
    wrong = next(c for c in ALPHABET if c != patient.registry_id[-1])
    response = staff_client.get(URL, {"q": body + wrong})
    assert response.status_code == 200
    assert "check character does not match" in response.context["filter"].form.errors["q"][0]
    assert "check character does not match" in response.content.decode()
    assert names(response) == []


def test_odd_characters_in_the_search_are_explained(staff_client):
    response = staff_client.get(URL, {"q": "rivera; drop"})
    assert "letters, digits, spaces" in response.content.decode()


def test_filters_by_status_prescriber_and_risk_category(staff_client, prescriber):
    other_prescriber = UserFactory(roles=[Role.PRESCRIBER])
    PatientFactory(last_name="A", prescriber=prescriber, status=Patient.Status.WITHDRAWN)
    PatientFactory(last_name="B", prescriber=other_prescriber)
    PatientFactory(
        last_name="C",
        prescriber=prescriber,
        risk_category=Patient.RiskCategory.CANNOT_GET_PREGNANT,
    )
    assert names(staff_client.get(URL, {"status": "withdrawn"})) == ["A"]
    assert names(staff_client.get(URL, {"prescriber": other_prescriber.pk})) == ["B"]
    assert names(staff_client.get(URL, {"risk_category": "cannot_get_pregnant"})) == ["C"]


def test_the_prescriber_filter_offers_only_prescribers(staff_client, nurse, prescriber):
    choices = staff_client.get(URL).context["filter"].form.fields["prescriber"].queryset
    assert prescriber in choices
    assert nurse not in choices


def test_it_sorts_by_name_enrolled_date_and_status(staff_client, prescriber):
    PatientFactory(last_name="Zed", prescriber=prescriber, status=Patient.Status.COMPLETED)
    PatientFactory(last_name="Abe", prescriber=prescriber, status=Patient.Status.WITHDRAWN)
    assert names(staff_client.get(URL)) == ["Abe", "Zed"]
    assert names(staff_client.get(URL, {"sort": "-name"})) == ["Zed", "Abe"]
    assert names(staff_client.get(URL, {"sort": "-enrolled_at"})) == ["Abe", "Zed"]
    assert names(staff_client.get(URL, {"sort": "status"})) == ["Zed", "Abe"]


def test_it_pages_25_rows_at_a_time_with_next_and_previous_links(staff_client, prescriber):
    PatientFactory.create_batch(30, prescriber=prescriber)
    first = staff_client.get(URL)
    assert len(names(first)) == 25
    links = first.context["links"]
    assert links.previous_query == ""
    assert f'href="?{links.next_query}" rel="next"' in first.content.decode()
    second = staff_client.get(f"{URL}?{links.next_query}")
    assert len(names(second)) == 5
    assert second.context["links"].next_query == ""
    back = staff_client.get(f"{URL}?{second.context['links'].previous_query}")
    assert names(back) == names(first)


def test_csv_export_has_the_filtered_rows_and_only_the_list_columns(staff_client, prescriber):
    PatientFactory(last_name="Rivera", prescriber=prescriber, notes="private clinical note")
    PatientFactory(last_name="Baker", prescriber=prescriber, status=Patient.Status.WITHDRAWN)
    response = staff_client.get(URL, {"status": "enrolled", "_export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Registry ID",
        "Name",
        "Born",
        "Status",
        "Risk category",
        "Prescriber",
        "Enrolled",
    ]
    assert len(rows) == 2
    assert rows[1][1].startswith("Rivera")
    assert "private clinical note" not in text


def test_the_number_of_queries_does_not_grow_with_the_number_of_patients(staff_client, prescriber):
    prescribers = [UserFactory(roles=[Role.PRESCRIBER]) for _ in range(3)]
    PatientFactory.create_batch(10, prescriber=prescribers[0])
    with CaptureQueriesContext(connection) as small:
        staff_client.get(URL)
    for index in range(490):
        PatientFactory(prescriber=prescribers[index % 3])
    with CaptureQueriesContext(connection) as large:
        staff_client.get(URL)
    with CaptureQueriesContext(connection) as large_csv:
        staff_client.get(URL, {"_export": "csv"})
    assert Patient.objects.count() == 500
    assert len(small) == len(large)
    assert len(large_csv) <= len(large)
