"""The pharmacy admin: certification actions with their own form page, audit, refusals,
permissions, filters, search, and a changelist whose query count does not grow with rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from registry.models import CertificationChange, Pharmacist, Pharmacy, PharmacyCertification
from tests.factories import (
    PharmacyCertificationFactory,
    PharmacyFactory,
    UserFactory,
    certified_pharmacy,
)

Status = PharmacyCertification.Status
CHANGELIST = "admin:registry_pharmacy_changelist"


@pytest.fixture
def admin_client_(client, registry_admin):
    client.force_login(registry_admin)
    return client


def _changelist():
    return reverse(CHANGELIST)


def _run(client, action, pharmacies, **fields):
    """The first post (from the changelist) or, with apply=..., the action's own form."""
    data = {"action": action, "_selected_action": [p.pk for p in pharmacies], **fields}
    return client.post(_changelist(), data)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _status(pharmacy):
    return PharmacyCertification.objects.get(pharmacy=pharmacy).status


# Each action asks first, then applies --------------------------------------------------------


def test_the_changelist_offers_the_four_actions_to_a_registry_admin(admin_client_):
    html = admin_client_.get(_changelist()).content.decode()
    for name in ["certify", "renew_for_a_year", "suspend", "revoke"]:
        assert f'<option value="{name}">' in html
    assert 'value="delete_selected"' not in html


def test_certify_asks_for_the_dates_then_certifies_and_audits(admin_client_, registry_admin):
    pharmacy = PharmacyCertificationFactory().pharmacy

    page = _run(admin_client_, "certify", [pharmacy])
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "admin/registry/pharmacy_action.html"
    html = page.content.decode()
    assert 'name="valid_from"' in html
    assert 'name="valid_until"' in html
    assert 'name="apply"' in html
    assert f'name="_selected_action" value="{pharmacy.pk}"' in html
    assert page.context["form"].initial["valid_from"] == timezone.localdate()
    assert _status(pharmacy) == Status.PENDING  # asking changes nothing

    done = _run(
        admin_client_,
        "certify",
        [pharmacy],
        valid_from="2025-01-01",
        valid_until="2099-12-31",
        reason="Inspection passed",
        apply="Certify",
    )
    assert done.status_code == 302
    assert done["Location"] == _changelist()
    certification = PharmacyCertification.objects.get(pharmacy=pharmacy)
    assert certification.status == Status.CERTIFIED
    assert certification.valid_from == datetime.date(2025, 1, 1)
    assert certification.valid_until == datetime.date(2099, 12, 31)
    change = certification.changes.get()
    assert change.changed_by == registry_admin
    assert change.reason == "Inspection passed"
    messages = _messages(admin_client_.get(_changelist()))
    assert f"Certified: {pharmacy.name}." in messages


def test_renew_asks_for_an_optional_note_and_renews(admin_client_, registry_admin):
    today = timezone.localdate()
    until = today + datetime.timedelta(days=40)
    pharmacy = certified_pharmacy(
        by=registry_admin, valid_from=today - datetime.timedelta(days=300), valid_until=until
    )
    page = _run(admin_client_, "renew_for_a_year", [pharmacy])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    done = _run(admin_client_, "renew_for_a_year", [pharmacy], reason="", apply="Renew")
    assert done.status_code == 302
    certification = PharmacyCertification.objects.get(pharmacy=pharmacy)
    assert certification.valid_until == until.replace(year=until.year + 1)
    assert certification.changes.first().reason == "Renewed for a year"
    assert certification.changes.first().changed_by == registry_admin


@pytest.mark.parametrize(("action", "status"), [("suspend", "suspended"), ("revoke", "revoked")])
def test_suspend_and_revoke_record_the_reason(admin_client_, registry_admin, action, status):
    pharmacy = certified_pharmacy(by=registry_admin)
    page = _run(admin_client_, action, [pharmacy])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    done = _run(admin_client_, action, [pharmacy], reason="Storage audit failed", apply="Go ahead")
    assert done.status_code == 302
    assert _status(pharmacy) == status
    change = CertificationChange.objects.filter(certification__pharmacy=pharmacy).first()
    assert (change.to_status, change.reason, change.changed_by) == (
        status,
        "Storage audit failed",
        registry_admin,
    )


def test_an_action_applies_to_each_selected_pharmacy(admin_client_, registry_admin):
    first, second = certified_pharmacy(by=registry_admin), certified_pharmacy(by=registry_admin)
    untouched = certified_pharmacy(by=registry_admin)
    _run(admin_client_, "suspend", [first, second], reason="Regional recall", apply="Suspend")
    assert _status(first) == _status(second) == Status.SUSPENDED
    assert _status(untouched) == Status.CERTIFIED


# Refused input: the error at the field, nothing changed ----------------------------------------


@pytest.mark.parametrize(("action", "word"), [("revoke", "revoking"), ("suspend", "suspending")])
@pytest.mark.parametrize("reason", ["", "   "])
def test_suspend_or_revoke_without_a_reason_is_refused_at_the_field(
    admin_client_, registry_admin, action, word, reason
):
    pharmacy = certified_pharmacy(by=registry_admin)
    page = _run(admin_client_, action, [pharmacy], reason=reason, apply="Go ahead")
    assert page.status_code == 200
    form = page.context["form"]
    message = f"Give a reason for {word} the certification."
    assert form.errors == {"reason": [message]}
    html = page.content.decode()
    # The error sits in the reason field's row, and the field points to it.
    row = html.split('field-reason">')[1].split('<div class="help"')[0]
    assert message in row
    assert '<ul class="errorlist" id="id_reason_error">' in row
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in row
    assert "Nothing has been changed" in html
    assert _status(pharmacy) == Status.CERTIFIED
    assert CertificationChange.objects.filter(certification__pharmacy=pharmacy).count() == 1


def test_certify_with_valid_until_before_valid_from_is_refused_at_the_field(admin_client_):
    pharmacy = PharmacyCertificationFactory().pharmacy
    page = _run(
        admin_client_,
        "certify",
        [pharmacy],
        valid_from="2025-06-30",
        valid_until="2025-01-01",
        apply="Certify",
    )
    assert page.status_code == 200
    assert page.context["form"].errors == {
        "valid_until": ["Valid until must be on or after valid from."]
    }
    row = page.content.decode().split('field-valid_until">')[1].split("field-reason")[0]
    assert "Valid until must be on or after valid from." in row
    # The entered values are kept so they can be corrected.
    assert 'value="2025-06-30"' in page.content.decode()
    certification = PharmacyCertification.objects.get(pharmacy=pharmacy)
    assert certification.status == Status.PENDING
    assert certification.valid_from is None
    assert not CertificationChange.objects.exists()


def test_certify_without_dates_is_refused_at_the_fields(admin_client_):
    pharmacy = PharmacyCertificationFactory().pharmacy
    page = _run(admin_client_, "certify", [pharmacy], valid_from="", apply="Certify")
    assert set(page.context["form"].errors) == {"valid_from", "valid_until"}
    assert _status(pharmacy) == Status.PENDING


def test_a_pharmacy_the_model_refuses_is_reported_and_left_as_it_was(admin_client_, registry_admin):
    certified = certified_pharmacy(by=registry_admin, name="Alder Pharmacy")
    pending = PharmacyCertificationFactory(pharmacy=PharmacyFactory(name="Birch Pharmacy"))
    response = admin_client_.post(
        _changelist(),
        {
            "action": "suspend",
            "_selected_action": [certified.pk, pending.pharmacy.pk],
            "reason": "Inspection due",
            "apply": "Suspend",
        },
        follow=True,
    )
    messages = _messages(response)
    assert "Birch Pharmacy: Only a certified pharmacy can be suspended. Not changed." in messages
    assert "Suspended: Alder Pharmacy." in messages
    assert _status(certified) == Status.SUSPENDED
    assert _status(pending.pharmacy) == Status.PENDING
    assert not pending.changes.exists()


def test_renewing_a_pending_pharmacy_is_refused_with_a_message(admin_client_):
    pending = PharmacyCertificationFactory()
    response = admin_client_.post(
        _changelist(),
        {"action": "renew_for_a_year", "_selected_action": [pending.pharmacy.pk], "apply": "Go"},
        follow=True,
    )
    assert any("Only a certified pharmacy can be renewed" in m for m in _messages(response))
    assert not CertificationChange.objects.exists()


def test_a_pharmacy_without_certification_is_reported(admin_client_):
    pharmacy = PharmacyFactory(name="Cedar Pharmacy")
    response = admin_client_.post(
        _changelist(),
        {
            "action": "certify",
            "_selected_action": [pharmacy.pk],
            "valid_from": "2025-01-01",
            "valid_until": "2099-12-31",
            "apply": "Certify",
        },
        follow=True,
    )
    assert any(
        m.startswith("Cedar Pharmacy: has no certification yet") for m in _messages(response)
    )
    assert not PharmacyCertification.objects.exists()


# Who may change certification ----------------------------------------------------------------


def test_a_nurse_has_no_admin_access_and_cannot_change_certification(client, nurse, registry_admin):
    pharmacy = certified_pharmacy(by=registry_admin)
    client.force_login(nurse)
    assert client.get(_changelist()).status_code == 302  # to the admin's login
    response = client.post(
        _changelist(),
        {
            "action": "revoke",
            "_selected_action": [pharmacy.pk],
            "reason": "Not mine to do",
            "apply": "Revoke",
        },
    )
    assert response.status_code == 302
    assert _status(pharmacy) == Status.CERTIFIED
    assert CertificationChange.objects.count() == 1


@pytest.fixture
def staff_reader(db):
    """A clinical staff member with admin access: may read pharmacies, not change them."""
    return UserFactory(username="staff.reader", roles=[Role.CLINICAL_STAFF], is_staff=True)


def test_staff_may_read_but_get_no_certification_actions(client, staff_reader, registry_admin):
    pharmacy = certified_pharmacy(by=registry_admin)
    client.force_login(staff_reader)
    page = client.get(_changelist())
    assert page.status_code == 200
    assert pharmacy.name in page.content.decode()
    assert 'value="suspend"' not in page.content.decode()

    response = client.post(
        _changelist(),
        {
            "action": "suspend",
            "_selected_action": [pharmacy.pk],
            "reason": "Trying anyway",
            "apply": "Suspend",
        },
        follow=True,
    )
    assert response.status_code == 200  # no actions at all: the POST only shows the list
    assert not _messages(response)
    assert _status(pharmacy) == Status.CERTIFIED

    change_page = client.get(reverse("admin:registry_pharmacy_change", args=[pharmacy.pk]))
    assert change_page.status_code == 200
    assert 'name="certification-0-number"' not in change_page.content.decode()


def test_pharmacies_are_never_deleted(admin_client_, registry_admin):
    pharmacy = certified_pharmacy(by=registry_admin)
    url = reverse("admin:registry_pharmacy_delete", args=[pharmacy.pk])
    assert admin_client_.get(url).status_code == 403
    assert admin_client_.post(url, {"post": "yes"}).status_code == 403
    assert Pharmacy.objects.filter(pk=pharmacy.pk).exists()


def test_the_change_log_is_read_only(admin_client_, registry_admin):
    pharmacy = certified_pharmacy(by=registry_admin)
    change = CertificationChange.objects.get(certification__pharmacy=pharmacy)
    assert (
        admin_client_.get(reverse("admin:registry_certificationchange_changelist")).status_code
        == 200
    )
    assert admin_client_.get(reverse("admin:registry_certificationchange_add")).status_code == 403
    url = reverse("admin:registry_certificationchange_change", args=[change.pk])
    admin_client_.post(url, {"reason": "rewritten"})
    change.refresh_from_db()
    assert change.reason == "Certified"
    delete = reverse("admin:registry_certificationchange_delete", args=[change.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403


# The change page: history, a new certification, pharmacist accounts ----------------------------


def test_the_change_page_lists_every_status_change_with_who_when_why(admin_client_, registry_admin):
    registry_admin.first_name, registry_admin.last_name = "Robin", "Meyer"
    registry_admin.save()
    pharmacy = certified_pharmacy(by=registry_admin)
    pharmacy.certification.suspend(by=registry_admin, reason="Cold chain <broken>")
    html = admin_client_.get(
        reverse("admin:registry_pharmacy_change", args=[pharmacy.pk])
    ).content.decode()
    table = html.split('class="certification-changes"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # header and two changes
    assert "Robin Meyer" in table
    assert "Certified → Suspended" in table
    assert "Pending → Certified" in table
    assert "Cold chain &lt;broken&gt;" in table  # reasons are escaped
    assert table.index("Certified → Suspended") < table.index("Pending → Certified")


def _add_pharmacy_data(**extra):
    return {
        "name": "Elm Pharmacy",
        "registration_number": "PH-ELM-1",
        "address": "1 Elm Street",
        "phone": "+44 20 7946 0001",
        "responsible_pharmacist": "Jo Elm",
        "certification-TOTAL_FORMS": "1",
        "certification-INITIAL_FORMS": "0",
        "certification-MIN_NUM_FORMS": "0",
        "certification-MAX_NUM_FORMS": "1",
        "certification-0-number": "CERT-ELM-1",
        "pharmacists-TOTAL_FORMS": "0",
        "pharmacists-INITIAL_FORMS": "0",
        "pharmacists-MIN_NUM_FORMS": "0",
        "pharmacists-MAX_NUM_FORMS": "1000",
        **extra,
    }


def test_a_new_certification_entered_on_the_pharmacy_starts_pending(admin_client_):
    response = admin_client_.post(
        reverse("admin:registry_pharmacy_add"),
        _add_pharmacy_data(**{"certification-0-status": "certified"}),  # ignored: read-only
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    certification = PharmacyCertification.objects.get(number="CERT-ELM-1")
    assert certification.pharmacy.name == "Elm Pharmacy"
    assert certification.status == Status.PENDING
    assert certification.valid_from is None
    assert not certification.pharmacy.may_dispense_on(timezone.localdate())


def test_a_pharmacist_account_is_linked_on_the_pharmacy_page(admin_client_, pharmacist, nurse):
    data = _add_pharmacy_data(
        **{"pharmacists-TOTAL_FORMS": "1", "pharmacists-0-user": str(nurse.pk)}
    )
    refused = admin_client_.post(reverse("admin:registry_pharmacy_add"), data)
    assert refused.status_code == 200
    assert "does not hold the Pharmacist role" in refused.content.decode()
    assert not Pharmacy.objects.exists()

    data["pharmacists-0-user"] = str(pharmacist.pk)
    assert admin_client_.post(reverse("admin:registry_pharmacy_add"), data).status_code == 302
    assert Pharmacist.objects.get(user=pharmacist).pharmacy.name == "Elm Pharmacy"


def test_the_certification_number_stays_editable_and_unique(admin_client_):
    PharmacyCertificationFactory(number="CERT-TAKEN")
    response = admin_client_.post(
        reverse("admin:registry_pharmacy_add"),
        _add_pharmacy_data(**{"certification-0-number": "CERT-TAKEN"}),
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Pharmacy.objects.filter(name="Elm Pharmacy").exists()


# Filters, search, query count ----------------------------------------------------------------


@pytest.fixture
def spread(registry_admin):
    """Pharmacies in each state; 'Soon' expires in 10 days, 'Later' in 200."""
    today = timezone.localdate()
    soon = certified_pharmacy(
        by=registry_admin,
        name="Soon Pharmacy",
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=10),
    )
    later = certified_pharmacy(
        by=registry_admin,
        name="Later Pharmacy",
        registration_number="PH-LATER",
        valid_until=today + datetime.timedelta(days=200),
    )
    edge = certified_pharmacy(
        by=registry_admin,
        name="Edge Pharmacy",
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=30),
    )
    past = certified_pharmacy(
        by=registry_admin,
        name="Past Pharmacy",
        valid_from=today - datetime.timedelta(days=400),
        valid_until=today - datetime.timedelta(days=1),
    )
    suspended = certified_pharmacy(by=registry_admin, name="Paused Pharmacy")
    suspended.certification.suspend(by=registry_admin, reason="Inspection due")
    pending = PharmacyCertificationFactory(
        number="CERT-PENDING-7", pharmacy=PharmacyFactory(name="Waiting Pharmacy")
    ).pharmacy
    return {
        "soon": soon,
        "later": later,
        "edge": edge,
        "past": past,
        "suspended": suspended,
        "pending": pending,
    }


def _listed(client, **params):
    response = client.get(_changelist(), params)
    assert response.status_code == 200
    return {p.name for p in response.context["cl"].result_list}


def test_filter_by_certification_status(admin_client_, spread):
    assert _listed(admin_client_, certification__status__exact="suspended") == {"Paused Pharmacy"}
    assert _listed(admin_client_, certification__status__exact="pending") == {"Waiting Pharmacy"}
    assert _listed(admin_client_, certification__status__exact="certified") == {
        "Soon Pharmacy",
        "Later Pharmacy",
        "Edge Pharmacy",
        "Past Pharmacy",
    }


def test_filter_expires_within_30_days_uses_the_clinics_local_date(admin_client_, spread):
    html = admin_client_.get(_changelist()).content.decode()
    assert "Expires within 30 days" in html
    assert _listed(admin_client_, expires="30d") == {"Soon Pharmacy", "Edge Pharmacy"}
    assert _listed(admin_client_, expires="past") == {"Past Pharmacy"}


def test_search_by_name_registration_or_certification_number(admin_client_, spread):
    assert _listed(admin_client_, q="soon") == {"Soon Pharmacy"}
    assert _listed(admin_client_, q="PH-LATER") == {"Later Pharmacy"}
    assert _listed(admin_client_, q="CERT-PENDING-7") == {"Waiting Pharmacy"}


def test_the_list_shows_number_status_and_valid_until(admin_client_, spread):
    html = admin_client_.get(_changelist()).content.decode()
    assert spread["pending"].certification.number in html
    assert "Suspended" in html
    assert html.count("Certified (not valid today)") == 1  # Past Pharmacy


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_changelist())
    assert response.status_code == 200
    return len(queries)


def test_the_changelist_query_count_does_not_grow_with_pharmacies(admin_client_, registry_admin):
    for _ in range(3):
        certified_pharmacy(by=registry_admin)
    few = _changelist_queries(admin_client_)
    for _ in range(27):
        certified_pharmacy(by=registry_admin)
    PharmacyFactory()  # one without certification too
    assert Pharmacy.objects.count() == 31
    assert _changelist_queries(admin_client_) == few


def test_the_certification_and_change_lists_load(admin_client_, spread):
    certifications = admin_client_.get(
        reverse("admin:registry_pharmacycertification_changelist"), {"expires": "30d"}
    )
    assert {c.pharmacy.name for c in certifications.context["cl"].result_list} == {
        "Soon Pharmacy",
        "Edge Pharmacy",
    }
    changes = admin_client_.get(
        reverse("admin:registry_certificationchange_changelist"), {"q": "Paused"}
    )
    assert {c.to_status for c in changes.context["cl"].result_list} == {
        Status.CERTIFIED,
        Status.SUSPENDED,
    }


def test_certifying_with_a_valid_until_in_the_past_is_refused(admin_client_):
    pharmacy = PharmacyCertificationFactory().pharmacy
    page = _run(
        admin_client_,
        "certify",
        [pharmacy],
        valid_from="2020-01-01",
        valid_until="2020-12-31",
        apply="Certify",
    )
    assert page.status_code == 200
    assert "Valid until is in the past." in page.content.decode()
    assert _status(pharmacy) == Status.PENDING
