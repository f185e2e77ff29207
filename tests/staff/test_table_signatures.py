"""django-tables2 asks a render function's signature for every cell; clinic.staff.tables.
fast_signatures works it out once per function. The answers and the tables' HTML are the
same as without it (bench/table_rows.py measures the time it saves).

The staff tables' rows are made by fast_rows (tests/staff/test_fast_rows.py), which asks
once per column; tables2's own cells (a template column, a table with a footer) still ask per
cell, so these tests draw the table through django-tables2's own template."""

import django_tables2.utils as tables2_utils
import pytest
from django.conf import settings
from django.test import RequestFactory
from django_tables2 import RequestConfig

from clinic.staff.tables import fast_signatures
from clinic.staff.tables.patients import PatientTable
from registry.models import Patient
from tests.factories import PatientFactory


def plain(value, record):
    return value


class Holder:
    def method(self, value, *, record=None):
        return value

    def star(*args, **kwargs):  # the first parameter is not self here
        return args

    @classmethod
    def klass(cls, table, bound_column):
        return table

    @staticmethod
    def static(value):
        return value

    def __call__(self, record, **extra):
        return record


CALLABLES = {
    "function": plain,
    "lambda": lambda record, value: value,
    "bound method": Holder().method,
    "bound method taking *args": Holder().star,
    "classmethod": Holder.klass,
    "staticmethod": Holder.static,
    "callable object": Holder(),
    "builtin": len,
}


@pytest.mark.parametrize("name", CALLABLES)
def test_the_kept_answer_is_the_one_django_tables2_works_out(name):
    fn = CALLABLES[name]
    expected = fast_signatures._original(fn)
    assert fast_signatures.signature(fn) == expected
    assert fast_signatures.signature(fn) == expected  # the kept answer, asked again


def render(patients) -> str:
    table = PatientTable(patients, order_by=(), template_name=settings.DJANGO_TABLES2_TEMPLATE)
    request = RequestFactory().get("/patients/")
    RequestConfig(request, paginate=False).configure(table)
    return table.as_html(request)


def test_the_patient_table_draws_the_same_html_and_inspects_each_function_once(
    db, prescriber, monkeypatch
):
    PatientFactory.create_batch(6, prescriber=prescriber)
    patients = list(Patient.objects.select_related("prescriber").order_by("pk"))
    fast_signatures.uninstall()
    try:
        without = render(patients)
    finally:
        fast_signatures.install()
    assert tables2_utils.signature is fast_signatures.signature  # installed by StaffConfig
    render(patients)  # every function met once
    asked, original = [], fast_signatures._original

    def counting(fn):
        asked.append(fn)
        return original(fn)

    monkeypatch.setattr(fast_signatures, "_original", counting)
    assert render(patients) == without
    assert asked == []  # 6 rows x 7 columns, and no signature worked out again
