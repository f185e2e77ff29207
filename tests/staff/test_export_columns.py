"""The export's columns are made once from a table's django-tables2 definitions and give what
tables2's own export gives; the date renderer and the stopped download (a companion to
test_exports.py, which covers the pages' exports)."""

import datetime

import django_tables2 as tables
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet

from clinic.accounts.roles import Role
from clinic.staff import exports
from clinic.staff.exports import csv_lines
from clinic.staff.tables.columns import DateColumn, DateTimeColumn
from registry.models import Patient
from tests.course_fixtures import days_ago
from tests.factories import PatientFactory, UserFactory
from tests.staff.test_exports import OldSpreadsheetSafeExport  # the export before issue 15

PATIENTS, REFUSALS = "/patients/", "/refusals/"
UTC = datetime.UTC


# The columns: made once from the table -----------------------------------------------------


class EveryKindOfColumn(tables.Table):
    """Columns the export makes without an export_values entry: a field, a choice, an empty
    text, an empty date, a related field, a formula header, and one left out of exports."""

    registry_id = tables.Column()
    sex = tables.Column()
    email = tables.Column()
    consent = DateColumn(accessor="consent_treatment_on", format="j M Y")
    prescriber_username = tables.Column(accessor="prescriber__username", verbose_name="=By")
    enrolled_at = DateTimeColumn(format="j M Y H:i")
    notes = tables.Column(exclude_from_export=True)

    class Meta:
        model = Patient
        fields = []
        order_by = ("registry_id",)


def test_a_tables_generic_columns_export_as_tables2_exports_them(awkward_patients):
    Patient.objects.filter(pk=awkward_patients[0].pk).update(email="", consent_treatment_on=None)
    Patient.objects.filter(pk=awkward_patients[1].pk).update(consent_treatment_on=days_ago(3))
    table = EveryKindOfColumn(Patient.objects.all())
    new = "".join(csv_lines(table, table.data.data))
    old = OldSpreadsheetSafeExport("csv", table, exclude_columns=()).export()
    assert new == old
    assert new.startswith(
        "Registry id,Sex,Email,Consent to treatment and registry,'=By,Enrolled at\r\n"
    )
    assert "private clinical note" not in new


def test_a_column_whose_value_reads_the_record_must_say_how_to_export_it(awkward_patients):
    class Unsaid(tables.Table):
        name = tables.Column(accessor="last_name")

        def value_name(self, record):
            return record.full_name

    table = Unsaid(Patient.objects.all())
    with pytest.raises(ImproperlyConfigured, match="export_values"):
        list(csv_lines(table, table.data.data))


@pytest.mark.parametrize("fmt", ["j M Y", "j M Y H:i", "D jS F Y, P", "j M Y H:i:s T", "c"])
def test_a_date_columns_renderer_gives_what_render_gives(fmt):
    """The export formats each day (or minute) once; the texts must be render's, across
    midnight, both clock changes (the repeated hour in October too) and plain dates."""
    column = DateTimeColumn(format=fmt)
    start = datetime.datetime(2025, 3, 29, 22, 0, tzinfo=UTC)
    values = [start + datetime.timedelta(minutes=17 * i, seconds=i) for i in range(400)]
    autumn = datetime.datetime(2025, 10, 25, 23, 0, tzinfo=UTC)
    values += [autumn + datetime.timedelta(minutes=13 * i, seconds=i) for i in range(400)]
    values += values[::-1]  # seen again, from what the renderer kept
    render = column.renderer()
    assert [render(value) for value in values] == [column.render(value) for value in values]
    if fmt == "j M Y":  # a date column (the date of birth)
        days = [datetime.date(2024, 2, 28) + datetime.timedelta(days=i) for i in range(5)]
        assert [render(day) for day in days * 2] == [column.render(day) for day in days * 2]


@pytest.mark.django_db(transaction=True)
def test_a_download_stopped_halfway_closes_its_cursor(client, monkeypatch):
    """A client that goes away mid-file must not leave the rows' cursor open. On PostgreSQL it
    is a named cursor WITH HOLD, which would outlive its statement on a persistent connection
    (and keep its rows on the server): there the server's own list of cursors is checked too."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    closed = []
    real_iterator = QuerySet.iterator

    def watched_iterator(self, *args, **kwargs):
        rows = real_iterator(self, *args, **kwargs)
        try:
            yield from rows
        finally:
            closed.append(True)
            rows.close()

    monkeypatch.setattr(QuerySet, "iterator", watched_iterator)
    PatientFactory.create_batch(9, prescriber=UserFactory(roles=[Role.PRESCRIBER]))
    client.force_login(UserFactory(roles=[Role.CLINICAL_STAFF]))
    postgresql = connection.vendor == "postgresql"

    def open_cursors():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors")
            return cursor.fetchone()[0]

    response = client.get(PATIENTS, {"_export": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces), next(pieces)  # the header and the first block: the cursor is open
    assert closed == []
    if postgresql:
        assert open_cursors() == 1
    response.close()  # what the server does when the client hangs up
    assert closed == [True]
    if postgresql:
        assert open_cursors() == 0


def test_a_column_that_is_no_model_field_cannot_be_exported_from_values(db):
    class Computed(tables.Table):
        full_name = tables.Column(accessor="prescriber__get_full_name")

    table = Computed(Patient.objects.all())
    with pytest.raises(ImproperlyConfigured, match="prescriber__get_full_name"):
        csv_lines(table, table.data.data)
