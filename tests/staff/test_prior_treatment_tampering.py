"""The earlier-treatment rows of the enrolment and edit forms, tampered with from outside: a
hidden kind changed, a kind posted twice or left out, the management form's counts made up.
Each answers the form again with a message and writes nothing; never a server error."""

import pytest

from registry.models import Patient, PriorTreatment
from tests.factories import PatientFactory
from tests.registry.test_enrolment import enrolment_fields, prior_rows

ENROL = "/patients/new/"
KINDS = [kind.value for kind in PriorTreatment.Kind]
CHANGED = "The earlier-treatment rows were changed"


def tampered_rows():
    """(what was done, the posted rows) for every way the rows can be changed."""
    cases = []
    for value in ("bogus", "", "OTHER", "<script>x</script>", "a" * 5000, "other\x00"):
        rows = prior_rows()
        rows["prior-0-kind"] = value
        cases.append((f"kind {value[:20]!r}", rows))
    twice = prior_rows(other={"other_text": "tea tree"})
    twice["prior-1-kind"] = twice["prior-0-kind"]
    cases.append(("a kind posted twice", twice))
    missing = prior_rows()
    missing["prior-TOTAL_FORMS"] = str(len(KINDS) - 1)
    cases.append(("a kind left out", missing))
    for total in ("1000", "1001", "-1", "abc", "", "99999999999999999999"):
        rows = prior_rows()
        rows["prior-TOTAL_FORMS"] = total
        cases.append((f"TOTAL_FORMS {total!r}", rows))
    extra = prior_rows()
    extra["prior-TOTAL_FORMS"] = str(len(KINDS) + 1)
    extra[f"prior-{len(KINDS)}-kind"] = "oral_antibiotic"
    extra[f"prior-{len(KINDS)}-tried"] = "on"
    cases.append(("one row too many", extra))
    no_management = {k: v for k, v in prior_rows().items() if "FORMS" not in k}
    cases.append(("no management form", no_management))
    return cases


CASES = tampered_rows()


@pytest.fixture
def enrolment(prescriber):
    return enrolment_fields(prescriber)


def posted(enrolment, rows):
    """The enrolment's patient fields with these rows."""
    return {**enrolment, **rows}


@pytest.mark.parametrize(("what", "rows"), CASES, ids=[what for what, _rows in CASES])
def test_a_tampered_enrolment_is_refused_with_a_message_and_enrols_nobody(
    client,
    nurse,
    enrolment,
    what,
    rows,
):
    client.force_login(nurse)
    response = client.post(ENROL, posted(enrolment, rows))
    assert response.status_code == 200, what
    assert Patient.objects.count() == 0
    page = response.content.decode()
    assert "alert-danger" in page or "invalid-feedback" in page, what
    assert "<script>x</script>" not in page


@pytest.mark.parametrize(("what", "rows"), CASES, ids=[what for what, _rows in CASES])
def test_a_tampered_edit_is_refused_and_changes_nothing(
    client,
    nurse,
    prescriber,
    enrolment,
    what,
    rows,
):
    patient = PatientFactory(prescriber=prescriber, first_name="Ana")
    PriorTreatment.objects.create(patient=patient, kind="topical_spot")
    before = list(PriorTreatment.objects.values_list("kind", "outcome", "other_text"))
    client.force_login(nurse)
    response = client.post(f"/patients/{patient.pk}/edit/", posted(enrolment, rows))
    assert response.status_code == 200, what
    patient.refresh_from_db()
    assert patient.first_name == "Ana"
    assert list(PriorTreatment.objects.values_list("kind", "outcome", "other_text")) == before


def test_the_message_says_what_happened_without_echoing_the_value(client, nurse, enrolment):
    rows = prior_rows()
    rows["prior-0-kind"] = "<b>bogus</b>"
    client.force_login(nurse)
    page = client.post(ENROL, posted(enrolment, rows)).content.decode()
    assert CHANGED in page
    assert "<b>bogus</b>" not in page


@pytest.mark.parametrize(("what", "rows"), CASES, ids=[what for what, _rows in CASES])
def test_after_a_refusal_the_page_offers_fresh_rows_that_save(
    client,
    nurse,
    enrolment,
    what,
    rows,
):
    """The page drawn again after tampering holds the six rows as the page first sent them,
    so the person can tick again and save (posting the rows as drawn enrols)."""
    client.force_login(nurse)
    response = client.post(ENROL, posted(enrolment, rows))
    formset = response.context["formset"]
    assert not formset.is_bound
    assert [row["kind"] for row in formset.initial] == KINDS
    assert CHANGED in response.content.decode()
    again = client.post(ENROL, posted(enrolment, prior_rows()))
    assert again.status_code == 302, what


def test_the_untouched_rows_still_enrol(client, nurse, enrolment):
    client.force_login(nurse)
    rows = prior_rows(oral_antibiotic={"outcome": "partial"})
    response = client.post(ENROL, posted(enrolment, rows))
    assert response.status_code == 302
    assert list(PriorTreatment.objects.values_list("kind", flat=True)) == ["oral_antibiotic"]
