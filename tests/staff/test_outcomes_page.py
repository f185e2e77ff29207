"""The outcomes page and its CSV (issue 17, point 3): the hand-counted fixture of
tests/monitoring/test_outcomes.py shown and downloaded; a bad month or prescriber gets its
message next to the field and the default range instead; the CSV is logged and inert in a
spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.monitoring.outcomes import build_outcome_counts
from registry.models import RecordAccess
from tests.factories import UserFactory
from tests.monitoring.test_outcomes import clinic, pharmacy  # noqa: F401 (fixtures)

URL = reverse("staff:outcomes")
YEAR = {"first": "2026-01", "last": "2026-11"}


@pytest.fixture
def counted(clinic):  # noqa: F811
    build_outcome_counts()
    return clinic


def download(client, **query):
    response = client.get(URL, {**query, "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return response, list(csv.reader(io.StringIO(body)))


def test_the_page_shows_the_hand_counted_figures(client, counted, registry_admin):
    client.force_login(registry_admin)
    page = client.get(URL, YEAR).content.decode()
    assert 'data-testid="started">4<' in page
    assert 'data-testid="median-weeks">4.0<' in page
    assert 'Withdrawn from the registry</td><td class="text-end">1<' in page
    assert 'Dry lips</td><td class="text-end">2</td><td class="text-end">50%' in page
    assert 'Nodule count down more than 70%</td><td class="text-end">1</td>' in page
    assert "Courses started January 2026 to November 2026, every prescriber." in page
    assert 'id="outcomes-chart-data"' in page


def test_one_prescribers_courses(client, counted):
    client.force_login(counted["A"])
    page = client.get(URL, {**YEAR, "prescriber": counted["B"].pk}).content.decode()
    assert 'data-testid="started">2<' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"first": "2026-13"}, "first", "Enter a month as YYYY-MM, for example 2026-03."),
        ({"first": "1999-12"}, "first", "Choose a month from January 2000."),
        ({"last": "2999-01"}, "last", "Choose this month or an earlier one."),
        ({"first": "2026-05", "last": "2026-02"}, "last", "The last month is before the first."),
        ({"prescriber": "999999"}, "prescriber", "Select a valid choice."),
        ({"first": "<script>x</script>"}, "first", "Enter a month as YYYY-MM"),
    ],
)
def test_a_bad_choice_gets_its_message_next_to_the_field_and_the_default_range(
    client, prescriber, query, field, message
):
    client.force_login(prescriber)
    response = client.get(URL, query)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="error_1_id_{field}"' in page
    assert message in page
    assert "Shown instead: the last twelve months, every prescriber." in page
    assert "<script>x</script>" not in page
    # The CSV link of a refused choice downloads the default range, not the bad one.
    assert 'href="?_export=csv"' in page


def test_a_nurse_cannot_read_it(client, nurse):
    client.force_login(nurse)
    assert client.get(URL).status_code in (403, 404)


def test_the_csv_holds_the_figures_and_is_logged(client, counted, registry_admin):
    client.force_login(registry_admin)
    response, rows = download(client, **YEAR)
    assert response["Content-Disposition"] == (
        'attachment; filename="outcomes-2026-01-to-2026-11.csv"'
    )
    assert rows[0] == ["section", "figure", "value", "share (%)"]
    figures = {(section, figure): (value, share) for section, figure, value, share in rows[1:]}
    assert figures["courses", "started"] == ("4", "")
    assert figures["courses", "Stopped early (nodules down 70%)"] == ("1", "25.0")
    assert figures["nodules", "more than 70% fewer"] == ("2", "50.0")
    assert figures["nodules", "median weeks to more than 70% fewer"] == ("4.0", "")
    assert figures["cumulative mg/kg at the end", "0–60"] == ("3", "100.0")
    assert figures["side effects (courses)", "Dry skin"] == ("1", "25.0")
    assert figures["hours to acknowledge (median)", "Nodule count down more than 70%"] == (
        "6",
        "",
    )
    access = RecordAccess.objects.get(user=registry_admin)
    assert (access.kind, access.what, access.patient) == (
        RecordAccess.Kind.EXPORT,
        "Outcomes report export",
        None,
    )


def test_a_prescriber_named_like_a_formula_is_inert_in_the_csv(client, counted, registry_admin):
    formula = UserFactory(
        username="eve", first_name='=HYPERLINK("http://x")', last_name="", roles=[Role.PRESCRIBER]
    )
    client.force_login(registry_admin)
    _response, rows = download(client, prescriber=formula.pk)
    [(_section, _figure, value, _share)] = [row for row in rows if row[1] == "prescriber"]
    assert value.startswith("'=")
