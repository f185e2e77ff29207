"""The production settings plus two floor pages, for `make bench` only.

The floors run through the same middleware as every page (sessions, CSRF, CSP, axes, ...), so
a page's ratio to them measures what the page itself costs.
"""

from clinic.settings import *  # noqa: F403
from clinic.settings import INSTALLED_APPS

# generate_demo_data fills the bench databases.
if "clinic.demo" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "clinic.demo"]

ROOT_URLCONF = "bench.urls"
