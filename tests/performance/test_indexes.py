"""Every column people sort or filter on has an index (issue 7, point 3).

The columns are collected from the code that offers the sorting and filtering: the patient
list's table (orderable columns) and filters, the registry admin's list filters and orderings,
and the worklist's queries. Each must have an index (or a unique or primary key constraint,
which is backed by one) whose first columns are that field's, read from the test database's
own catalogue (connection.introspection), so SQLite and PostgreSQL are each checked as they
really are.

Not checked: the patient list's free-text search `q`. It matches any part of a name
(`icontains`, LIKE '%word%') and any part of the registry ID with its dashes removed
(REPLACE(registry_id, '-', '') LIKE '%…%'). A B-tree index serves neither a pattern with a
leading wildcard nor a function of the column, so an index on these columns would not be used;
making that search fast needs a trigram index (PostgreSQL pg_trgm) or a search column, a design
decision of its own rather than a missing index. The admin's search_fields are the same kind of
substring search and are not checked either.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.db.models import ForeignObjectRel, ManyToManyField

import registry.admin as registry_admin
from clinic.staff.filters import PatientFilter
from clinic.staff.tables.patients import PatientTable
from registry.models import Patient

FREE_TEXT_SEARCH = {"q"}  # see the module docstring


@dataclass(frozen=True)
class Column:
    """Columns (in order) of one table that a page filters or sorts on."""

    source: str
    table: str
    columns: tuple[str, ...]
    label: str  # model.field, as the report names it

    @property
    def id(self) -> str:
        return f"{self.source}:{self.label}"


def resolve(model, path: str) -> tuple[str, str, str]:
    """(table, column, "app.Model.field") of a lookup path such as "certification__status";
    a many-to-many (User.groups) is the target's column in the through table."""
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    field = model._meta.get_field(last)
    label = f"{model._meta.label}.{field.name}"
    if isinstance(field, ManyToManyField):
        through = field.remote_field.through
        target = next(
            f
            for f in through._meta.get_fields()
            if getattr(f, "related_model", None) is field.related_model
        )
        return through._meta.db_table, target.column, label
    if isinstance(field, ForeignObjectRel):
        raise AssertionError(f"{path}: name the related model's column instead")
    return model._meta.db_table, field.column, label


def columns_of(source: str, model, paths: list[str]) -> Column:
    """Several fields sorted together (e.g. last name, first name): one index must lead with
    all of them, in order, on one table."""
    resolved = [resolve(model, path.lstrip("-")) for path in paths]
    tables = {table for table, _column, _label in resolved}
    assert len(tables) == 1, f"{source}: {paths} span several tables"
    return Column(
        source,
        tables.pop(),
        tuple(column for _table, column, _label in resolved),
        "+".join(label for _table, _column, label in resolved),
    )


def patient_table_columns() -> list[Column]:
    table = PatientTable(Patient.objects.none())
    found = []
    for column in table.columns:
        if column.orderable:
            paths = [str(order).lstrip("-") for order in column.order_by]
            found.append(columns_of(f"PatientTable.{column.name}", Patient, paths))
    return found


def patient_filter_columns() -> list[Column]:
    return [
        columns_of(f"PatientFilter.{name}", Patient, [f.field_name])
        for name, f in PatientFilter.base_filters.items()
        if name not in FREE_TEXT_SEARCH
    ]


def filter_path(model_admin, spec) -> str:
    """The lookup path a list_filter entry filters on."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return spec[0]
    path = getattr(spec, "valid_until_path", None)  # registry.admin.ExpiryFilter and kin
    assert path, (
        f"{type(model_admin).__name__}: say which column {spec.__name__} filters on "
        "(a valid_until_path attribute, or extend filter_path)"
    )
    return path


def admin_columns() -> list[Column]:
    found = []
    for model, model_admin in admin.site._registry.items():
        if type(model_admin).__module__ != registry_admin.__name__:
            continue
        name = type(model_admin).__name__
        for spec in model_admin.list_filter:
            path = filter_path(model_admin, spec)
            found.append(columns_of(f"{name}.list_filter", model, [path]))
        ordering = list(model_admin.ordering or model._meta.ordering or ["-pk"])
        ordering = [o if o.lstrip("-") != "pk" else "id" for o in ordering]
        # A trailing primary key only breaks ties (-changed_at, -pk): the leading fields
        # need the index.
        while len(ordering) > 1 and ordering[-1].lstrip("-") == "id":
            ordering.pop()
        found.append(columns_of(f"{name}.ordering", model, ordering))
    return found


def worklist_columns() -> list[Column]:
    """clinic/worklist.py's queries, written out (they are code, not declarations)."""
    model = apps.get_model
    flag = model("clinic", "CourseFlag")
    course, rx = model("dosing", "TreatmentCourse"), model("dosing", "Prescription")
    dispense, reminder = model("dosing", "Dispense"), model("reminders", "Reminder")
    return [
        # open_flags: acknowledged_at IS NULL, ordered by raised_at
        columns_of("worklist.open_flags", flag, ["acknowledged_at"]),
        columns_of("worklist.open_flags", flag, ["raised_at"]),
        # planned_visits / overdue_follow_ups: active courses, a range of the course's copy of
        # next_follow_up (clinic.monitoring.follow_ups), ordered by it
        columns_of("worklist.follow_ups", course, ["status", "next_follow_up"]),
        # closing_windows: a range of window_closes, ordered by it; no live dispense
        columns_of("worklist.closing_windows", rx, ["window_closes"]),
        columns_of("worklist.closing_windows", dispense, ["prescription"]),
        # failed_reminders: status = 'failed' ordered by due_at. due_at is only ever sorted
        # within one status, so the index must lead with status, then due_at.
        columns_of("worklist.failed_reminders", reminder, ["status", "due_at"]),
    ]


COLUMNS = patient_table_columns() + patient_filter_columns() + admin_columns()
COLUMNS += worklist_columns()

# Columns known to lack an index (xfail, strict: adding the index makes the test say so).
MISSING: set[str] = set()


def indexes_of(table: str) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        tuple(c["columns"])
        for c in constraints.values()
        if c["columns"] and (c["index"] or c["unique"] or c["primary_key"])
    ]


def params():
    seen, cases = set(), []
    for column in COLUMNS:
        if (column.table, column.columns) in seen:
            continue
        seen.add((column.table, column.columns))
        marks = ()
        if column.label in MISSING or any(part in MISSING for part in column.label.split("+")):
            marks = pytest.mark.xfail(strict=True, reason=f"needs an index: {column.label}")
        cases.append(pytest.param(column, id=column.id, marks=marks))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("column", params())
def test_each_sorted_or_filtered_column_leads_an_index(column):
    indexes = indexes_of(column.table)
    width = len(column.columns)
    assert any(index[:width] == column.columns for index in indexes), (
        f"{column.source} sorts or filters on {column.label} ({column.table}."
        f"{', '.join(column.columns)}) and no index starts with it; indexes: {indexes}"
    )


def test_the_columns_were_found():
    """The collection itself works: the known sort and filter columns are among them."""
    labels = {column.label for column in COLUMNS}
    assert {
        "registry.Patient.last_name+registry.Patient.first_name",
        "registry.Patient.status",
        "registry.Patient.enrolled_at",
        "registry.Patient.prescriber",
        "registry.Patient.risk_category",
        "registry.PharmacyCertification.status",
        "registry.PharmacyCertification.valid_until",
        "dosing.TreatmentCourse.status+dosing.TreatmentCourse.next_follow_up",
    } <= labels
    assert not any(column.source == "PatientFilter.q" for column in COLUMNS)
