"""Bad input on the clinical forms (issue 8, item 6): never a 500, never a partial save,
always a message.

Hypothesis replaces some fields of a valid submission with hostile values: empty, very long,
NUL characters, markup, numbers far out of range, impossible dates, wrong types. The Django
test client raises any server error, so a 500 fails the test. A refused submission must
answer 200 with a message on the page and add no row anywhere; an accepted one redirects.
"""

import datetime
import os

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.course_fixtures import labs_drawn
from tests.factories import PatientFactory
from tests.registry.test_enrolment import prior_rows

TODAY = timezone.localdate()
# 40 per form on every run; FUZZ_EXAMPLES=500 for a deeper search by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))

JUNK = st.one_of(
    st.just(""),
    st.just(" "),
    st.text(max_size=30),
    st.text(min_size=300, max_size=5000),
    st.just("a\x00b"),
    st.just("<script>alert(1)</script>"),
    st.just("'; DROP TABLE registry_patient; --"),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.just("1e309"),
    st.just("NaN"),
    st.just("-0"),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.just("2026-02-30"),
    st.just("0000-00-00"),
    st.just("9999-12-31"),
    st.dates().map(str),
    st.just("on"),
)

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MESSAGE_MARKERS = (b"invalid-feedback", b"alert-danger", b"errorlist", b"is-invalid")


# A refused prescription or dispense is recorded on purpose (the audit trail of refusals).
REFUSAL_LOG = "dosing.RefusedAction"


def rows() -> int:
    """Rows in every table but the refusal log: what a refused submission must not change."""
    return sum(
        m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and m._meta.label != REFUSAL_LOG
    )


def submissions(base: dict):
    """A valid submission with some of its fields replaced by junk."""
    keys = sorted(base)
    return st.dictionaries(st.sampled_from(keys), JUNK, min_size=1, max_size=len(keys)).map(
        lambda junk: {**base, **junk}
    )


def assert_refused_cleanly_or_accepted(client, url, data):
    before = rows()
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert rows() == before, "a refused submission saved something"
        assert any(marker in response.content for marker in MESSAGE_MARKERS), (
            "refused without a message"
        )


def fuzz_form(client, url, base: dict, what: str, figures) -> None:
    """Post hostile variants of `base` to `url`; each must be refused cleanly or accepted."""
    ran = []  # every example tried; one that fails fails the test

    @FUZZ
    @given(data=submissions(base))
    def check(data):
        ran.append(1)
        assert_refused_cleanly_or_accepted(client, url, data)

    check()
    figures(f"Bad input, {what}: hostile submissions answered cleanly", len(ran), len(ran))


ENROLMENT = {
    "first_name": "Maya",
    "last_name": "Lindgren",
    "date_of_birth": "2005-03-14",
    "sex": "female",
    "email": "maya.lindgren@example.org",
    "phone": "+44 20 7946 0011",
    "risk_category": "can_get_pregnant",
    "consent_treatment_on": str(TODAY),
    "reminder_consent": "on",
    "reminder_channel": "email",
    "notes": "",
    # The earlier-treatment rows as the page posts them (one per kind, one ticked), so their
    # hidden kinds and the management form's counts are fuzzed too.
    **prior_rows(oral_antibiotic={"started_on": "2024-06-01", "outcome": "relapsed"}),
}


@pytest.mark.django_db
def test_enrolment_never_fails_on_bad_input(client, nurse, prescriber, figures):
    client.force_login(nurse)
    url = reverse("staff:patient-enrol")

    fuzz_form(client, url, {**ENROLMENT, "prescriber": str(prescriber.pk)}, "enrolment", figures)


@pytest.mark.django_db
def test_patient_edit_never_fails_on_bad_input(client, nurse, prescriber, figures):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(nurse)
    url = reverse("staff:patient-edit", args=[patient.pk])
    fuzz_form(client, url, {**ENROLMENT, "prescriber": str(prescriber.pk)}, "patient edit", figures)


@pytest.mark.django_db
def test_visit_entry_never_fails_on_bad_input(client, nurse, male_patient, start_course, figures):
    start_course(male_patient, start_date=TODAY - datetime.timedelta(days=30))
    client.force_login(nurse)
    url = reverse("staff:visit-new", args=[male_patient.pk])
    base = {
        "visit_date": str(TODAY),
        "weight_kg": "70",
        "nodule_count": "12",
        "side_effects": "dry_lips",
        "phq2_interest": "0",
        "phq2_mood": "0",
        "triglycerides": "1.2",
        "triglycerides_unit": "mmol/L",
        "total_cholesterol": "4.5",
        "cholesterol_unit": "mmol/L",
        "alt": "20",
        "ast": "22",
        "next_follow_up": str(TODAY + datetime.timedelta(days=28)),
        "notes": "",
    }

    fuzz_form(client, url, base, "visit entry", figures)


@pytest.mark.django_db
def test_prescribing_never_fails_on_bad_input(
    client, prescriber, male_patient, start_course, figures
):
    course = start_course(male_patient)
    client.force_login(prescriber)
    url = reverse("staff:course-prescribe", args=[course.pk])

    fuzz_form(
        client,
        url,
        {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "30"},
        "prescribing",
        figures,
    )


@pytest.mark.django_db
def test_dispensing_never_fails_on_bad_input(
    client, nurse, male_patient, start_course, make_pharmacy, prescriber, figures
):
    from dosing import services

    course = start_course(male_patient)
    rx = services.prescribe(
        course,
        by=prescriber,
        prescribed_on=TODAY,
        baseline_labs=labs_drawn(TODAY),
        weight_kg=course.baseline_weight_kg,
        mg_per_dose=30,
        doses_per_day=2,
        days_supply=30,
    )
    pharmacy = make_pharmacy()
    client.force_login(nurse)
    authorize = reverse("pharmacy:staff-dispense-authorize", args=[rx.pk])
    lookup = reverse("pharmacy:staff-dispense")

    ran = []  # every example tried; one that fails fails the test

    @FUZZ
    @given(
        data=submissions({"pharmacy": str(pharmacy.pk)}),
        query=submissions(
            {
                "pharmacy": str(pharmacy.pk),
                "registry_id": male_patient.registry_id,
                "prescription": str(rx.pk),
            }
        ),
    )
    def check(data, query):
        ran.append(1)
        before = rows()
        response = client.post(authorize, data)
        # Refused or done, the answer is a redirect back to the page that shows why (a
        # message); a pharmacy that does not exist is a 404.
        assert response.status_code in (302, 404), response.status_code
        if response.status_code == 404:
            assert rows() == before
        page = client.get(lookup, query)
        assert page.status_code == 200

    check()
    figures("Bad input, dispensing: hostile submissions answered cleanly", len(ran), len(ran))
