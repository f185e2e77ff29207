"""HTML template -> PDF with weasyprint, reading nothing but our own static files.

A printout holds a patient's record, so drawing it must not reach out: no request to another
host (which would tell it who is being printed, and when), no file of the server outside the
static files. weasyprint fetches every stylesheet, image and font through its URL fetcher; ours
serves the static files under STATIC_URL on a made-up origin and refuses everything else. A
refused fetch is a warning in weasyprint's log and the document is drawn without it.
"""

from __future__ import annotations

import posixpath
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

# The origin templates' relative URLs are resolved against. ".invalid" never resolves (RFC
# 6761), so even a fetcher that let it through would reach no host.
BASE_URL = "https://printout.invalid/"

CONTENT_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


class RefusedFetch(ValueError):
    """A URL outside our static files: weasyprint logs it and draws the page without it."""


def static_path_for(url: str) -> Path | None:
    """The file behind `url` if it is one of our static files (BASE_URL + STATIC_URL + name),
    else None. Names that climb out ("..") or are absolute are refused before any look-up."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    if not parts.path.startswith(prefix):
        return None
    name = unquote(parts.path.removeprefix(prefix))
    clean = posixpath.normpath(name)
    if not name or clean != name or clean.startswith(("/", "..")) or "\\" in name:
        return None
    if Path(name).suffix.lower() not in CONTENT_TYPES:
        return None
    # Collected files (the hashed names {% static %} gives in production) first, then the
    # source folders (development and tests, where nothing is collected).
    if staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    found = finders.find(name)
    return Path(found) if found else None


@cache
def static_only_fetcher():
    """weasyprint's URL fetcher, answering only static_path_for's files.

    weasyprint is imported here rather than at the top: it takes most of a second to import
    and needs pango, and the processes that never print (workers, beat, commands) pay neither.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_path_for(url)
            if path is None:
                raise RefusedFetch(
                    f"Printouts read only the clinic's static files, not {url[:200]}"
                )
            return URLFetcherResponse(
                url,
                body=path.read_bytes(),
                headers={"Content-Type": CONTENT_TYPES[path.suffix.lower()]},
            )

    # No handler of urllib's is used: fetch() above never calls the opener.
    return StaticOnlyFetcher(allowed_protocols=("https",), allow_redirects=False)


def clinic_name() -> str:
    """The name the clinic's email goes out under ("Dermatology clinic"): the same neutral
    name heads its printouts."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or gettext("Dermatology clinic")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # see static_only_fetcher: imported when first printing

    return HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher()).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    html = render_to_string(
        template_name,
        {
            "clinic_name": clinic_name(),
            "clinic_phone": settings.CLINIC_PHONE,
            "printed_at": timezone.localtime(),
            **context,
        },
    )
    return html_to_pdf(html)


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """Shown in the browser's PDF viewer (inline), saved under `filename` (which carries no
    name, only what the caller put in: the document, the registry ID, a date); never cached."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
