"""Refusals you can read (issue 13, point 9): every refused clinical form writes one refusal
row and nothing else; prescribers and registry admins read them on /refusals/ (filters, CSV);
the patient page lists that patient's own.
"""

import csv
import datetime
import io

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dosing import services
from dosing.models import RefusedAction, TreatmentCourse
from registry.models import PregnancyTest
from tests.course_fixtures import TODAY, days_ago
from tests.factories import PatientFactory, UserFactory

URL = "/refusals/"


def records() -> dict[str, int]:
    """Rows of every table but the refusal log and the session: what a refusal must not
    change."""
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and m._meta.label not in ("dosing.RefusedAction", "sessions.Session")
    }


def refused(client, user, url, data):
    """Post `data` as `user`; the one refusal row it wrote. Nothing else may change."""
    client.force_login(user)
    before = records()
    response = client.post(url, data)
    assert response.status_code == 200
    assert records() == before, "a refused form changed a record"
    return RefusedAction.objects.get()


# Form-level refusals -----------------------------------------------------------------------


def visit_data(**overrides):
    return {
        "visit_date": str(TODAY),
        "weight_kg": "70",
        "nodule_count": "10",
        "phq2_interest": "0",
        "phq2_mood": "0",
        "triglycerides_unit": "mg/dL",
        "cholesterol_unit": "mg/dL",
        "next_follow_up": str(TODAY + datetime.timedelta(days=28)),
        **overrides,
    }


def test_a_visit_with_an_impossible_weight_writes_one_refusal_and_no_visit(
    client, nurse, male_patient, start_course
):
    start_course(male_patient, start_date=days_ago(30))
    url = reverse("staff:visit-new", args=[male_patient.pk])
    data = visit_data(weight_kg="400", confirm_weight_change="on", notes="scale at front desk")
    row = refused(client, nurse, url, data)
    assert (row.kind, row.user, row.patient) == (RefusedAction.Kind.VISIT, nurse, male_patient)
    assert row.reasons == ["Weight (kg): 250 kg is the highest weight accepted; check the scale."]
    assert row.details["weight_kg"] == "400"
    assert row.details["notes"] == "scale at front desk"
    assert "csrfmiddlewaretoken" not in row.details


def test_every_error_of_a_visit_is_a_reason_with_its_field_label(
    client, nurse, male_patient, start_course
):
    start_course(male_patient, start_date=days_ago(30))
    url = reverse("staff:visit-new", args=[male_patient.pk])
    data = visit_data(weight_kg="24", nodule_count="-1", confirm_weight_change="on")
    row = refused(client, nurse, url, data)
    assert sorted(row.reasons) == [
        "Total inflammatory nodule count: A count cannot be negative.",
        "Weight (kg): 25 kg is the lowest weight accepted; check the scale.",
    ]


def test_a_long_submitted_value_is_kept_to_100_characters(
    client, nurse, male_patient, start_course
):
    start_course(male_patient, start_date=days_ago(30))
    url = reverse("staff:visit-new", args=[male_patient.pk])
    row = refused(client, nurse, url, visit_data(weight_kg="400", notes="x" * 5000))
    assert len(row.details["notes"]) == 100


def test_a_pregnancy_test_dated_tomorrow_writes_one_refusal(client, nurse, female_patient):
    url = reverse("staff:pregnancy-test-new", args=[female_patient.pk])
    tomorrow = str(TODAY + datetime.timedelta(days=1))
    data = {"specimen_date": tomorrow, "result": "negative", "setting": "medical"}
    row = refused(client, nurse, url, data)
    assert (row.kind, row.user, row.patient) == ("pregnancy_test", nurse, female_patient)
    assert row.reasons == ["Specimen date: The specimen date is in the future."]
    assert row.details == {"specimen_date": tomorrow, "result": "negative", "setting": "medical"}
    assert not PregnancyTest.objects.exists()


COURSE_START = {
    "start_date": str(TODAY),
    "baseline_weight_kg": "70",
    "baseline_nodule_count": "24",
    "formulation": "conventional",
    "target_mg_per_kg": "120",
}


def test_a_course_start_refused_by_its_form_writes_one_refusal(client, prescriber, male_patient):
    url = reverse("staff:course-start", args=[male_patient.pk])
    row = refused(client, prescriber, url, {**COURSE_START, "start_date": str(days_ago(30))})
    assert (row.kind, row.user, row.patient) == ("start_course", prescriber, male_patient)
    assert row.reasons == ["Start date: A course cannot start more than a week in the past."]
    assert not TreatmentCourse.objects.exists()


def test_a_course_start_refused_by_the_service_is_recorded_once(client, prescriber, male_patient):
    """The service records its refusal; the view must not record it again as a form's."""
    male_patient.consent_treatment_on = None
    male_patient.save()
    row = refused(
        client, prescriber, reverse("staff:course-start", args=[male_patient.pk]), COURSE_START
    )
    assert row.kind == "start_course"
    assert "consent to treatment and registry is not recorded" in " ".join(row.reasons)


def test_a_course_end_without_a_reason_writes_one_refusal(
    client, prescriber, male_patient, start_course
):
    course = start_course(male_patient)
    url = reverse("staff:course-end", args=[course.pk])
    data = {"status": "discontinued", "end_date": str(TODAY), "reason": ""}
    row = refused(client, prescriber, url, data)
    assert (row.kind, row.user, row.patient) == ("end_course", prescriber, male_patient)
    assert row.course == course
    assert row.reasons == ["Reason: This field is required."]
    course.refresh_from_db()
    assert course.is_active


def test_a_valid_form_and_a_plain_visit_to_a_form_write_no_refusal(
    client, nurse, male_patient, start_course
):
    start_course(male_patient, start_date=days_ago(30))
    client.force_login(nurse)
    url = reverse("staff:visit-new", args=[male_patient.pk])
    client.get(url)
    assert client.post(url, visit_data()).status_code == 302
    assert not RefusedAction.objects.exists()


# The refusals page -------------------------------------------------------------------------


def refusal(kind="prescribe", *, by, patient=None, reasons=("Refused.",), at=None, **fields):
    row = services.record_refusal(kind, list(reasons), by=by, patient=patient, **fields)
    if at is not None:
        RefusedAction.objects.filter(pk=row.pk).update(at=at)
    return row


def shown(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].rows]


@pytest.mark.parametrize("persona", ["prescriber", "registry_admin"])
def test_prescribers_and_registry_admins_read_the_refusals(client, personas, persona):
    patient = personas["patient"].patient
    refusal(by=personas["nurse"], patient=patient, reasons=["Dose above 2 mg/kg/day."])
    client.force_login(personas[persona])
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dose above 2 mg/kg/day." in html
    assert patient.registry_id in html
    # Only those who may open the patient page get a link to it.
    linked = patient.get_absolute_url() in html
    assert linked == (persona == "prescriber")


@pytest.mark.parametrize("persona", ["nurse", "pharmacist", "patient"])
def test_other_roles_get_404(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_navigation_links_to_the_page_for_its_readers_only(client, personas):
    for persona, sees in (("prescriber", True), ("registry_admin", True), ("nurse", False)):
        client.force_login(personas[persona])
        html = client.get(reverse("password_change")).content.decode()
        assert (f'href="{URL}"' in html) == sees, persona


def test_newest_first_with_each_reason_on_its_own_line(client, prescriber, nurse):
    old = refusal(by=nurse, at=timezone.now() - datetime.timedelta(days=3))
    new = refusal(by=nurse, reasons=["First reason.", "Second reason."])
    client.force_login(prescriber)
    response = client.get(URL)
    assert shown(response) == [new.pk, old.pk]
    assert "<li>First reason.</li><li>Second reason.</li>" in response.content.decode()


def test_filters_by_kind_user_patient_and_dates(client, prescriber, nurse, pharmacist):
    alex, jo = PatientFactory(prescriber=prescriber), PatientFactory(prescriber=prescriber)
    now = timezone.now()
    dispense = refusal("dispense", by=pharmacist, patient=alex, at=now - datetime.timedelta(10))
    visit = refusal("visit", by=nurse, patient=jo, at=now - datetime.timedelta(2))
    enrol = refusal("enrol", by=nurse, at=now)
    client.force_login(prescriber)

    def found(**query):
        return set(shown(client.get(URL, query)))

    assert found() == {dispense.pk, visit.pk, enrol.pk}
    assert found(kind="dispense") == {dispense.pk}
    assert found(user="NURSE") == {visit.pk, enrol.pk}
    assert found(user="pharm.nair") == {dispense.pk}
    assert found(patient=jo.registry_id) == {visit.pk}
    # Typed without dashes, in lower case: the same registry ID.
    assert found(patient=alex.registry_id.replace("-", "").lower()) == {dispense.pk}
    five_days_ago = timezone.localdate() - datetime.timedelta(days=5)
    assert found(date_from=str(five_days_ago)) == {visit.pk, enrol.pk}
    assert found(date_to=str(five_days_ago)) == {dispense.pk}
    assert found(date_from=str(timezone.localdate()), date_to=str(timezone.localdate())) == {
        enrol.pk
    }
    assert found(kind="visit", user="nurse", patient=jo.registry_id) == {visit.pk}


def test_a_registry_id_with_a_wrong_check_character_shows_a_message_and_no_rows(
    client, prescriber, nurse
):
    patient = PatientFactory(prescriber=prescriber)
    refusal(by=nurse, patient=patient)
    body, check = patient.registry_id[:-1], patient.registry_id[-1]
    wrong = body + ("0" if check != "0" else "1")
    client.force_login(prescriber)
    response = client.get(URL, {"patient": wrong})
    assert response.status_code == 200
    assert shown(response) == []
    assert "is not a whole registry ID" in response.content.decode()


def test_the_page_has_more_pages_when_there_are_many_refusals(client, prescriber, nurse):
    RefusedAction.objects.bulk_create(
        [RefusedAction(kind="visit", user=nurse, reasons=[f"r{i}"]) for i in range(60)]
    )
    client.force_login(prescriber)
    first = client.get(URL)
    assert len(shown(first)) == 50
    second = client.get(f"{URL}?{first.context['links'].next_query}")
    assert len(shown(second)) == 10
    assert not set(shown(first)) & set(shown(second))


def test_the_csv_export_has_the_rows_and_neutralises_formulas(client, prescriber, nurse):
    patient = PatientFactory(prescriber=prescriber, first_name="Maya", last_name="Lindgren")
    refusal(
        "visit",
        by=nurse,
        patient=patient,
        reasons=['=HYPERLINK("http://evil.example","x")', "Weight (kg): too high."],
        details={"weight_kg": "400"},
    )
    refusal("enrol", by=nurse, reasons=["@SUM(1+1)"])
    refusal("dispense", by=prescriber, reasons=["Not certified."])
    client.force_login(prescriber)
    response = client.get(URL, {"user": "nurse", "_export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["When", "Kind", "By", "Patient", "What was tried", "Reasons"]
    assert len(rows) == 3  # the filter applies; no pagination
    enrol_row, visit_row = rows[1], rows[2]
    assert enrol_row[1] == "Enrol a patient"
    assert enrol_row[5] == "'@SUM(1+1)"
    assert visit_row[3] == f"Maya Lindgren ({patient.registry_id})"
    assert visit_row[4] == "weight kg: 400"
    assert visit_row[5] == '\'=HYPERLINK("http://evil.example","x")\nWeight (kg): too high.'


def test_a_post_to_the_page_is_not_allowed(client, prescriber):
    client.force_login(prescriber)
    assert client.post(URL, {}).status_code == 405


# The patient page --------------------------------------------------------------------------


def test_the_patient_page_lists_the_patients_refusals_and_not_anothers(client, prescriber, nurse):
    alex, jo = PatientFactory(prescriber=prescriber), PatientFactory(prescriber=prescriber)
    refusal("visit", by=nurse, patient=alex, reasons=["Alex's weight was impossible."])
    refusal("visit", by=nurse, patient=jo, reasons=["Jo's weight was impossible."])
    client.force_login(prescriber)
    html = client.get(alex.get_absolute_url()).content.decode()
    section = html.split('data-testid="patient-refusals"')[1].split("</section>")[0]
    assert "Refused actions" in section
    assert "Alex&#x27;s weight was impossible." in section
    assert "Jo&#x27;s" not in html
    assert f'href="{URL}?patient={alex.registry_id}"' in section


def test_a_nurse_sees_the_refusals_without_the_link_to_a_page_she_cannot_open(
    client, prescriber, nurse
):
    patient = PatientFactory(prescriber=prescriber)
    refusal("visit", by=nurse, patient=patient, reasons=["Refused visit."])
    client.force_login(nurse)
    html = client.get(patient.get_absolute_url()).content.decode()
    assert "Refused visit." in html
    assert f'href="{URL}?' not in html


def test_the_patient_page_shows_the_latest_20_in_one_query_whatever_the_number(client, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    users = [UserFactory() for _ in range(3)]
    a_day_ago = timezone.now() - datetime.timedelta(days=1)
    refusal("visit", by=users[0], patient=patient, reasons=["the oldest"], at=a_day_ago)
    client.force_login(prescriber)
    with CaptureQueriesContext(connection) as few:
        client.get(patient.get_absolute_url())
    RefusedAction.objects.bulk_create(
        [
            RefusedAction(kind="visit", user=users[i % 3], patient=patient, reasons=[f"n{i}"])
            for i in range(40)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        html = client.get(patient.get_absolute_url()).content.decode()
    assert len(many) == len(few)
    assert "the oldest" not in html
    refusal_queries = [q for q in many.captured_queries if "dosing_refusedaction" in q["sql"]]
    assert len(refusal_queries) == 1
