"""The admin site under the CSP, in Chromium (issue 16, point 5): every kind of admin page a
registry admin reaches, and those only a superuser reaches, with no CSP violation and no
serious or critical axe-core finding; and the admin's own scripts still work.

The pages are worked out from the admin site itself (`admin.site.get_app_list` for the user),
so a model registered later is walked without being listed here: its app index, changelist
(plain, searched, filtered), add form (as it is, then saved empty), the change form of a real
row (then saved with a required field cleared), history, delete confirmation where deletion
is allowed; then the custom pages (the certification actions, a user's password form, the
version of a record from its history) and the changelist action confirmations.

A CSP violation is seen twice over: the `securitypolicyviolation` DOM event, collected into
`window.__cspViolations` by a script Playwright adds to every page (popups too), and a console
error saying "Refused to" (or, in this Chromium, "violates the following Content Security
Policy directive"). Both are read before axe-core runs and again after it, leaving out only
what axe-core's own script causes (AdminWalk.csp_violations says how they differ).
docs/SECURITY.md, "The admin site under the CSP", says what was found and fixed.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import Page, expect
from simple_history.admin import SimpleHistoryAdmin

from registry.audit import record_access
from registry.models import RecordAccess
from tests.browser.helpers import sign_in_from
from tests.factories import (
    PatientFactory,
    PharmacistFactory,
    PharmacyCertificationFactory,
    PharmacyFactory,
    UserFactory,
    certified_pharmacy,
)

pytestmark = pytest.mark.django_db(transaction=True)

FIGURE = "Admin site: pages with 0 CSP violations and 0 serious/critical axe findings"
BLOCKING = {"serious", "critical"}
REQUIRED_TYPED = ":is(input[type=text], input[type=email], input[type=number], textarea)[required]"
CSP_LISTENER = """
window.__cspViolations = [];
window.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI || "inline",
    source: e.sourceFile, line: e.lineNumber, sample: e.sample || "",
  });
}, true);
"""


# The rows the pages show ---------------------------------------------------------------------


@pytest.fixture
def admin_rows(registry_admin, pharmacist, prescriber):
    """Pharmacies in each certification state (with their audited changes), a pharmacist's
    account, patients and an access-log row. The sign-in log rows come from signing in."""
    riverside = certified_pharmacy(by=registry_admin, name="Riverside Pharmacy")
    PharmacistFactory(user=pharmacist, pharmacy=riverside)
    hillside = certified_pharmacy(by=registry_admin, name="Hillside Pharmacy")
    hillside.certification.suspend(by=registry_admin, reason="Inspection pending")
    PharmacyCertificationFactory(pharmacy=PharmacyFactory(name="Lakeside Pharmacy"))
    patients = [PatientFactory(prescriber=prescriber) for _ in range(3)]
    record_access(registry_admin, patients[0], RecordAccess.Kind.PAGE, "Patient page")
    return {"pharmacy": riverside, "pharmacist": pharmacist}


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root.admin", is_superuser=True, is_staff=True)
    if apps.is_installed("django_otp.plugins.otp_static"):  # the old recovery-code devices
        apps.get_model("otp_static", "StaticDevice").objects.create(user=user, name="Old codes")
    return user


# Watching pages --------------------------------------------------------------------------------


class AdminWalk:
    """Opens admin pages in one Playwright page and keeps, per page, what went wrong."""

    def __init__(self, page: Page, base_url: str):
        self.page, self.base = page, base_url
        self.axe = Axe()
        self.refused: list[tuple[str, str]] = []  # (source URL, message)
        self.problems: dict[str, list[str]] = {}
        self.headers: dict[str, str] = {}
        self.left_behind: list[str] = []
        page.set_default_timeout(15000)
        page.context.add_init_script(CSP_LISTENER)
        page.context.on("console", self._on_console)
        page.context.on("response", self._on_response)

    def _on_console(self, message) -> None:
        text = message.text
        if message.type == "error" and ("Refused to" in text or "Content Security Policy" in text):
            self.refused.append((message.location.get("url", ""), f"console: {text}"))

    def _on_response(self, response) -> None:
        if response.request.resource_type == "document" and "/admin/" in response.url:
            self.headers[response.url] = response.headers.get("content-security-policy", "")

    def csp_violations(self, page: Page | None = None) -> list[str]:
        """What the CSP refused since last asked: the DOM events, then the console's errors.

        One kind is left out: a violation with no source file. axe-core reads @import-ed
        stylesheets by adding <style> elements for a moment (its CSSOM preload), which the CSP
        refuses; that code is the script the test evaluates, so it has no file. Whatever the
        page does itself has one: its own URL for markup, the script's for a script.
        """
        page = page or self.page
        events = page.evaluate("(window.__cspViolations || []).splice(0)")
        console, self.refused = self.refused, []
        return [
            f"{e['directive']} refused {e['blocked']} at {e['source']}:{e['line']} {e['sample']!r}"
            for e in events
            if e["source"]
        ] + [text for source, text in console if source]

    def check(self, label: str, page: Page | None = None) -> None:
        """The page as it is now: its CSP violations, then axe-core's blocking findings."""
        page = page or self.page
        page.wait_for_load_state("load")
        assert "/admin/" in page.url, f"{label}: left the admin site for {page.url}"
        found = self.csp_violations(page)
        for violation in self.axe.run(page).response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = ", ".join(", ".join(n["target"]) for n in violation["nodes"][:3])
                found.append(f"axe {violation['id']} ({violation['impact']}) at {targets}")
        self.problems[label] = found + self.csp_violations(page)

    def go(self, path: str) -> None:
        """Open a page, keeping what the CSP refused on the one left behind."""
        self.left_behind += self.csp_violations()
        self.page.goto(self.base + path)

    def refused_so_far(self) -> list[str]:
        return self.left_behind + self.csp_violations()

    def visit(self, label: str, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None, f"{label}: {path}"
        assert response.status == 200, f"{label}: {path} answered {response.status}"
        self.check(label)

    def save_with_errors(self, label: str, clear_required: bool) -> None:
        """Save the form on the page (empty, or with its first required field cleared) and
        check the page that lists the errors."""
        form = self.page.locator("#content-main form").first
        if clear_required:
            required = form.locator(REQUIRED_TYPED)
            if not required.count():
                return  # nothing typed is required here: no invalid save to make
            required.first.fill("")
        form.locator("input[name=_save]").click()
        self.page.wait_for_load_state()
        expect(self.page.locator(".errornote")).to_be_visible()
        self.check(label)

    def run_action(self, label: str, action: str, rows: int | None = None) -> None:
        """Select rows on the changelist (all of them by default) and run `action`."""
        if rows is None:
            self.page.locator("#action-toggle").check()
        else:
            for box in self.page.locator("input.action-select").all()[:rows]:
                box.check()
        self.page.select_option("select[name=action]", action)
        self.page.get_by_role("button", name="Go", exact=True).click()
        self.page.wait_for_load_state()
        self.check(label)


def sign_in_to_admin(page: Page, base_url: str, user, password) -> None:
    sign_in_from(page, base_url, reverse("admin:index"), user, password)
    expect(page).to_have_url(base_url + reverse("admin:index"))


def app_list_for(user) -> list[dict]:
    """The apps and models the admin index shows `user`, with what they may do on each."""
    request = RequestFactory().get(reverse("admin:index"))
    request.user = User.objects.get(pk=user.pk)  # a fresh permission cache
    return admin.site.get_app_list(request)


def first_row(model, user):
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=user.pk)
    return admin.site._registry[model].get_queryset(request).order_by("pk").first()


def walk_models(walk: AdminWalk, who: str, user, skip: dict[str, dict]) -> dict[str, dict]:
    """Every page kind of every model `user` reaches in the admin, but those `skip` says were
    seen already with the same permission. Returns each model's permissions."""
    seen: dict[str, dict] = {}
    for app in app_list_for(user):
        if any(m["model"]._meta.label not in skip for m in app["models"]):
            walk.visit(f"{who}: {app['name']} app index", app["app_url"])
        for entry in app["models"]:
            model = entry["model"]
            label, perms = model._meta.label, entry["perms"]
            seen[label] = perms
            before = skip.get(label, {})
            name = f"{model._meta.app_label}_{model._meta.model_name}"
            model_admin = admin.site._registry[model]
            if not before:
                walk_changelist(walk, f"{who}: {label}", entry["admin_url"], model_admin)
            if perms.get("add") and not before.get("add"):
                walk.visit(f"{who}: {label} add form", entry["add_url"])
                walk.save_with_errors(f"{who}: {label} add form saved empty", False)
            row = first_row(model, user)
            if row is None:
                assert skip, f"no {label} row for the registry admin: add one to admin_rows"
                continue  # a superuser-only model with no row here: its object pages wait
            if perms.get("change") != before.get("change") or not before:
                walk.visit(
                    f"{who}: {label} change form", reverse(f"admin:{name}_change", args=[row.pk])
                )
                if perms.get("change") and walk.page.locator("input[name=_save]").count():
                    walk.save_with_errors(f"{who}: {label} change form with errors", True)
            if not before:
                walk.visit(
                    f"{who}: {label} history", reverse(f"admin:{name}_history", args=[row.pk])
                )
                if isinstance(model_admin, SimpleHistoryAdmin):
                    version = row.history.order_by("history_id").first()
                    path = reverse(f"admin:{name}_simple_history", args=[row.pk, version.pk])
                    walk.visit(f"{who}: {label} version from its history", path)
            if perms.get("delete") and not before.get("delete"):
                walk.visit(
                    f"{who}: {label} delete confirmation",
                    reverse(f"admin:{name}_delete", args=[row.pk]),
                )
    return seen


def walk_changelist(walk: AdminWalk, label: str, url: str, model_admin) -> None:
    walk.visit(f"{label} changelist", url)
    if not walk.page.locator("#result_list tbody tr").count():
        return  # no rows (checked above for the registry admin's models): nothing to search
    if model_admin.search_fields:
        first_cell = walk.page.locator("#result_list tbody tr").first.locator("th").first
        term = (first_cell.inner_text().split() or ["a"])[0][:12]
        walk.page.locator("#searchbar").fill(term)
        walk.page.locator("#searchbar").press("Enter")
        walk.page.wait_for_load_state()
        walk.check(f"{label} changelist searched for {term!r}")
    if model_admin.list_filter:
        walk.page.goto(walk.base + url)
        choice = walk.page.locator("#changelist-filter li:not(.selected) a").first
        filtered = choice.get_attribute("href")
        walk.visit(f"{label} changelist filtered ({filtered})", url + filtered)


# The walk ------------------------------------------------------------------------------------


def test_every_admin_page_has_no_csp_violation_and_no_serious_axe_finding(
    live_server, page: Page, registry_admin, superuser, admin_rows, password, figures
):
    walk = AdminWalk(page, live_server.url)
    # A wrong password first, so the sign-in logs (axes) have a failure and an attempt.
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", "someone.else")
    page.fill("input[name=password]", "not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    sign_in_to_admin(page, live_server.url, registry_admin, password)

    walk.visit("registry admin: admin index", reverse("admin:index"))
    seen = walk_models(walk, "registry admin", registry_admin, {})
    assert {"registry.Pharmacy", "registry.Patient", "auth.User"} <= set(seen)

    pharmacy, pharmacist = admin_rows["pharmacy"], admin_rows["pharmacist"]
    # A user's password form, as it is and saved empty; the admin's own password form.
    walk.visit(
        "registry admin: a user's password form",
        reverse("admin:auth_user_password_change", args=[pharmacist.pk]),
    )
    walk.page.locator("#content-main form input[type=submit]").first.click()
    walk.page.wait_for_load_state()
    walk.check("registry admin: a user's password form saved empty")
    # The admin's own password page renders the clinic's registration/ template.
    walk.visit("registry admin: own password form", reverse("admin:password_change"))
    walk.page.get_by_role("button", name="Change password").click()
    walk.page.wait_for_load_state()
    walk.check("registry admin: own password form saved empty")
    # The raw-id lookup popup (a pharmacist account on a pharmacy's page opens it).
    walk.visit(
        "registry admin: user lookup popup",
        reverse("admin:auth_user_changelist") + "?_to_field=id&_popup=1",
    )
    # A missing record: back to the index with a warning.
    walk.page.goto(walk.base + reverse("admin:registry_pharmacy_change", args=[987654]))
    walk.check("registry admin: index warning of a missing record")

    # The certification actions (custom views), each confirmation, and two with errors.
    pharmacies = reverse("admin:registry_pharmacy_changelist")
    for action in ("certify", "renew_for_a_year", "suspend", "revoke"):
        walk.page.goto(walk.base + pharmacies)
        walk.run_action(f"registry admin: pharmacy action {action}", action)
    walk.page.get_by_role("button", name="Revoke", exact=True).click()
    walk.page.wait_for_load_state()
    walk.check("registry admin: pharmacy action revoke with errors")
    walk.page.goto(walk.base + pharmacies)
    walk.run_action("registry admin: pharmacy action certify (again)", "certify", rows=1)
    walk.page.get_by_label("Valid until").fill("2001-01-01")
    walk.page.get_by_role("button", name="Certify", exact=True).click()
    walk.page.wait_for_load_state()
    walk.check("registry admin: pharmacy action certify with errors")
    walk.page.goto(walk.base + pharmacies)
    walk.run_action("registry admin: pharmacy action suspend (one)", "suspend", rows=1)
    walk.page.get_by_label("Reason").fill("Checking the cabinet")
    walk.page.get_by_role("button", name="Suspend", exact=True).click()
    walk.page.wait_for_load_state()
    walk.check("registry admin: pharmacies with the action's messages")
    # Actions without a page of their own: the changelist with their message; a deletion's.
    walk.page.goto(walk.base + reverse("admin:auth_user_changelist") + f"?q={pharmacist.username}")
    walk.run_action("registry admin: users with an action's message", "reset_two_factor")
    walk.page.goto(walk.base + reverse("admin:axes_accessattempt_changelist"))
    walk.run_action("registry admin: sign-in attempts delete confirmation", "delete_selected")

    # The dark theme, on the three kinds of page.
    walk.page.evaluate("localStorage.setItem('theme', 'dark')")
    walk.visit("registry admin: admin index (dark theme)", reverse("admin:index"))
    walk.visit("registry admin: pharmacies (dark theme)", pharmacies)
    walk.visit(
        "registry admin: a pharmacy (dark theme)",
        reverse("admin:registry_pharmacy_change", args=[pharmacy.pk]),
    )
    walk.page.evaluate("localStorage.removeItem('theme')")

    # A superuser: the pages only they reach, or reach with more permissions.
    page.context.clear_cookies()
    sign_in_to_admin(page, live_server.url, superuser, password)
    walk.visit("superuser: admin index", reverse("admin:index"))
    walk_models(walk, "superuser", superuser, seen)
    # A user's page shows a superuser more (permissions, last login and joined dates).
    walk.visit(
        "superuser: a user's change form, every field",
        reverse("admin:auth_user_change", args=[pharmacist.pk]),
    )
    walk.save_with_errors("superuser: a user's change form, every field, with errors", True)
    walk.visit(
        "superuser: add a group in a popup",
        reverse("admin:auth_group_add") + "?_to_field=id&_popup=1",
    )

    failed = {label: found for label, found in walk.problems.items() if found}
    figures(FIGURE, len(walk.problems) - len(failed), len(walk.problems))
    assert not failed, "\n".join(f"{label}:\n  " + "\n  ".join(f) for label, f in failed.items())
    unsafe = {url: csp for url, csp in walk.headers.items() if "unsafe" in csp or not csp}
    assert not unsafe, unsafe


# The admin's scripts under the CSP ------------------------------------------------------------


def test_the_admin_scripts_work_under_the_csp(
    live_server, page: Page, registry_admin, admin_rows, password
):
    """Theme toggle, sidebar and its filter, select-all and the action counter, the filter
    panel's collapsing, filter_horizontal, an inline's "Add another" and the raw-id lookup
    popup, as a registry admin. (No fieldset here is collapsible; the admin draws collapsing
    fieldsets and filter panels alike as <details>, checked through the filter panel.)"""
    walk = AdminWalk(page, live_server.url)
    other = PharmacistFactory(user=UserFactory(username="pharm.ochoa"), pharmacy=PharmacyFactory())
    sign_in_to_admin(page, live_server.url, registry_admin, password)

    # Theme toggle: auto -> dark (the browser prefers light), kept across pages.
    page.locator(".theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    walk.go(reverse("admin:registry_pharmacy_changelist"))
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.locator(".theme-toggle").click()
    page.locator(".theme-toggle").click()
    assert page.evaluate("localStorage.getItem('theme')") == "auto"

    # The navigation sidebar: its filter hides other models; its toggle closes it.
    sidebar = page.locator("#nav-sidebar")
    page.locator("#nav-filter").fill("pharm")
    expect(sidebar.get_by_role("link", name="Pharmacies", exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Patients", exact=True)).to_be_hidden()
    expect(page.locator("#main")).to_have_class(re.compile(r"\bshifted\b"))
    page.locator("#toggle-nav-sidebar").click()
    expect(page.locator("#main")).not_to_have_class(re.compile(r"\bshifted\b"))
    page.locator("#toggle-nav-sidebar").click()

    # Select all, the counter, and one row unticked.
    rows = page.locator("input.action-select")
    total = rows.count()
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_have_text(f"{total} of {total} selected")
    assert all(box.is_checked() for box in rows.all())
    rows.first.uncheck()
    expect(page.locator(".action-counter")).to_have_text(f"{total - 1} of {total} selected")
    expect(page.locator("#action-toggle")).not_to_be_checked()

    # The filter panel collapses and remembers it (filters.js).
    panel = page.locator("#changelist-filter details").first
    expect(panel).to_have_attribute("open", "")
    panel.locator("summary").click()
    expect(panel).not_to_have_attribute("open", "")
    page.wait_for_function(  # the "toggle" event comes a moment after the click
        "(sessionStorage.getItem('django.admin.filtersState') || '').includes('false')"
    )

    # filter_horizontal (SelectFilter2.js): filter the groups, choose one.
    walk.go(reverse("admin:auth_user_change", args=[other.user.pk]))
    page.locator("#id_groups_input").press_sequentially("presc")  # it filters on keyup
    expect(page.locator("#id_groups_from option")).to_have_text(["Prescriber"])
    page.locator("#id_groups_from").select_option(label="Prescriber")
    page.locator("#id_groups_add").click()
    expect(page.locator("#id_groups_to option", has_text="Prescriber")).to_have_count(1)
    icon = page.locator("label[for=id_groups_input] .search-label-icon")
    expect(icon).to_have_attribute("role", "img")  # named by static/js/admin.js

    # An inline's "Add another" (inlines.js), then the raw-id lookup popup fills its user.
    pharmacy = admin_rows["pharmacy"]
    walk.go(reverse("admin:registry_pharmacy_change", args=[pharmacy.pk]))
    before = page.locator("#pharmacists-group tr.form-row:not(.empty-form)").count()
    page.locator("#pharmacists-group .add-row a").click()
    new_rows = page.locator("#pharmacists-group tr.form-row:not(.empty-form)")
    expect(new_rows).to_have_count(before + 1)
    new_user = new_rows.last.locator("input.vForeignKeyRawIdAdminField")
    lookup = new_rows.last.locator("a.related-lookup")
    with page.expect_popup() as opened:
        lookup.click()
    popup = opened.value
    popup.wait_for_load_state()
    with popup.expect_event("close"):  # the row's link hands the id over and closes it
        popup.locator(f'a[data-popup-opener="{other.user.pk}"]').click()
    expect(new_user).to_have_value(str(other.user.pk))
    assert walk.refused_so_far() == []


def test_date_time_shortcuts_and_the_add_popup_work_under_the_csp(
    live_server, page: Page, superuser, pharmacist, password
):
    """As a superuser (the registry admin's date fields are read only): the calendar, the clock
    and "Today" on a user's last login; and the "+" that adds a group in a popup."""
    walk = AdminWalk(page, live_server.url)
    sign_in_to_admin(page, live_server.url, superuser, password)
    walk.go(reverse("admin:auth_user_change", args=[pharmacist.pk]))

    date, time = page.locator("#id_last_login_0"), page.locator("#id_last_login_1")
    expect(date).to_have_attribute("aria-label", "Last login Date")
    page.locator(".field-last_login .datetimeshortcuts").first.get_by_text("Today").click()
    expect(date).not_to_have_value("")
    date.fill("")
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.locator("#calendarbox0 td:not(.nonday) a", has_text=re.compile(r"^15$")).click()
    expect(page.locator("#calendarbox0")).to_be_hidden()
    expect(date).to_have_value(re.compile(r"15"))
    page.locator("#clocklink0").click()
    expect(page.locator("#clockbox0")).to_be_visible()
    page.locator("#clockbox0").get_by_role("link", name="Noon").click()
    expect(time).to_have_value("12:00:00")

    # The "+" beside the groups opens the add form in a popup; saving puts it in the list.
    with page.expect_popup() as opened:
        page.locator("#add_id_groups").click()
    popup = opened.value
    popup.wait_for_load_state()
    popup.locator("#id_name").fill("Night shift")
    with popup.expect_event("close"):
        popup.locator("input[name=_save]").click()
    expect(page.locator("#id_groups_to option", has_text="Night shift")).to_have_count(1)
    assert walk.refused_so_far() == []
