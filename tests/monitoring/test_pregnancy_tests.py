"""Recording pregnancy tests; a positive one stops the active course at once (R18)."""

import datetime

import pytest
from django.urls import reverse

from dosing import services
from dosing.models import TreatmentCourse
from registry.models import PregnancyTest
from tests.course_fixtures import TODAY


def post(client, user, patient, **data):
    client.force_login(user)
    return client.post(
        reverse("staff:pregnancy-test-new", args=[patient.pk]),
        {"specimen_date": str(TODAY), "result": "negative", "setting": "medical", **data},
    )


def test_a_nurse_records_a_negative_test(client, nurse, female_patient):
    response = post(client, nurse, female_patient)
    assert response.status_code == 302
    test = PregnancyTest.objects.get()
    assert (test.result, test.recorded_by, test.patient) == ("negative", nurse, female_patient)


def test_a_future_specimen_date_is_refused(client, nurse, female_patient):
    response = post(
        client, nurse, female_patient, specimen_date=str(TODAY + datetime.timedelta(days=1))
    )
    assert "in the future" in response.content.decode()
    assert not PregnancyTest.objects.exists()


def test_a_positive_test_stops_the_course_and_dispensing_is_refused(
    client,
    nurse,
    female_patient,
    start_course,
    prescribe,
    record_test,
    make_pharmacy,
    pharmacist,
):
    record_test(female_patient, 25)
    record_test(female_patient, 1)
    course = start_course(female_patient)
    prescription = prescribe(course)
    response = post(client, nurse, female_patient, result="positive")
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert "Positive pregnancy test" in course.end_reason
    assert course.history.first().history_user == nurse
    with pytest.raises(services.Refused, match="course is discontinued"):
        services.authorize_dispense(prescription, pharmacy=make_pharmacy(), by=pharmacist)
