"""Recovery codes are stored as salted PBKDF2 hashes, never in the clear (issue 16), and the
codes made before (django-otp static tokens, in the clear) are hashed by migration 0002 and go
on working, once each."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from clinic.accounts.models import HASH_ITERATIONS, RecoveryCode, RecoveryCodeDevice
from clinic.accounts.roles import Role
from clinic.accounts.two_factor import RECOVERY_NAME, new_recovery_codes
from tests.factories import UserFactory
from tests.second_factor import authenticator_for


def every_stored_value(user) -> str:
    """Every column of every recovery-code row of `user`, as text."""
    rows = RecoveryCode.objects.filter(device__user=user).values_list()
    return " ".join(str(value) for row in rows for value in row)


def test_no_code_is_stored_in_the_clear_and_each_has_its_own_salt(prescriber):
    codes = new_recovery_codes(prescriber)
    assert len(codes) == 10
    stored = every_stored_value(prescriber)
    assert not any(code in stored for code in codes)
    digests = list(
        RecoveryCode.objects.filter(device__user=prescriber).values_list("digest", flat=True)
    )
    assert all(d.startswith("pbkdf2_sha256$") for d in digests)
    assert all(d.split("$")[1] == str(HASH_ITERATIONS) for d in digests)
    assert len({d.split("$")[2] for d in digests}) == 10  # one salt per code


def test_a_code_works_once_and_a_wrong_one_not_at_all(prescriber):
    codes = new_recovery_codes(prescriber)
    device = RecoveryCodeDevice.objects.get(user=prescriber)
    assert not device.verify_token("aaaaaaaaaa")
    device.throttle_reset()
    assert device.verify_token(codes[3])
    assert RecoveryCode.objects.filter(device=device).count() == 9
    assert not device.verify_token(codes[3])


def test_wrong_codes_in_a_row_pause_the_codes(prescriber):
    codes = new_recovery_codes(prescriber)
    device = RecoveryCodeDevice.objects.get(user=prescriber)
    assert not device.verify_token("bbbbbbbbbb")
    # django-otp's throttle: after a wrong code, even a right one waits.
    assert not device.verify_token(codes[0])
    assert RecoveryCode.objects.filter(device=device).count() == 10


@pytest.mark.django_db(transaction=True)
def test_migration_0002_hashes_the_old_codes_and_they_still_sign_in(password):

    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    try:
        user = UserFactory(username="dr.before", roles=[Role.PRESCRIBER])
        old = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        for token in ("abcd2345", "efgh2367"):
            StaticToken.objects.create(device=old, token=token)
        kept = StaticDevice.objects.create(user=user, name="something else", confirmed=True)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert not StaticDevice.objects.filter(pk=old.pk).exists()
    assert not StaticToken.objects.filter(token="abcd2345").exists()
    assert StaticDevice.objects.filter(pk=kept.pk).exists()  # not ours: left alone
    assert RecoveryCode.objects.filter(device__user=user).count() == 2
    assert "abcd2345" not in every_stored_value(user)

    authenticator_for(user)
    client = Client()
    client.post(reverse("login"), {"username": user.username, "password": password})
    response = client.post(reverse("accounts:two-factor-verify"), {"code": "abcd-2345"})
    assert response.status_code == 302
    assert client.get(reverse("staff:worklist")).status_code == 200
    assert RecoveryCode.objects.filter(device__user=user).count() == 1
