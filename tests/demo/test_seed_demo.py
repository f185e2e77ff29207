import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from clinic.accounts.roles import primary_role
from clinic.demo.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from clinic.monitoring.models import Appointment, ClinicSession
from dosing.models import Dispense
from registry.models import Patient


@override_settings(DEBUG=True)
def test_seed_demo_makes_one_working_account_per_role_and_prints_them(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username, _first, _last, role, _staff in DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        assert primary_role(user) is role
        assert username in out
        response = Client().post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
    assert Patient.objects.count() >= 3
    assert Patient.objects.get(user__username="patient").full_name == "Alex Rivera"
    jordan = Patient.objects.get(email="jordan.baker@example.org").courses.get()
    assert jordan.week_number() == 7
    assert jordan.prescriptions.count() == 2
    assert Dispense.objects.filter(prescription__course=jordan).count() == 1
    alex = Patient.objects.get(email="alex.rivera@example.org").courses.get()
    assert alex.prescriptions.get().pregnancy_test is not None
    # The Spanish-speaking demo patient, and the appointment book with something to show.
    luis = Patient.objects.get(user__username="paciente")
    assert (luis.full_name, luis.language) == ("Luis Fernandez", "es")
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    assert set(booked.values_list("patient__email", flat=True)) == {
        "alex.rivera@example.org",
        "luis.fernandez@example.org",
    }
    assert ClinicSession.objects.count() >= 3


@override_settings(DEBUG=True)
def test_seed_demo_can_run_twice(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(username="nurse").count() == 1
    assert Patient.objects.filter(email="alex.rivera@example.org").count() == 1
    assert Appointment.objects.count() == 2


def test_seed_demo_refuses_when_debug_is_off(db):
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo")
    assert not User.objects.exists()


@override_settings(DEBUG=True)
def test_the_demo_prescriber_finishes_signing_in_with_the_code_demo_code_prints(db, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("demo_code")
    printed = dict(line.split()[:2] for line in capsys.readouterr().out.splitlines())
    assert set(printed) == {"prescriber", "nurse", "pharmacist", "registryadmin"}
    client = Client()
    client.post("/accounts/login/", {"username": "prescriber", "password": DEMO_PASSWORD})
    response = client.post(reverse("accounts:two-factor-verify"), {"code": printed["prescriber"]})
    assert response.status_code == 302
    assert client.get(reverse("staff:worklist")).status_code == 200


def test_demo_code_refuses_when_debug_is_off(db):
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("demo_code")
