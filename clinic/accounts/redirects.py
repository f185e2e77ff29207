"""Where a form may send the browser after it is done: only to a path on this site.

A `next` taken from the request as it is would be an open redirect: a link to this site that
lands on another (a copy of the sign-in page, say) after a real action. Every view that
follows a `next` asks safe_next (tests/security/test_safe_redirects.py tries each one).
"""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str = "/") -> str:
    """The request's `next` (POST, then GET) if it is a URL of this site, else `fallback`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
