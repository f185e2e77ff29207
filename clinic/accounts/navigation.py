"""Which places each role sees in the navigation bar (and nothing else)."""

from dataclasses import dataclass

from django.urls import reverse

from clinic.accounts.roles import Role, roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_BY_ROLE: dict[Role, tuple[NavItem, ...]] = {
    Role.PRESCRIBER: (
        NavItem("Worklist", "staff:worklist"),
        NavItem("Patients", "staff:patient-list"),
        NavItem("Enrol a patient", "staff:patient-enrol"),
        NavItem("Pharmacies", "staff:pharmacy-list"),
        NavItem("Dispense", "pharmacy:staff-dispense"),
        NavItem("Refused actions", "staff:refusals"),
    ),
    Role.CLINICAL_STAFF: (
        NavItem("Worklist", "staff:worklist"),
        NavItem("Patients", "staff:patient-list"),
        NavItem("Enrol a patient", "staff:patient-enrol"),
        NavItem("Pharmacies", "staff:pharmacy-list"),
        NavItem("Dispense", "pharmacy:staff-dispense"),
    ),
    Role.PHARMACIST: (NavItem("Dispensing", "pharmacy:home"),),
    Role.REGISTRY_ADMIN: (
        NavItem("Registry administration", "staff:registry-admin-home"),
        NavItem("Refused actions", "staff:refusals"),
        NavItem("Admin site", "admin:index"),
    ),
    Role.PATIENT: (
        NavItem("My course", "portal:home"),
        NavItem("Schedule", "portal:schedule"),
        NavItem("Progress", "portal:progress"),
        NavItem("Calendar", "portal:calendar"),
        NavItem("Reminders", "portal:reminders"),
        NavItem("Monthly confirmation", "portal:confirmation"),
        NavItem("About your treatment", "portal:about"),
    ),
}

START_PAGE_BY_ROLE: dict[Role, str] = {
    role: items[0].url_name for role, items in NAV_BY_ROLE.items()
}


def nav_items_for(user) -> list[NavItem]:
    """The union of the user's roles' places, in a stable order, without repeats."""
    seen: dict[str, NavItem] = {}
    for role in Role:
        if role in roles_of(user):
            for item in NAV_BY_ROLE[role]:
                seen.setdefault(item.url_name, item)
    return list(seen.values())
