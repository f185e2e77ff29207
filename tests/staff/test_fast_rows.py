"""The staff tables' body rows are made by clinic/staff/tables/fast_rows.py, not by
django-tables2's template per cell (issue 15). For every staff table, with records that take
every branch of its cells, the page is byte for byte what django-tables2 draws itself: both
are rendered through `{% render_table %}` as the pages do, one with the table's own template
(staff/tables/table.html), one with django-tables2's (settings.DJANGO_TABLES2_TEMPLATE)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.conf import settings
from django.template import engines
from django.test import RequestFactory
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_tables2 import RequestConfig
from django_tables2.data import TableData
from django_tables2.paginators import LazyPaginator
from django_tables2.rows import BoundRow, BoundRows

from clinic.accounts.roles import Role
from clinic.reminders.models import Reminder
from clinic.staff.tables.fast_rows import FAST_ROWS_TEMPLATE, FastRowsTable
from clinic.staff.tables.patients import PatientTable
from clinic.staff.tables.refusals import RefusalTable
from clinic.staff.tables.reminders import FailedReminderTable, ReminderLogTable
from dosing.models import Prescription, RefusedAction
from registry.models import Patient
from tests.course_fixtures import days_ago
from tests.factories import PatientFactory, UserFactory

HOSTILE = "<b>&\"'"
ESCAPED = "&lt;b&gt;&amp;&quot;&#x27;"
UTC = datetime.UTC
TABLES2_TEMPLATE = settings.DJANGO_TABLES2_TEMPLATE
PAGE = engines["django"].from_string("{% load django_tables2 %}{% render_table table %}")


@pytest.fixture(autouse=True)
def fixed_csrf_token(monkeypatch):
    """The Retry button's form has a CSRF token, masked anew on every render: one value, so
    two renders can be compared."""
    monkeypatch.setattr("django.template.context_processors.get_token", lambda request: "tok")


@pytest.fixture
def cells_drawn_by_tables2(monkeypatch):
    """The names of the columns whose cells django-tables2's BoundRow.get_cell made."""
    drawn, get_cell = [], BoundRow.get_cell

    def counting(row, name):
        drawn.append(name)
        return get_cell(row, name)

    monkeypatch.setattr(BoundRow, "get_cell", counting)
    return drawn


def drawn(make_table, query: str = "", paginate=False) -> tuple[str, str]:
    """(the table as the staff pages draw it, the same table drawn by django-tables2's own
    template): two tables made alike, configured by the same request."""
    request = RequestFactory().get(f"/list/{query}")
    pages = []
    for template_name in (None, TABLES2_TEMPLATE):
        table = make_table()
        if template_name is not None:
            table.template_name = template_name
        RequestConfig(request, paginate=paginate).configure(table)
        pages.append(PAGE.render({"table": table}, request))
    return pages[0], pages[1]


def assert_same(make_table, **kwargs) -> str:
    fast, own = drawn(make_table, **kwargs)
    assert fast == own
    return fast


# The patient list ---------------------------------------------------------------------------


@pytest.fixture
def patients(db):
    """Every status (each badge) and risk category; a prescriber named, one not (the username
    is shown), one with a hostile name; hostile and empty patient names."""
    role = [Role.PRESCRIBER]
    named = UserFactory(username="dr-perez", first_name="Ana", last_name="Pérez", roles=role)
    unnamed = UserFactory(username="dr-nameless", first_name="", last_name="", roles=role)
    hostile = UserFactory(username="dr-x", first_name=HOSTILE, last_name=HOSTILE, roles=role)
    people = [
        (HOSTILE, HOSTILE, named),
        ("O'Brien", "Seán", unnamed),
        ("Ørsted & Co", "Zoë 李", hostile),
        ("", "Nameless", named),
        ("Rivera", "", unnamed),
    ]
    for index, status in enumerate(Patient.Status.values):
        last, first, prescriber = people[index % len(people)]
        PatientFactory(
            last_name=last,
            first_name=first,
            prescriber=prescriber,
            status=status,
            risk_category=Patient.RiskCategory.values[index % 2],
            enrolled_at=datetime.datetime(2025, 3, 29, 23, 59 - index, tzinfo=UTC),
        )
    return list(Patient.objects.select_related("prescriber").order_by("pk"))


def test_the_patient_table_is_the_one_django_tables2_draws(patients, cells_drawn_by_tables2):
    html = assert_same(lambda: PatientTable(patients, order_by=()))
    for label in Patient.Status.labels:
        assert str(label) in html  # the labels are lazy translations (registry/models)
    assert "dr-nameless" in html
    assert "Ana Pérez" in html
    assert f'<a href="{patients[0].get_absolute_url()}">' in html
    # Every cell of the fast page was made by fast_rows; the other page's by tables2.
    assert len(cells_drawn_by_tables2) == len(patients) * len(PatientTable.base_columns)


def test_empty_values_show_the_default_unlinked(patients):
    """What the database does not hold but a record in hand may: an empty registry ID (no
    link, the default), no enrolment time, no status (its label is empty)."""
    odd = patients[0]
    odd.registry_id, odd.enrolled_at, odd.status = "", None, ""
    html = assert_same(lambda: PatientTable(patients, order_by=()))
    assert '<td class="font-monospace">—</td>' in html


def test_a_hostile_name_is_escaped(patients):
    html = assert_same(lambda: PatientTable(patients, order_by=()))
    assert HOSTILE not in html
    assert f"{ESCAPED}, {ESCAPED}" in html  # the patient's name, in the link
    assert f"{ESCAPED} {ESCAPED}" in html  # the prescriber's


@pytest.mark.parametrize("query", ["", "?sort=-name", "?sort=status", "?sort=enrolled_at"])
def test_the_head_and_its_sort_links_are_django_tables2s(patients, query):
    rows = Patient.objects.select_related("prescriber")
    html = assert_same(lambda: PatientTable(rows), query=query)
    assert 'href="?sort=' in html


@pytest.mark.parametrize("page_query", ["", "?page=2"])
def test_a_paginated_page_draws_that_pages_rows(patients, page_query):
    rows = Patient.objects.select_related("prescriber")
    paginate = {"per_page": 3, "paginator_class": LazyPaginator}
    html = assert_same(lambda: PatientTable(rows), query=page_query, paginate=paginate)
    assert html.count("<tr class=") == (3 if not page_query else len(patients) - 3)


def test_rows_given_as_a_plain_list_after_the_table_is_made(patients):
    """Keyset paging hands the table its page of records as a list, with no table.page."""

    def keyset_table():
        table = PatientTable(Patient.objects.none())
        table.data = TableData.from_data(patients[1:4])
        table.data.set_table(table)
        table.rows = BoundRows(data=table.data, table=table, pinned_data=table.pinned_data)
        return table

    html = assert_same(keyset_table)
    assert html.count("<tr class=") == 3


def test_no_rows_shows_django_tables2s_empty_text(db):
    html = assert_same(lambda: PatientTable(Patient.objects.none()))
    assert "No patient matches." in html


# Refused actions ----------------------------------------------------------------------------


@pytest.fixture
def refusals(patients, male_patient, start_course, prescribe, make_pharmacy):
    """Every kind; a user named, one not, one hostile; no patient; a course, a prescription
    and a pharmacy; details with lists, none at all, and more than the summary holds;
    reasons as a list and as a plain text."""
    course = start_course(male_patient, start_date=days_ago(10))
    prescription = prescribe(course)
    pharmacy = make_pharmacy(name=f"Pharmacy {HOSTILE}")
    users = [
        UserFactory(username="nurse-named", first_name="Ivy", last_name="Ng"),
        UserFactory(username="nurse-plain", first_name="", last_name=""),
        UserFactory(username="nurse-x", first_name=HOSTILE, last_name=""),
    ]
    details = [
        {"weight_kg": "400", "notes": HOSTILE},
        {},
        {"methods": ["iud", HOSTILE], "count": 3},
        {f"field_{n}": "x" * 40 for n in range(20)},  # over the summary's 400 characters
    ]
    for index, kind in enumerate(RefusedAction.Kind.values):
        RefusedAction.objects.create(
            kind=kind,
            user=users[index % 3],
            at=datetime.datetime(2026, 3, 29, 0, 30 + index, tzinfo=UTC),
            patient=None if index % 4 == 1 else patients[index % len(patients)],
            course=course if index % 3 == 0 else None,
            prescription=prescription if index == 3 else None,
            pharmacy=pharmacy if index in (2, 3) else None,
            reasons=[f"Reason {HOSTILE}", "Another"] if index % 2 else f"Plain {HOSTILE}",
            details=details[index % 4],
        )
    assert Prescription.objects.exists()
    return RefusedAction.objects.select_related("user", "patient", "pharmacy", "course")


@pytest.mark.parametrize("link_patients", [True, False])
def test_the_refusals_table_is_the_one_django_tables2_draws(
    refusals, link_patients, cells_drawn_by_tables2
):
    html = assert_same(lambda: RefusalTable(refusals, link_patients=link_patients))
    assert HOSTILE not in html
    assert ESCAPED in html
    assert ("/patients/" in html) is link_patients
    assert "… and " in html  # the summary cut short
    for label in RefusedAction.Kind.labels:
        assert label.replace("'", "&#x27;") in html
    columns = len(RefusalTable.base_columns)
    assert len(cells_drawn_by_tables2) == len(refusals) * columns


@pytest.mark.parametrize("query", ["?sort=at", "?sort=kind"])
def test_the_refusals_paged_and_sorted(refusals, query):
    paginate = {"per_page": 4, "paginator_class": LazyPaginator}
    assert_same(lambda: RefusalTable(refusals), query=f"{query}&page=2", paginate=paginate)


# Reminders ----------------------------------------------------------------------------------


@pytest.fixture
def reminders(patients):
    """Every status (each badge), sent and not, a hostile recipient and error, and reminders
    for no patient (the registry admin's)."""
    made = []
    for index, status in enumerate(Reminder.Status.values):
        due_at = datetime.datetime(2026, 3, 27, 8, 0, tzinfo=UTC) + datetime.timedelta(days=index)
        made.append(
            Reminder.objects.create(
                kind=Reminder.Kind.values[index % len(Reminder.Kind.values)],
                patient=None if index == 2 else patients[index % len(patients)],
                recipient=f"{HOSTILE}@example.org" if index == 1 else "p@example.org",
                subject_key=f"visit:{index}",
                due_at=due_at,
                due_date=due_at.date(),
                status=status,
                attempts=index,
                sent_at=due_at if status == Reminder.Status.SENT else None,
                last_error="" if index % 2 else f"SMTP {HOSTILE}",
            )
        )
    return Reminder.objects.select_related("patient")


def test_the_reminder_log_is_the_one_django_tables2_draws(reminders, cells_drawn_by_tables2):
    html = assert_same(lambda: ReminderLogTable(reminders))
    assert HOSTILE not in html
    assert ESCAPED in html
    for label in Reminder.Status.labels:
        assert str(label) in html
    assert len(cells_drawn_by_tables2) == len(reminders) * len(ReminderLogTable.base_columns)


def test_the_failed_list_draws_its_retry_buttons_through_django_tables2(
    reminders, cells_drawn_by_tables2
):
    html = assert_same(lambda: FailedReminderTable(reminders))
    assert html.count('name="csrfmiddlewaretoken"') == len(reminders)
    assert HOSTILE not in html
    assert ESCAPED in html
    # The template column is drawn by tables2 on both pages; every other cell only on its own.
    retry = cells_drawn_by_tables2.count("retry")
    assert retry == 2 * len(reminders)
    columns = len(FailedReminderTable.base_columns)
    assert len(cells_drawn_by_tables2) - retry == len(reminders) * (columns - 1)


# What fast_rows leaves to django-tables2, or works out per cell --------------------------------


class Odd(tables.Column):
    """A column type fast_rows does not know: its cells are tables2's."""

    def render(self, value, bound_row):
        return format_html("<i>{}</i> #{}", value, bound_row.row_counter)


def css_of(record):
    return f"s-{record.status}"


class Everything(FastRowsTable):
    """Each feature of a column or a table that fast_rows must copy or hand to tables2."""

    odd = Odd(accessor="last_name")
    flag = tables.BooleanColumn(accessor="pk")
    template = tables.TemplateColumn("{{ record.first_name }}|{{ value }}", accessor="email")
    link_attrs = tables.Column(
        accessor="registry_id", linkify=True, attrs={"a": {"class": "x", "title": css_of}}
    )
    reversed_link = tables.Column(
        accessor="first_name", linkify=("staff:patient-detail", [tables.A("pk")])
    )
    td_callable = tables.Column(accessor="status", attrs={"td": {"data-s": css_of}})
    number = tables.Column(accessor="pk", localize=True)
    plain_number = tables.Column(accessor="pk", localize=False)
    missing = tables.Column(accessor="prescriber__no_such_field", default=lambda: "?")
    everything = tables.Column(accessor="last_name", empty_values=())

    class Meta(FastRowsTable.Meta):
        model = Patient
        fields = []
        row_attrs = {"data-status": css_of, "class": "r"}
        pinned_row_attrs = {"data-pinned": "yes"}

    def get_top_pinned_data(self):
        return self.data.data[:1]

    def render_everything(self, **kwargs):
        return f"{kwargs['value']}/{kwargs['bound_row'].row_counter}/{kwargs['column'].header}"


def test_columns_and_attributes_fast_rows_does_not_make_alike_are_still_the_same(
    patients, cells_drawn_by_tables2
):
    html = assert_same(lambda: Everything(patients, order_by=()))
    assert 'title="s-enrolled"' in html
    assert 'data-s="s-withdrawn"' in html
    assert "<td >?</td>" in html
    assert 'data-pinned="yes"' in html
    fallbacks = {"odd", "flag", "template"}
    assert set(cells_drawn_by_tables2) >= fallbacks
    rows = len(patients) + 1  # and the pinned one
    on_fast_page = len(cells_drawn_by_tables2) - rows * len(Everything.base_columns)
    assert on_fast_page == rows * len(fallbacks)


class Values(FastRowsTable):
    """Records that are dicts, and values of every kind `{{ cell }}` shows its own way."""

    text = tables.Column()
    number = tables.Column()
    amount = tables.Column()
    day = tables.Column()
    moment = tables.Column()
    flag = tables.Column()
    lazy = tables.Column()
    safe = tables.Column()
    called = tables.Column()
    nested = tables.Column(accessor="inner__deeper")
    absent = tables.Column(accessor="no__such__key")
    empty_kept = tables.Column(accessor="text", empty_values=())

    class Meta(FastRowsTable.Meta):
        default = "n/a"

    def render_called(self, value):
        return lambda: f"called {value()}"


def test_values_of_every_kind_are_shown_as_the_template_shows_them(db):
    moment = datetime.datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    rows = [
        {
            "text": HOSTILE,
            "number": 1234567,
            "amount": Decimal("1234.50"),
            "day": datetime.date(2025, 3, 30),
            "moment": moment,
            "flag": False,
            "lazy": gettext_lazy("Enrolled"),
            "safe": mark_safe("<em>kept</em>"),
            "called": lambda: "x<y",
            "inner": {"deeper": 0},
        },
        {"text": "", "number": None, "inner": {}, "flag": True, "called": lambda: ""},
    ]
    html = assert_same(lambda: Values(rows))
    assert "<em>kept</em>" in html
    assert "called x&lt;y" in html
    assert "n/a" in html


def test_a_table_with_a_footer_is_drawn_by_django_tables2_whole(patients, cells_drawn_by_tables2):
    class Footed(PatientTable):
        enrolled_at = tables.Column(footer=lambda table: "total", attrs={"tf": {"x": css_of}})

    assert_same(lambda: Footed(patients, order_by=()))
    assert len(cells_drawn_by_tables2) == 2 * len(patients) * len(Footed.base_columns)


def test_the_staff_tables_use_the_fast_template():
    for table in (PatientTable, RefusalTable, ReminderLogTable, FailedReminderTable):
        assert table._meta.template_name == FAST_ROWS_TEMPLATE, table


def test_the_patient_list_page_draws_its_rows_fast(client, nurse, patients, cells_drawn_by_tables2):
    client.force_login(nurse)
    response = client.get("/patients/")
    assert response.status_code == 200
    assert response.content.decode().count("<tr class=") == len(patients)
    assert cells_drawn_by_tables2 == []
