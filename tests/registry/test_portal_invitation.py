"""Portal invitations: a one-time link, 72 hours, re-sending invalidates the earlier one."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinic.accounts.roles import Role, roles_of
from registry.models import PortalInvitation
from tests.factories import PatientFactory

NEW_PASSWORD = "my-own-long-passphrase-2026"


@pytest.fixture
def invitee(prescriber):
    return PatientFactory(prescriber=prescriber, email="sam.ortiz@example.org", first_name="Sam")


def invite(client, nurse, patient, django_capture_on_commit_callbacks):
    client.force_login(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:patient-invite", args=[patient.pk]))
    assert response.status_code == 302
    return re.search(r"https?://[^/\s]+(/welcome/\S+/)", mail.outbox[-1].body).group(1)


def accept(link, password=NEW_PASSWORD):
    return Client().post(link, {"new_password1": password, "new_password2": password})


def test_the_patient_sets_a_password_joins_the_patient_group_and_is_linked(
    client, nurse, invitee, django_capture_on_commit_callbacks
):
    link = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["sam.ortiz@example.org"]
    assert "isotretinoin" not in message.body.lower()  # no drug name in mail
    page = Client().get(link)
    assert page.status_code == 200
    assert "sam.ortiz@example.org" in page.content.decode()
    response = accept(link)
    assert response.status_code == 302
    invitee.refresh_from_db()
    user = invitee.user
    assert user.is_active
    assert user.check_password(NEW_PASSWORD)
    assert roles_of(User.objects.get(pk=user.pk)) == {Role.PATIENT}
    assert (
        Client()
        .post(reverse("login"), {"username": user.username, "password": NEW_PASSWORD})
        .status_code
        == 302
    )


def test_the_link_works_only_once(client, nurse, invitee, django_capture_on_commit_callbacks):
    link = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    accept(link)
    response = accept(link, password="a-different-passphrase-99")
    assert response.status_code == 404
    assert "no longer works" in response.content.decode()
    invitee.refresh_from_db()
    assert invitee.user.check_password(NEW_PASSWORD)


def test_the_link_expires_after_72_hours(
    client, nurse, invitee, django_capture_on_commit_callbacks
):
    link = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=72, minutes=1)
    with time_machine.travel(later):
        assert Client().get(link).status_code == 404
        assert accept(link).status_code == 404
    invitee.refresh_from_db()
    assert not invitee.user.is_active


def test_resending_invalidates_the_earlier_link(
    client, nurse, invitee, django_capture_on_commit_callbacks
):
    first = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    second = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    assert first != second
    assert accept(first).status_code == 404
    assert accept(second).status_code == 302
    assert PortalInvitation.objects.filter(patient=invitee).count() == 2


def test_a_weak_password_is_refused_next_to_the_field(
    client, nurse, invitee, django_capture_on_commit_callbacks
):
    link = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    response = accept(link, password="qwerty123456")
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    invitee.refresh_from_db()
    assert not invitee.user.is_active
    assert accept(link).status_code == 302  # the link still works after a refused try


def test_a_patient_without_email_cannot_be_invited(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber, email="")
    client.force_login(nurse)
    response = client.post(reverse("staff:patient-invite", args=[patient.pk]), follow=True)
    assert "email address before sending" in response.content.decode()
    assert mail.outbox == []
    assert not PortalInvitation.objects.exists()


def test_only_the_hash_of_the_token_is_stored(
    client, nurse, invitee, django_capture_on_commit_callbacks
):
    link = invite(client, nurse, invitee, django_capture_on_commit_callbacks)
    token = link.strip("/").split("/")[-1]
    assert not PortalInvitation.objects.filter(token_hash=token).exists()
