"""The production settings plus two floor pages, for `make bench` only.

The floors run through the same middleware as every page (sessions, CSRF, CSP, axes, ...), so
a page's ratio to them measures what the page itself costs.
"""

from clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
