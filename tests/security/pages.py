"""Every page of the URL permission table, with the first role that may open it (issue 8)."""

from __future__ import annotations

from tests.clinic.test_url_permissions import NOT_ALLOWED, OK, ROLES, TABLE


def pages_answering(answer: str) -> list[tuple[str, str]]:
    """(url name, role) for every URL, with the first role the table gives `answer`."""
    found = []
    for name, (_, by_role) in TABLE.items():
        role = next((r for r in ROLES if by_role[r] == answer), None)
        if role is not None:
            found.append((name, role))
    return found


OK_PAGES = pages_answering(OK)
# Pages a role may use whose GET is refused (405) take POST only; the others that answer 200
# to GET may take a POST too (forms). Both lists are checked for CSRF.
POST_ONLY = pages_answering(NOT_ALLOWED)


def signed_in(client, personas, role):
    if role != "anonymous":
        client.force_login(personas[role])
    return client
