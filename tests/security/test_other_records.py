"""Records that are not yours answer 404, on every object URL (issue 8, item 1).

Every URL of the permission table that names an object is checked here, for every role the
table lets use it, GET and POST:
- an object that does not exist answers 404 (never 500, never a page);
- a patient asking for another patient's object, and a pharmacist for another pharmacy's
  record, gets 404 too, and nothing changes: to them it does not exist.
A new object URL fails the first test until it says which owner its objects have.
"""

import re

import pytest
from django.urls import reverse

from dosing import services
from dosing.models import Dispense
from registry.models import Pharmacist
from tests.clinic.test_url_permissions import NOT_ALLOWED, OK, ROLES, TABLE, url_for

MISSING = 10**9  # no table here reaches a billion rows in a test

# Object URLs and whose objects they show. "clinic": staff see every patient of the registry,
# so there is no other owner to hide from, only objects that do not exist.
OWNER = {
    "staff:patient-detail": "clinic",
    "staff:patient-edit": "clinic",
    "staff:patient-status": "clinic",
    "staff:patient-invite": "clinic",
    "staff:patient-reminders": "clinic",
    "staff:course-start": "clinic",
    "staff:pregnancy-test-new": "clinic",
    "staff:visit-new": "clinic",
    "staff:visit-follow-up-slots": "clinic",
    "staff:counselling-confirm": "clinic",
    "staff:reminder-retry": "clinic",
    "staff:flag-acknowledge": "clinic",
    "pharmacy:staff-dispense-authorize": "clinic",
    "staff:course-detail": "clinic",
    "staff:course-prescribe": "clinic",
    "staff:course-prescribe-check": "clinic",
    "staff:course-end": "clinic",
    "staff:prescription-pdf": "clinic",
    "staff:visit-summary-pdf": "clinic",
    "staff:referral-pdf": "clinic",
    "staff:fhir-patient-everything": "clinic",
    "staff:appointment-book": "clinic",
    "staff:appointment-cancel": "clinic",
    "staff:appointment-no-show": "clinic",
    "staff:appointment-attended": "clinic",
    "staff:appointment-approve": "clinic",
    "staff:appointment-decline": "clinic",
    "portal:course-schedule": "patient",
    "portal:course-progress": "patient",
    # Any certified pharmacy may fill any prescription, but only with the patient's registry ID:
    # the id alone, or with another patient's ID, is 404 (the test below).
    "pharmacy:dispense": "registry_id",
    "pharmacy:reverse": "pharmacy",
    # A user's own passkey; another user's answers 404 (tests/accounts/test_passkey_rules.py).
    "accounts:two-factor-passkey-remove": "user",
    # A spreadsheet import is its uploader's alone (tests/staff/test_imports.py).
    "staff:import-detail": "user",
    "staff:import-progress": "user",
    "staff:import-confirm": "user",
}
# Pages that take no POST at all answer it with 405 before looking anything up.
GET_ONLY = {
    "staff:course-prescribe-check",
    "staff:visit-follow-up-slots",
    "staff:prescription-pdf",
    "staff:visit-summary-pdf",
    "staff:referral-pdf",
    "staff:fhir-patient-everything",
    "staff:import-detail",
    "staff:import-progress",
}
# Secret-token URLs: a wrong token is already 404 for everyone in the permission table.
TOKEN_URLS = {"portal:invitation-accept", "portal:calendar-feed", "password_reset_confirm"}
# URLs whose argument names a fixed part of a page, not a record of anyone's.
NOT_RECORDS = {"staff:worklist-section"}


def object_urls():
    for name, (kwargs, _) in TABLE.items():
        if name not in TOKEN_URLS | NOT_RECORDS and (callable(kwargs) or kwargs):
            yield name


def users_of(name):
    """Roles the table lets use `name`, with the methods they use it by."""
    answers = TABLE[name][1]
    for role in ROLES:
        if answers[role] == OK:
            yield role, ("get", "post")
        elif answers[role] == NOT_ALLOWED:
            yield role, ("post",)


def test_every_object_url_says_whose_objects_it_shows():
    assert set(object_urls()) == set(OWNER), "add the new object URL to OWNER"


def missing_url(name, personas):
    kwargs = TABLE[name][0]
    kwargs = kwargs(personas) if callable(kwargs) else kwargs
    return reverse(name, kwargs=dict.fromkeys(kwargs, MISSING))


MISSING_CASES = [
    (name, role, method)
    for name in OWNER
    for role, methods in users_of(name)
    for method in methods
    if not (method == "post" and name in GET_ONLY)
]


@pytest.mark.parametrize(
    ("url_name", "role", "method"), MISSING_CASES, ids=["-".join(c) for c in MISSING_CASES]
)
def test_an_object_that_does_not_exist_answers_404(client, personas, url_name, role, method):
    client.force_login(personas[role])
    response = getattr(client, method)(missing_url(url_name, personas))
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", sorted(GET_ONLY))
def test_the_get_only_object_pages_take_no_post(client, personas, url_name):
    role = next(role for role, _ in users_of(url_name))
    client.force_login(personas[role])
    assert client.post(url_for(url_name, personas)).status_code == 405


PATIENT_CASES = [name for name, owner in OWNER.items() if owner == "patient"]


@pytest.mark.parametrize("url_name", PATIENT_CASES)
def test_another_patients_object_answers_404(client, personas, url_name):
    theirs = url_for(url_name, {**personas, "patient": personas["other_patient"]})
    own = url_for(url_name, personas)
    assert theirs != own
    client.force_login(personas["patient"])
    assert client.get(own).status_code == 200
    assert client.get(theirs).status_code == 404
    assert client.post(theirs).status_code in (404, 405)


def test_another_pharmacys_record_answers_404_and_stays_as_it_was(
    client, personas, make_pharmacy, male_patient, start_course, prescribe
):
    pharmacist = personas["pharmacist"]
    own = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.update_or_create(user=pharmacist, defaults={"pharmacy": own})
    other = make_pharmacy("Hilltop Pharmacy")
    prescription = prescribe(start_course(male_patient))
    theirs = services.authorize_dispense(prescription, pharmacy=other, by=personas["prescriber"])
    assert [name for name, owner in OWNER.items() if owner == "pharmacy"] == ["pharmacy:reverse"]
    client.force_login(pharmacist)
    response = client.post(reverse("pharmacy:reverse", args=[theirs.pk]), {"reason": "not ours"})
    assert response.status_code == 404
    assert Dispense.objects.get(pk=theirs.pk).reversed_at is None


def _page(response) -> str:
    """The page without what differs on every answer by design: the CSRF tokens (masked anew
    each time) and the address the page was asked at (the language switch returns there)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", html)
    return re.sub(r'name="next" value="[^"]*"', "next", html)


def test_the_not_found_answers_are_the_same_as_for_a_page_that_does_not_exist(client, personas):
    """Nothing tells "exists but not yours" from "does not exist" (same status, same page)."""
    client.force_login(personas["patient"])
    others = {**personas, "patient": personas["other_patient"]}
    theirs = client.get(url_for("portal:course-schedule", others))
    nowhere = client.get("/no-such-page/")
    assert theirs.status_code == nowhere.status_code == 404
    assert _page(theirs) == _page(nowhere)


def test_a_prescription_id_without_its_patients_registry_id_answers_404_and_tells_nothing(
    client, personas, make_pharmacy, male_patient, female_patient, start_course, prescribe
):
    """The dispensing POST by id: another patient's registry ID, a mistyped one or none is
    404, byte-identical to a page that does not exist, and no dispense is written."""
    pharmacist = personas["pharmacist"]
    Pharmacist.objects.update_or_create(
        user=pharmacist, defaults={"pharmacy": make_pharmacy("Riverside Pharmacy")}
    )
    prescription = prescribe(start_course(male_patient))
    url = reverse("pharmacy:dispense", args=[prescription.pk])
    client.force_login(pharmacist)
    nowhere = client.get("/no-such-page/")
    good = male_patient.registry_id
    for registry_id in (None, female_patient.registry_id, good[:-1] + "?", "'; DROP TABLE --"):
        data = {} if registry_id is None else {"registry_id": registry_id}
        response = client.post(url, data)
        assert response.status_code == 404, registry_id
        assert _page(response) == _page(nowhere)
    assert not Dispense.objects.exists()
    assert client.post(url, {"registry_id": good}).status_code == 302
    assert Dispense.objects.filter(prescription=prescription).count() == 1
