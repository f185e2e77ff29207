"""Pharmacy certification (R17): the verbs, their audit rows, and may_dispense_on.

may_dispense_on(day) is the one answer to "may this pharmacy dispense on this day"; the day is
the clinic's local date, so the valid-until boundary falls at local midnight, not UTC's.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from registry.models import CertificationChange, PharmacyCertification
from tests.factories import PharmacyCertificationFactory, PharmacyFactory, certified_pharmacy

Status = PharmacyCertification.Status

FROM = datetime.date(2025, 1, 1)
UNTIL = datetime.date(2025, 6, 30)


def _certification(status, by, valid_from=FROM, valid_until=UNTIL):
    """A certification brought to `status` through the verbs, as the admin would."""
    certification = PharmacyCertificationFactory()
    if status == Status.PENDING:
        return certification
    certification.certify(by=by, valid_from=valid_from, valid_until=valid_until)
    if status == Status.SUSPENDED:
        certification.suspend(by=by, reason="Inspection due")
    elif status == Status.REVOKED:
        certification.revoke(by=by, reason="Licence withdrawn")
    return certification


# may_dispense_on ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "day", "may"),
    [
        (Status.CERTIFIED, datetime.date(2024, 12, 31), False),  # the day before valid from
        (Status.CERTIFIED, FROM, True),  # valid from is included
        (Status.CERTIFIED, datetime.date(2025, 3, 15), True),
        (Status.CERTIFIED, UNTIL, True),  # valid until is included
        (Status.CERTIFIED, datetime.date(2025, 7, 1), False),  # the day after valid until
        (Status.CERTIFIED, datetime.date(2026, 3, 15), False),
        (Status.PENDING, datetime.date(2025, 3, 15), False),
        (Status.SUSPENDED, FROM, False),
        (Status.SUSPENDED, datetime.date(2025, 3, 15), False),
        (Status.SUSPENDED, UNTIL, False),
        (Status.REVOKED, datetime.date(2025, 3, 15), False),
        (Status.REVOKED, UNTIL, False),
    ],
)
def test_may_dispense_on_a_table_of_statuses_and_days(registry_admin, status, day, may):
    pharmacy = _certification(status, registry_admin).pharmacy
    assert pharmacy.may_dispense_on(day) is may


def test_a_pharmacy_without_certification_may_never_dispense(db):
    pharmacy = PharmacyFactory()
    assert pharmacy.may_dispense_on(datetime.date(2025, 3, 15)) is False


def test_a_pending_certification_has_no_dates_and_may_not_dispense(db):
    certification = PharmacyCertificationFactory()
    assert certification.status == Status.PENDING
    assert certification.valid_from is None
    assert certification.valid_until is None
    assert certification.pharmacy.may_dispense_on(datetime.date(2025, 3, 15)) is False


def test_reinstated_after_suspension_may_dispense_again(registry_admin):
    certification = _certification(Status.SUSPENDED, registry_admin)
    certification.certify(by=registry_admin, valid_from=FROM, valid_until=UNTIL)
    assert certification.pharmacy.may_dispense_on(datetime.date(2025, 3, 15)) is True


# The valid-until boundary in the clinic's time zone --------------------------------------------

# (zone, local moment, may dispense, what the UTC date is at that moment)
BOUNDARY = [
    # Los Angeles (UTC-7 in summer): 23:30 local on valid until is already 1 July in UTC.
    (
        "America/Los_Angeles",
        datetime.datetime(2025, 6, 30, 23, 30),
        True,
        datetime.date(2025, 7, 1),
    ),
    ("America/Los_Angeles", datetime.datetime(2025, 7, 1, 0, 30), False, datetime.date(2025, 7, 1)),
    # Auckland (UTC+12 in winter): 00:30 local on 1 July is still 30 June in UTC.
    ("Pacific/Auckland", datetime.datetime(2025, 6, 30, 23, 30), True, datetime.date(2025, 6, 30)),
    ("Pacific/Auckland", datetime.datetime(2025, 7, 1, 0, 30), False, datetime.date(2025, 6, 30)),
    # And the valid-from boundary, at local midnight too.
    (
        "America/Los_Angeles",
        datetime.datetime(2024, 12, 31, 23, 30),
        False,
        datetime.date(2025, 1, 1),
    ),
    ("America/Los_Angeles", datetime.datetime(2025, 1, 1, 0, 30), True, datetime.date(2025, 1, 1)),
    (
        "Pacific/Auckland",
        datetime.datetime(2024, 12, 31, 23, 30),
        False,
        datetime.date(2024, 12, 31),
    ),
    ("Pacific/Auckland", datetime.datetime(2025, 1, 1, 0, 30), True, datetime.date(2024, 12, 31)),
]


@pytest.mark.parametrize(("zone", "local", "may", "utc_date"), BOUNDARY)
def test_the_boundary_is_local_midnight_in_the_clinics_time_zone(
    registry_admin, zone, local, may, utc_date
):
    pharmacy = _certification(Status.CERTIFIED, registry_admin).pharmacy
    moment = local.replace(tzinfo=ZoneInfo(zone))
    with override_settings(TIME_ZONE=zone), time_machine.travel(moment, tick=False):
        assert timezone.now().astimezone(datetime.UTC).date() == utc_date
        assert timezone.localdate() == local.date()
        assert pharmacy.may_dispense_on(timezone.localdate()) is may
        assert pharmacy.may_dispense_at(timezone.now()) is may


def test_may_dispense_at_uses_the_clinics_zone_not_the_moments(registry_admin):
    pharmacy = _certification(Status.CERTIFIED, registry_admin).pharmacy
    # 06:30 UTC on 1 July is 23:30 on 30 June in Los Angeles: still valid there.
    moment = datetime.datetime(2025, 7, 1, 6, 30, tzinfo=datetime.UTC)
    with override_settings(TIME_ZONE="America/Los_Angeles"):
        assert pharmacy.may_dispense_at(moment) is True
    with override_settings(TIME_ZONE="Europe/London"):
        assert pharmacy.may_dispense_at(moment) is False


# The verbs and their audit rows -------------------------------------------------------------


def test_certify_records_who_when_why_and_the_dates(registry_admin):
    certification = PharmacyCertificationFactory()
    moment = datetime.datetime(2025, 1, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        certification.certify(
            by=registry_admin, valid_from=FROM, valid_until=UNTIL, reason="Inspection passed"
        )
    certification.refresh_from_db()
    assert certification.status == Status.CERTIFIED
    assert (certification.valid_from, certification.valid_until) == (FROM, UNTIL)
    change = CertificationChange.objects.get(certification=certification)
    assert (change.from_status, change.to_status) == (Status.PENDING, Status.CERTIFIED)
    assert change.changed_by == registry_admin
    assert change.changed_at == moment
    assert change.reason == "Inspection passed"
    assert (change.valid_from, change.valid_until) == (FROM, UNTIL)


def test_certify_without_a_note_records_a_default_reason(registry_admin):
    certification = PharmacyCertificationFactory()
    certification.certify(by=registry_admin, valid_from=FROM, valid_until=UNTIL)
    assert certification.changes.get().reason == "Certified"


def test_certify_refuses_valid_until_before_valid_from_and_changes_nothing(registry_admin):
    certification = PharmacyCertificationFactory()
    with pytest.raises(ValidationError) as refused:
        certification.certify(
            by=registry_admin, valid_from=UNTIL, valid_until=FROM, reason="Backwards"
        )
    assert "valid_until" in refused.value.message_dict
    certification.refresh_from_db()
    assert certification.status == Status.PENDING
    assert certification.valid_from is None
    assert not CertificationChange.objects.exists()


def test_certify_refuses_missing_dates(registry_admin):
    certification = PharmacyCertificationFactory()
    with pytest.raises(ValidationError):
        certification.certify(by=registry_admin, valid_from=FROM, valid_until=None)
    assert not CertificationChange.objects.exists()


def test_renew_for_a_year_moves_valid_until_and_is_audited(registry_admin):
    with time_machine.travel(datetime.datetime(2025, 5, 1, 12, tzinfo=datetime.UTC)):
        certification = _certification(Status.CERTIFIED, registry_admin)
        certification.renew_for_a_year(by=registry_admin, reason="Annual renewal")
    certification.refresh_from_db()
    assert certification.valid_from == FROM
    assert certification.valid_until == datetime.date(2026, 6, 30)
    latest = certification.changes.first()
    assert (latest.from_status, latest.to_status) == (Status.CERTIFIED, Status.CERTIFIED)
    assert latest.reason == "Annual renewal"
    assert latest.valid_until == datetime.date(2026, 6, 30)


def test_a_lapsed_certification_renews_for_a_year_from_today(registry_admin):
    certification = _certification(Status.CERTIFIED, registry_admin)  # ended 30 June 2025
    certification.renew_for_a_year(by=registry_admin)
    today = timezone.localdate()
    assert certification.valid_until in {
        today.replace(year=today.year + 1)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year + 1, day=28)
    }
    assert certification.is_active_on(today)


def test_a_stale_copy_cannot_overwrite_a_newer_status(registry_admin):
    certification = _certification(Status.CERTIFIED, registry_admin)
    stale = type(certification).objects.get(pk=certification.pk)
    certification.suspend(by=registry_admin, reason="Inspection due")
    with pytest.raises(ValidationError, match="Someone else changed"):
        stale.revoke(by=registry_admin, reason="Breach")
    certification.refresh_from_db()
    assert certification.status == Status.SUSPENDED


def test_renewing_a_29_february_expiry_ends_on_28_february(registry_admin):
    certification = _certification(
        Status.CERTIFIED, registry_admin, valid_until=datetime.date(2028, 2, 29)
    )
    certification.renew_for_a_year(by=registry_admin)
    assert certification.valid_until == datetime.date(2029, 2, 28)
    assert certification.changes.first().reason == "Renewed for a year"


@pytest.mark.parametrize("status", [Status.PENDING, Status.SUSPENDED, Status.REVOKED])
def test_only_a_certified_pharmacy_can_be_renewed(registry_admin, status):
    certification = _certification(status, registry_admin)
    before = certification.changes.count()
    with pytest.raises(ValidationError, match="Only a certified pharmacy can be renewed"):
        certification.renew_for_a_year(by=registry_admin)
    certification.refresh_from_db()
    assert certification.status == status
    assert certification.changes.count() == before


def test_suspend_records_the_reason(registry_admin):
    certification = _certification(Status.CERTIFIED, registry_admin)
    certification.suspend(by=registry_admin, reason="  Storage audit failed  ")
    certification.refresh_from_db()
    assert certification.status == Status.SUSPENDED
    latest = certification.changes.first()
    assert (latest.from_status, latest.to_status) == (Status.CERTIFIED, Status.SUSPENDED)
    assert latest.reason == "Storage audit failed"
    assert latest.changed_by == registry_admin


@pytest.mark.parametrize(("verb", "word"), [("suspend", "suspending"), ("revoke", "revoking")])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_suspend_and_revoke_need_a_reason_and_change_nothing_without(
    registry_admin, verb, word, reason
):
    certification = _certification(Status.CERTIFIED, registry_admin)
    with pytest.raises(ValidationError) as refused:
        getattr(certification, verb)(by=registry_admin, reason=reason)
    assert refused.value.message_dict["reason"] == [f"Give a reason for {word} the certification."]
    certification.refresh_from_db()
    assert certification.status == Status.CERTIFIED
    assert certification.changes.count() == 1  # only the certification


@pytest.mark.parametrize("status", [Status.PENDING, Status.SUSPENDED, Status.REVOKED])
def test_only_a_certified_pharmacy_can_be_suspended(registry_admin, status):
    certification = _certification(status, registry_admin)
    with pytest.raises(ValidationError, match="Only a certified pharmacy can be suspended"):
        certification.suspend(by=registry_admin, reason="Why not")
    certification.refresh_from_db()
    assert certification.status == status


@pytest.mark.parametrize("status", [Status.PENDING, Status.CERTIFIED, Status.SUSPENDED])
def test_revoke_works_from_any_status_but_revoked(registry_admin, status):
    certification = _certification(status, registry_admin)
    certification.revoke(by=registry_admin, reason="Licence withdrawn by the regulator")
    certification.refresh_from_db()
    assert certification.status == Status.REVOKED
    assert certification.changes.first().from_status == status


def test_revoked_is_final(registry_admin):
    certification = _certification(Status.REVOKED, registry_admin)
    with pytest.raises(ValidationError, match="already revoked"):
        certification.revoke(by=registry_admin, reason="Again")
    with pytest.raises(ValidationError, match="cannot be reinstated"):
        certification.certify(by=registry_admin, valid_from=FROM, valid_until=UNTIL)
    certification.refresh_from_db()
    assert certification.status == Status.REVOKED
    assert certification.changes.count() == 2


def test_the_changes_are_listed_newest_first(registry_admin):
    certification = _certification(Status.CERTIFIED, registry_admin)
    certification.suspend(by=registry_admin, reason="Inspection due")
    certification.certify(by=registry_admin, valid_from=FROM, valid_until=UNTIL, reason="OK")
    assert [(c.from_status, c.to_status) for c in certification.changes.all()] == [
        (Status.SUSPENDED, Status.CERTIFIED),
        (Status.CERTIFIED, Status.SUSPENDED),
        (Status.PENDING, Status.CERTIFIED),
    ]


def test_simple_history_records_each_change_with_its_user(registry_admin):
    certification = PharmacyCertificationFactory()
    certification.certify(by=registry_admin, valid_from=FROM, valid_until=UNTIL)
    certification.suspend(by=registry_admin, reason="Inspection due")
    latest, certified, created = certification.history.all()[:3]
    assert created.history_type == "+"
    assert created.status == Status.PENDING
    assert (certified.status, certified.history_user) == (Status.CERTIFIED, registry_admin)
    assert (latest.status, latest.history_user) == (Status.SUSPENDED, registry_admin)
    assert latest.valid_until == UNTIL


def test_certified_pharmacy_helper_certifies_from_today_for_a_year(registry_admin):
    pharmacy = certified_pharmacy(by=registry_admin)
    today = timezone.localdate()
    assert pharmacy.may_dispense_on(today)
    assert pharmacy.certification.changes.get().changed_by == registry_admin
