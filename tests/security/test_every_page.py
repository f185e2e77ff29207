"""Headers, CSRF and safe GETs on every page the project defines (issue 8, items 2 and 3).

The pages come from the URL permission table (tests/clinic/test_url_permissions.py), which
itself fails when a URL has no row, so a new page is checked here without being listed again.
"""

import pytest
from django.apps import apps
from django.test import Client

from tests.clinic.test_url_permissions import url_for
from tests.security.pages import OK_PAGES, POST_ONLY, signed_in

YEAR = 31_536_000


def ids(pages):
    return [f"{name}-{role}" for name, role in pages]


@pytest.mark.parametrize(("url_name", "role"), OK_PAGES, ids=ids(OK_PAGES))
def test_every_page_sends_the_security_headers(client, personas, url_name, role):
    response = signed_in(client, personas, role).get(url_for(url_name, personas), secure=True)
    assert response.status_code == 200
    headers = response.headers
    hsts = dict(
        (part.strip().split("=", 1) + [""])[:2]
        for part in headers["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= YEAR
    assert "includeSubDomains" in hsts
    csp = dict(
        part.strip().split(" ", 1)
        for part in headers["Content-Security-Policy"].split(";")
        if part.strip()
    )
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in csp["script-src"]
    assert "unsafe-eval" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    # Any page may show patient data or a form token: no browser or proxy keeps a copy.
    assert "no-store" in headers["Cache-Control"]


CSRF_PAGES = OK_PAGES + POST_ONLY


@pytest.mark.parametrize(("url_name", "role"), CSRF_PAGES, ids=ids(CSRF_PAGES))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(personas, url_name, role):
    client = signed_in(Client(enforce_csrf_checks=True), personas, role)
    url = url_for(url_name, personas)
    before = row_counts()
    response = client.post(url, {"anything": "1"})
    # 403: refused by the CSRF check. 405: the page takes no POST at all (a GET-only page).
    assert response.status_code in (403, 405), response.status_code
    assert row_counts() == before


@pytest.mark.parametrize(("url_name", "role"), OK_PAGES, ids=ids(OK_PAGES))
def test_a_get_changes_no_record(client, personas, url_name, role):
    signed_in(client, personas, role)
    url = url_for(url_name, personas)
    client.get(url)  # the first visit may make the persona's fixtures (course, flag)
    before = row_counts()
    client.get(url)
    assert row_counts() == before


# A GET may write the session by design (its activity stamp, at most once a minute, for the
# idle timeout); it is not a record of the clinic. A GET of a patient's record writes its
# access log row by design too (HIPAA 164.312(b), tests/staff/test_access_log.py).
NOT_RECORDS = {"sessions.Session", "registry.RecordAccess"}


def row_counts() -> dict[str, int]:
    """Rows per model. History tables are included, so a GET that changed a record with
    history (every clinical record has one) shows here as well as one that added a row."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in NOT_RECORDS and model._meta.managed
    }
