"""Only patients use the portal, and each patient sees only their own records: staff and other
roles get 404 (never 403), anonymous users the login page, and no portal page shows another
patient's name, dose or dates."""

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.portal.urls import urlpatterns
from registry.models import Patient
from tests.factories import UserFactory

# The feed and the invitation open with a token instead of a login.
SIGNED_IN_PAGES = [
    f"portal:{p.name}" for p in urlpatterns if p.name not in ("calendar-feed", "invitation-accept")
]
COURSE_PAGES = {"portal:course-schedule", "portal:course-progress"}


def url_for(name, course_pk=1):
    return reverse(name, args=[course_pk]) if name in COURSE_PAGES else reverse(name)


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
@pytest.mark.parametrize("role", ["prescriber", "nurse", "registry_admin", "pharmacist"])
def test_other_roles_get_404_on_every_portal_page(client, personas, role, name):
    client.force_login(personas[role])
    assert client.get(url_for(name)).status_code == 404


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, db, name):
    response = client.get(url_for(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", sorted(set(SIGNED_IN_PAGES) - COURSE_PAGES))
def test_a_patient_account_without_a_registry_record_gets_404(client, db, name):
    client.force_login(UserFactory(username="lonely", roles=[Role.PATIENT]))
    assert client.get(url_for(name)).status_code == 404


def test_no_page_shows_another_patients_records(client, patient, other_patient, build_course):
    jordan = other_patient.patient
    jordan.risk_category = Patient.RiskCategory.CANNOT_GET_PREGNANT
    jordan.save()
    # Jordan takes 40 mg (a dose Alex never has); Alex 20 then 30 mg.
    theirs = build_course(jordan, prescriptions=1, doses=(40,), visits=1, nodules=33)
    build_course(patient.patient, prescriptions=2, visits=1)
    client.force_login(patient)
    for name in sorted(set(SIGNED_IN_PAGES) - COURSE_PAGES):
        response = client.get(url_for(name))
        assert response.status_code == 200, name
        text = response.content.decode()
        secrets = (jordan.first_name, jordan.last_name, jordan.registry_id, "40 mg", "33 nod")
        for secret in secrets:
            assert secret not in text, (name, secret)
    for name in COURSE_PAGES:
        assert client.get(url_for(name, theirs.pk)).status_code == 404


def test_the_portal_works_on_the_signed_in_patient_only(client, patient, other_patient):
    """No portal URL takes a patient id: there is nothing to change to see someone else."""
    for pattern in urlpatterns:
        assert "patient" not in str(pattern.pattern)
