"""The access log's record (issue 16, point 3): one INSERT per access, append-only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.audit import record_access
from registry.models import RecordAccess


def test_recording_an_access_is_one_insert_and_nothing_else(personas):
    patient = personas["patient"].patient
    with CaptureQueriesContext(connection) as captured:
        access = record_access(personas["nurse"], patient, RecordAccess.Kind.PAGE, "Patient page")
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    access.refresh_from_db()
    assert (access.user, access.patient, access.kind, access.what, access.detail) == (
        personas["nurse"],
        patient,
        "page",
        "Patient page",
        {},
    )


def test_a_patient_may_be_named_by_its_id_or_not_at_all(personas):
    patient = personas["patient"].patient
    by_id = record_access(personas["nurse"], patient.pk, "page", "Course page")
    bulk = record_access(personas["nurse"], None, "export", "Patient list export", {"q": "a"})
    assert RecordAccess.objects.get(pk=by_id.pk).patient == patient
    assert (bulk.patient, bulk.detail) == (None, {"q": "a"})


def test_a_long_name_of_a_page_is_cut_to_the_column(personas):
    access = record_access(personas["nurse"], None, "page", "x" * 500)
    assert len(RecordAccess.objects.get(pk=access.pk).what) == 80


@pytest.mark.parametrize("view", ["add", "change", "delete"])
def test_the_admin_reads_the_log_and_changes_nothing(client, personas, view):
    access = record_access(personas["nurse"], personas["patient"].patient, "page", "Patient page")
    client.force_login(personas["registry_admin"])
    args = [] if view == "add" else [access.pk]
    if view == "change":
        # The change page of a read-only admin is a view page: nothing to save.
        response = client.post(reverse("admin:registry_recordaccess_change", args=args), {})
        assert response.status_code == 403
    else:
        url = reverse(f"admin:registry_recordaccess_{view}", args=args)
        assert client.get(url).status_code == 403
    assert RecordAccess.objects.get(pk=access.pk).what == "Patient page"
