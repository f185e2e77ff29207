"""Every GET parameter of every list and lookup page, with hostile values: the page answers
(200, or a redirect/404 where the address itself is refused), never a server error, and
never writes a submitted value back unescaped. Paging cursors, sort keys, export formats,
filters and searches; parameters the page does not know are ignored.

The values are bad_input's JUNK (empty, huge, NUL, markup, SQL, numbers of 30 digits, odd
dates) and, for each parameter, a few that are wrong in its own way (a sort on a column that
does not exist, a cursor of another list, a page number past any page)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.clinic.test_url_permissions import a_batch, a_course, a_patient
from tests.security.test_bad_input import FUZZ, JUNK

SCRIPT = "<script>alert(1)</script>"
LIST = ["sort", "after", "before", "page", "_export"]
SORTS = st.sampled_from(
    ["name", "-name", "--name", "status", "enrolled_at", "at", "-at", "due_at", "x", "pk", "-"]
)
SPECIAL = {
    "sort": SORTS,
    "page": st.sampled_from(["99999999999999999999", "-1", "0", "1e9", "last"]),
    "_export": st.sampled_from(["csv", "xlsx", "CSV", "json", "xls", "", "csv\x00", "latex"]),
    "after": st.sampled_from(["", "x:y:z", "e30:1a2b:sig", "%00"]),
    "prescriber": st.sampled_from(["0", "-1", "1", "99999999999", "1.5"]),
    "pharmacy": st.sampled_from(["0", "-1", "1", "99999999999", "1.5"]),
    "status": st.sampled_from(["", "withdrawn", "stopped_early", "nope"]),
}

# name -> (url name, url kwargs from personas or None, role, parameters it reads)
PAGES = {
    "patient list": (
        "staff:patient-list",
        None,
        "nurse",
        ["q", "status", "prescriber", "risk_category", *LIST],
    ),
    "refused actions": (
        "staff:refusals",
        None,
        "prescriber",
        ["kind", "user", "patient", "date_from", "date_to", *LIST],
    ),
    "failed reminders": ("staff:reminders-failed", None, "nurse", LIST),
    "outcomes": (
        "staff:outcomes",
        None,
        "registry_admin",
        ["first", "last", "prescriber", "_export"],
    ),
    "a patient's reminders": ("staff:patient-reminders", a_patient, "nurse", LIST),
    "worklist section": ("staff:worklist-section", lambda p: {"key": "flags"}, "nurse", LIST),
    "worklist": ("staff:worklist", None, "nurse", LIST),
    "dose check": (
        "staff:course-prescribe-check",
        a_course,
        "prescriber",
        ["mg_per_dose", "doses_per_day", "days_supply", "formulation", "capsules"],
    ),
    "course end": ("staff:course-end", a_course, "prescriber", ["status"]),
    "appointment day": ("staff:appointments", None, "nurse", ["day", "prescriber"]),
    "visit form's slot menu": (
        "staff:visit-follow-up-slots",
        lambda p: {"patient_pk": a_patient(p)["pk"]},
        "nurse",
        ["next_follow_up"],
    ),
    "import preview": ("staff:import-detail", a_batch, "prescriber", ["page", "only"]),
    "pharmacist look-up": ("pharmacy:home", None, "pharmacist", ["registry_id"]),
    "dispense on a pharmacy's behalf": (
        "pharmacy:staff-dispense",
        None,
        "nurse",
        ["registry_id", "pharmacy"],
    ),
}


def queries(parameters):
    def value(name):
        return st.one_of(JUNK, SPECIAL[name]) if name in SPECIAL else JUNK

    return st.fixed_dictionaries(
        {}, optional={name: value(name) for name in [*parameters, "unknown", "next"]}
    )


@pytest.mark.parametrize("list_page", sorted(PAGES))
def test_no_query_string_makes_a_server_error(client, personas, figures, list_page):
    url_name, kwargs, role, parameters = PAGES[list_page]
    url = reverse(url_name, kwargs=kwargs(personas) if kwargs else None)
    client.force_login(personas[role])
    ran = []

    @FUZZ
    @given(query=queries(parameters))
    def check(query):
        ran.append(1)
        response = client.get(url, query)
        assert response.status_code in (200, 302, 404), (query, response.status_code)
        if response.status_code == 200 and not response.get("Content-Disposition"):
            assert SCRIPT.encode() not in response.content, query

    check()
    figures(
        f"Hostile query strings, {list_page}: answered without a server error", len(ran), len(ran)
    )
