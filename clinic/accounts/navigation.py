"""Which places each role sees in the navigation bar (and nothing else).

The bar is the same for everyone holding the same roles, and URLs do not change while the
process runs: its links are reversed, and its HTML written, once per set of roles (and per
active place) and kept for the life of the process, not once a page.
"""

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import Role, roles_of


@dataclass(frozen=True)
class NavItem:
    label: str  # lazy: translated when the bar is written, in the page's language
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_BY_ROLE: dict[Role, tuple[NavItem, ...]] = {
    Role.PRESCRIBER: (
        NavItem(_("Worklist"), "staff:worklist"),
        NavItem(_("Patients"), "staff:patient-list"),
        NavItem(_("Enrol a patient"), "staff:patient-enrol"),
        NavItem(_("Appointments"), "staff:appointments"),
        NavItem(_("Pharmacies"), "staff:pharmacy-list"),
        NavItem(_("Dispense"), "pharmacy:staff-dispense"),
        NavItem(_("Refused actions"), "staff:refusals"),
        NavItem(_("Outcomes"), "staff:outcomes"),
        NavItem(_("Import patients"), "staff:import-upload"),
    ),
    Role.CLINICAL_STAFF: (
        NavItem(_("Worklist"), "staff:worklist"),
        NavItem(_("Patients"), "staff:patient-list"),
        NavItem(_("Enrol a patient"), "staff:patient-enrol"),
        NavItem(_("Appointments"), "staff:appointments"),
        NavItem(_("Pharmacies"), "staff:pharmacy-list"),
        NavItem(_("Dispense"), "pharmacy:staff-dispense"),
    ),
    Role.PHARMACIST: (NavItem(_("Dispensing"), "pharmacy:home"),),
    Role.REGISTRY_ADMIN: (
        NavItem(_("Registry administration"), "staff:registry-admin-home"),
        NavItem(_("Audit trail"), "staff:audit"),
        NavItem(_("Refused actions"), "staff:refusals"),
        NavItem(_("Outcomes"), "staff:outcomes"),
        NavItem(_("Import patients"), "staff:import-upload"),
        NavItem(_("Admin site"), "admin:index"),
    ),
    Role.PATIENT: (
        NavItem(_("My course"), "portal:home"),
        NavItem(_("Schedule"), "portal:schedule"),
        NavItem(_("Progress"), "portal:progress"),
        NavItem(_("Calendar"), "portal:calendar"),
        NavItem(_("Reminders"), "portal:reminders"),
        NavItem(_("Monthly confirmation"), "portal:confirmation"),
        NavItem(_("About your treatment"), "portal:about"),
    ),
}

START_PAGE_BY_ROLE: dict[Role, str] = {
    role: items[0].url_name for role, items in NAV_BY_ROLE.items()
}


@dataclass(frozen=True)
class NavLink:
    """A place with its URL reversed."""

    label: str
    url_name: str
    url: str


def places_for(roles: frozenset[Role]) -> tuple[NavItem, ...]:
    """The union of the roles' places, in a stable order, without repeats."""
    seen: dict[str, NavItem] = {}
    for role in Role:
        if role in roles:
            for item in NAV_BY_ROLE[role]:
                seen.setdefault(item.url_name, item)
    return tuple(seen.values())


def nav_items_for(user) -> tuple[NavLink, ...]:
    """The user's places with their URLs (reversed once per set of roles, see _links)."""
    return _links(roles_of(user), *_url_space())


def nav_html_for(user, path: str) -> SafeString:
    """The <li> items of the navigation bar, the place at `path` marked as the current page."""
    roles = roles_of(user)
    url_space = _url_space()
    links = _links(roles, *url_space)
    active = path if any(link.url == path for link in links) else None
    return _html(roles, *url_space, active, get_language())


# The frame's other links (base.html): the brand, the account menu, signing out.
FRAME_URL_NAMES = {
    "home": "accounts:home",
    "password_change": "password_change",
    "two_factor_manage": "accounts:two-factor-manage",
    "logout": "logout",
    "language": "set-language",
}


def frame_urls() -> MappingProxyType:
    """The URLs of FRAME_URL_NAMES by key, reversed once (base.html uses frame_urls.home)."""
    return _frame_urls(*_url_space())


def _url_space() -> tuple[str, str]:
    """What reverse() depends on besides the name: the script prefix and the URLconf."""
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


# Bounded all the same: the script prefix comes from the server's environ.
@lru_cache(maxsize=64)
def _links(roles: frozenset[Role], script_prefix: str, urlconf: str) -> tuple[NavLink, ...]:
    return tuple(
        NavLink(item.label, item.url_name, reverse(item.url_name, urlconf=urlconf))
        for item in places_for(roles)
    )


@lru_cache(maxsize=64)
def _frame_urls(script_prefix: str, urlconf: str) -> MappingProxyType:
    return MappingProxyType(
        {key: reverse(name, urlconf=urlconf) for key, name in FRAME_URL_NAMES.items()}
    )


@lru_cache(maxsize=512)
def _html(
    roles: frozenset[Role], script_prefix: str, urlconf: str, active: str | None, language: str
) -> SafeString:
    # Keyed by the active URL only when it is one of the places, so the cache stays small: at
    # most (places + 1) entries per set of roles and language. The language is in the key so
    # the labels are translated once per language, into the one the page is written in.
    items = (
        format_html(_CURRENT if link.url == active else _PLACE, link.url, link.label)
        for link in _links(roles, script_prefix, urlconf)
    )
    return format_html_join("\n", "{}", ((item,) for item in items))


_PLACE = '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>'
_CURRENT = (
    '<li class="nav-item"><a class="nav-link active" href="{}" aria-current="page">{}</a></li>'
)
