"""Every URL the project defines, requested by every role and anonymously (DESIGN.md: 404 for
places a role may not use, never 403). A new URL without a row here fails the first test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ["anonymous", "prescriber", "nurse", "registry_admin", "pharmacist", "patient"]
STAFF = {"prescriber", "nurse"}

OK, NOT_FOUND, LOGIN, ADMIN_LOGIN, HOME, NOT_ALLOWED = (
    "200",
    "404",
    "login",
    "admin-login",
    "home",
    "405",
)


def only(roles, allowed=OK, others=NOT_FOUND):
    """Answers for a page only `roles` may use: login for anonymous, 404 for other roles."""
    return {
        role: (LOGIN if role == "anonymous" else allowed if role in roles else others)
        for role in ROLES
    }


def everyone(answer, anonymous=None):
    return {role: (anonymous or answer) if role == "anonymous" else answer for role in ROLES}


def a_patient(personas):
    return {"pk": personas["patient"].patient.pk}


def a_course(personas):
    """An active course of the patient persona (made once per test)."""
    from decimal import Decimal

    from django.utils import timezone

    from dosing.models import TreatmentCourse

    patient = personas["patient"].patient
    course, _ = TreatmentCourse.objects.get_or_create(
        patient=patient,
        number=1,
        defaults={
            "start_date": timezone.localdate(),
            "baseline_weight_kg": Decimal(70),
            "baseline_nodule_count": 12,
            "formulation": "conventional",
            "started_by": personas["prescriber"],
        },
    )
    return {"pk": course.pk}


def a_flag(personas):
    from clinic.monitoring.models import CourseFlag

    course_pk = a_course(personas)["pk"]
    flag, _ = CourseFlag.objects.get_or_create(course_id=course_pk, kind="mood_screen")
    return {"pk": flag.pk}


def the_patient(personas):
    return {"patient_pk": personas["patient"].patient.pk}


def a_prescription(personas):
    """A prescription in the patient persona's course (its printout)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from dosing.models import Prescription

    today = timezone.localdate()
    rx, _ = Prescription.objects.get_or_create(
        course_id=a_course(personas)["pk"],
        prescribed_on=today,
        defaults={
            "prescribed_by": personas["prescriber"],
            "weight_kg": Decimal(70),
            "mg_per_dose": 30,
            "formulation": "conventional",
            "capsules_per_dose": [30],
            "days_supply": 30,
            "window_opens": today,
            "window_closes": today + datetime.timedelta(days=29),
        },
    )
    return {"pk": rx.pk}


def a_visit(personas):
    """A visit of the patient persona in its course (its summary)."""
    from decimal import Decimal

    from django.utils import timezone

    from clinic.monitoring.models import Visit

    course_pk = a_course(personas)["pk"]
    visit, _ = Visit.objects.get_or_create(
        patient=personas["patient"].patient,
        course_id=course_pk,
        visit_date=timezone.localdate(),
        defaults={
            "weight_kg": Decimal(70),
            "nodule_count": 8,
            "phq2_interest": 0,
            "phq2_mood": 1,
            "recorded_by": personas["nurse"],
        },
    )
    return {"pk": visit.pk}


def a_positive_test(personas):
    """The patient persona, with a positive pregnancy test during its course (the referral
    letter exists only then, R18)."""
    from django.utils import timezone

    from registry.models import PregnancyTest

    a_course(personas)
    patient = personas["patient"].patient
    PregnancyTest.objects.get_or_create(
        patient=patient,
        result="positive",
        defaults={"specimen_date": timezone.localdate(), "recorded_by": personas["nurse"]},
    )
    return {"pk": patient.pk}


def a_batch(personas):
    """A previewed import batch of the prescriber's: a batch is its uploader's alone, so a
    registry admin, who may import too, gets 404 for this one."""
    from registry.models import ImportBatch

    batch, _ = ImportBatch.objects.get_or_create(
        created_by=personas["prescriber"],
        defaults={
            "file_name": "patients.csv",
            "sha256": "0" * 64,
            "content": b"",
            "columns": ["first_name", "last_name", "date_of_birth"],
            "rows": [[2, "Maria", "Lopez", "2000-01-01"]],
            "row_count": 1,
        },
    )
    return {"pk": batch.pk}


PRESCRIBER = {"prescriber"}
SECOND_FACTOR = {"prescriber", "nurse", "pharmacist", "registry_admin"}  # TWO_FACTOR_ROLES

# url name -> (reverse kwargs, or a function of the personas giving them; {role: answer to GET})
TABLE = {
    "accounts:home": ({}, everyone("role-start", anonymous=LOGIN)),
    "login": ({}, everyone(HOME, anonymous=OK)),
    "logout": ({}, everyone(NOT_ALLOWED)),
    # The footer's language switch: POST only, for everyone.
    "set-language": ({}, everyone(NOT_ALLOWED)),
    "password_change": ({}, everyone(OK, anonymous=LOGIN)),
    "password_change_done": ({}, everyone(OK, anonymous=LOGIN)),
    "accounts:two-factor-manage": ({}, only(SECOND_FACTOR)),
    # Already set up and verified (force_login passes the second factor): nothing to do there.
    "accounts:two-factor-setup": ({}, only(SECOND_FACTOR, allowed="to accounts:two-factor-manage")),
    "accounts:two-factor-verify": ({}, only(SECOND_FACTOR, allowed=HOME)),
    "accounts:two-factor-recovery-codes": ({}, only(SECOND_FACTOR, allowed=NOT_ALLOWED)),
    "accounts:two-factor-passkey-remove": ({"pk": 1}, only(SECOND_FACTOR, allowed=NOT_ALLOWED)),
    # Passkeys (django-otp-webauthn): JSON ceremonies answered to POST only.
    "otp_webauthn:credential-registration-begin": ({}, only(SECOND_FACTOR, allowed=NOT_ALLOWED)),
    "otp_webauthn:credential-registration-complete": (
        {},
        only(SECOND_FACTOR, allowed=NOT_ALLOWED),
    ),
    "otp_webauthn:credential-authentication-begin": (
        {},
        only(SECOND_FACTOR, allowed=NOT_ALLOWED),
    ),
    "otp_webauthn:credential-authentication-complete": (
        {},
        only(SECOND_FACTOR, allowed=NOT_ALLOWED),
    ),
    "otp_webauthn:js-i18n-catalog": ({}, everyone(OK)),
    "password_reset": ({}, everyone(OK)),
    "password_reset_done": ({}, everyone(OK)),
    "password_reset_confirm": ({"uidb64": "MQ", "token": "set-password"}, everyone(OK)),
    "password_reset_complete": ({}, everyone(OK)),
    "staff:worklist": ({}, only(STAFF)),
    "staff:worklist-section": ({"key": "flags"}, only(STAFF)),
    "staff:patient-list": ({}, only(STAFF)),
    "staff:patient-enrol": ({}, only(STAFF)),
    "staff:patient-detail": (a_patient, only(STAFF)),
    "staff:patient-edit": (a_patient, only(STAFF)),
    "staff:patient-status": (a_patient, only(STAFF)),
    "staff:patient-invite": (a_patient, only(STAFF, allowed=NOT_ALLOWED)),
    "portal:invitation-accept": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    "staff:pharmacy-list": ({}, only(STAFF)),
    "staff:course-start": (the_patient, only(PRESCRIBER)),
    "staff:pregnancy-test-new": (the_patient, only(STAFF)),
    "staff:visit-new": (the_patient, only(STAFF)),
    "staff:visit-follow-up-slots": (the_patient, only(STAFF)),  # the visit form's slot menu
    "staff:counselling-confirm": (the_patient, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:monthly-steps-csv": ({}, only(STAFF)),
    "staff:patient-reminders": (a_patient, only(STAFF)),
    "staff:reminders-failed": ({}, only(STAFF)),
    "staff:reminder-retry": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:flag-acknowledge": (a_flag, only(PRESCRIBER)),
    "pharmacy:dispense": ({"prescription_pk": 1}, only({"pharmacist"}, allowed=NOT_ALLOWED)),
    "pharmacy:reverse": ({"pk": 1}, only({"pharmacist"}, allowed=NOT_ALLOWED)),
    "pharmacy:staff-dispense": ({}, only(STAFF)),
    "pharmacy:staff-dispense-authorize": ({"prescription_pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:course-detail": (a_course, only(STAFF)),
    "staff:course-prescribe": (a_course, only(PRESCRIBER)),
    "staff:course-prescribe-check": (a_course, only(PRESCRIBER)),
    "staff:course-end": (a_course, only(PRESCRIBER)),
    # The appointment book (docs/APPOINTMENTS.md): staff; the buttons are POST only.
    "staff:appointments": ({}, only(STAFF)),
    "staff:appointment-requests": ({}, only(STAFF)),
    "staff:appointment-book": (the_patient, only(STAFF)),
    "staff:appointment-cancel": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:appointment-no-show": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:appointment-attended": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:appointment-approve": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:appointment-decline": ({"pk": 1}, only(STAFF, allowed=NOT_ALLOWED)),
    "staff:refusals": ({}, only({"prescriber", "registry_admin"})),
    "staff:outcomes": ({}, only({"prescriber", "registry_admin"})),
    "staff:prescription-pdf": (a_prescription, only(STAFF)),
    "staff:visit-summary-pdf": (a_visit, only(STAFF)),
    # The letter of the prescriber who stops and refers (R18): clinical staff get 404.
    "staff:referral-pdf": (a_positive_test, only(PRESCRIBER)),
    # The FHIR export of one patient's record (docs/INTEROP.md): staff who see the patient page.
    "staff:fhir-patient-everything": (a_patient, only(STAFF)),
    "portal:home": ({}, only({"patient"})),
    "portal:schedule": ({}, only({"patient"})),
    "portal:course-schedule": (a_course, only({"patient"})),
    "portal:progress": ({}, only({"patient"})),
    "portal:course-progress": (a_course, only({"patient"})),
    "portal:calendar": ({}, only({"patient"})),
    "portal:calendar-download": ({}, only({"patient"})),
    "portal:calendar-feed": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    "portal:reminders": ({}, only({"patient"})),
    "portal:confirmation": ({}, only({"patient"})),
    "portal:about": ({}, only({"patient"})),
    "portal:appointments": ({}, only({"patient"})),
    "pharmacy:home": ({}, only({"pharmacist"})),
    "staff:registry-admin-home": ({}, only({"registry_admin"})),
    "staff:audit": ({}, only({"registry_admin"})),
    # The spreadsheet import: registry admins and prescribers; a batch is its uploader's.
    "staff:import-upload": ({}, only({"prescriber", "registry_admin"})),
    "staff:import-detail": (a_batch, only(PRESCRIBER)),
    "staff:import-progress": (a_batch, only(PRESCRIBER)),
    # POST only: a GET is 405 before the batch is looked for.
    "staff:import-confirm": (a_batch, only({"prescriber", "registry_admin"}, allowed=NOT_ALLOWED)),
    "reminders:healthz": ({}, everyone(OK)),
    # The SMS provider's webhook: POST only, signed by the provider (403 unsigned).
    "reminders:sms-inbound": ({}, everyone(NOT_ALLOWED)),
    "admin:index": ({}, {**only({"registry_admin"}, others=ADMIN_LOGIN), "anonymous": ADMIN_LOGIN}),
}


def project_url_names(resolver=None, namespace=""):
    """Names of every URL pattern, walking includes; the admin is represented by its index."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:index"
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from project_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name"
            yield namespace + pattern.name


def url_for(name: str, personas) -> str:
    """The URL of a table row, with the objects its row names made for `personas`."""
    kwargs, _ = TABLE[name]
    if callable(kwargs):
        kwargs = kwargs(personas)
    return reverse(name, kwargs=kwargs or None)


def assert_sent_to_sign_in(response, expected: str) -> None:
    """LOGIN: the application's sign-in page; ADMIN_LOGIN: the admin's (which forwards)."""
    assert response.status_code == 302
    if expected == LOGIN:
        assert response.url.startswith(reverse("login") + "?next=")
    else:
        assert response.url.startswith(reverse("admin:login"))


def test_every_url_of_the_project_has_a_row_in_the_table():
    names = set(project_url_names())
    assert names - set(TABLE) == set(), "add rows for these URLs"
    assert set(TABLE) - names == set(), "these rows name URLs that no longer exist"


CASES = [(name, role) for name in TABLE for role in ROLES]


@pytest.mark.parametrize(("url_name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_each_role_gets_the_answer_the_table_gives(client, personas, url_name, role):
    expected = TABLE[url_name][1][role]
    if role != "anonymous":
        client.force_login(personas[role])
    response = client.get(url_for(url_name, personas))
    if expected == OK:
        assert response.status_code == 200
    elif expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == NOT_ALLOWED:
        assert response.status_code == 405
    elif expected in (LOGIN, ADMIN_LOGIN):
        assert_sent_to_sign_in(response, expected)
    elif expected == HOME:
        assert response.status_code == 302
        assert response.url == reverse("accounts:home")
    elif expected.startswith("to "):
        assert response.status_code == 302
        assert response.url == reverse(expected.removeprefix("to "))
    elif expected == "role-start":
        from clinic.accounts.navigation import START_PAGE_BY_ROLE
        from clinic.accounts.roles import primary_role

        assert response.status_code == 302
        assert response.url == reverse(START_PAGE_BY_ROLE[primary_role(personas[role])])
    else:  # pragma: no cover - a typo in the table
        pytest.fail(f"unknown expectation {expected}")


def test_a_user_without_a_role_is_told_so(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="norole"))
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 403
    assert "no role yet" in response.content.decode()


def test_the_admin_has_no_sign_in_page_of_its_own(client, db):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")
