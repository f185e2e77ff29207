"""The page frame: brand, skip link, landmarks, footer version, navigation per role."""

import re

import pytest
from django.urls import reverse

import clinic
from clinic.accounts.navigation import NAV_BY_ROLE
from clinic.accounts.roles import Role


@pytest.mark.parametrize("url_name", ["login", "password_reset"])
def test_anonymous_pages_show_the_product_name_not_the_host(client, db, url_name):
    html = client.get(reverse(url_name)).content.decode()
    brand = re.search(r'class="navbar-brand[^"]*"[^>]*>([^<]+)<', html).group(1)
    assert brand == "IsoCourse"


def test_every_page_has_a_skip_link_landmarks_and_the_version(client, nurse):
    client.force_login(nurse)
    html = client.get(reverse("staff:worklist")).content.decode()
    assert '<a class="visually-hidden-focusable skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header>" in html
    assert '<nav class="navbar' in html
    assert "<footer" in html
    assert f"IsoCourse {clinic.__version__}" in html


@pytest.mark.parametrize(
    ("persona", "role"),
    [("nurse", Role.CLINICAL_STAFF), ("pharmacist", Role.PHARMACIST), ("patient", Role.PATIENT)],
)
def test_the_navigation_holds_only_the_roles_own_places(client, personas, persona, role):
    client.force_login(personas[persona])
    html = client.get(reverse("accounts:home"), follow=True).content.decode()
    nav = html.split('data-testid="nav-places"')[1].split("</ul>")[0]
    labels = re.findall(r">([^<>]+)</a>", nav)
    assert labels == [item.label for item in NAV_BY_ROLE[role]]
