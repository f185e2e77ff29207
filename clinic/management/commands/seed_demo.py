"""Create one demo account per role and a few demo patients (development only)."""

import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry.models import Patient
from registry.roles import Role

DEMO_PASSWORD = "course-demo-2026"

DEMO_ACCOUNTS = [
    # username, first name, last name, role, may use the admin site
    ("prescriber", "Dana", "Okafor", Role.PRESCRIBER, False),
    ("nurse", "Sam", "Lindqvist", Role.CLINICAL_STAFF, False),
    ("registryadmin", "Robin", "Meyer", Role.REGISTRY_ADMIN, True),
    ("pharmacist", "Priya", "Nair", Role.PHARMACIST, False),
    ("patient", "Alex", "Rivera", Role.PATIENT, False),
]

DEMO_PATIENTS = [
    # first, last, born, sex, risk category, email, linked to the demo patient account
    (
        "Alex",
        "Rivera",
        datetime.date(2004, 5, 17),
        Patient.Sex.FEMALE,
        Patient.RiskCategory.CAN_GET_PREGNANT,
        "alex.rivera@example.org",
        True,
    ),
    (
        "Jordan",
        "Baker",
        datetime.date(2001, 11, 2),
        Patient.Sex.MALE,
        Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "jordan.baker@example.org",
        False,
    ),
    (
        "Mei",
        "Tanaka",
        datetime.date(2007, 2, 28),
        Patient.Sex.FEMALE,
        Patient.RiskCategory.CAN_GET_PREGNANT,
        "mei.tanaka@example.org",
        False,
    ),
    (
        "Luis",
        "Fernandez",
        datetime.date(1998, 8, 9),
        Patient.Sex.MALE,
        Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "luis.fernandez@example.org",
        False,
    ),
]


class Command(BaseCommand):
    help = (
        "Create demo accounts (one per role) and demo patients. Refuses to run unless DEBUG is on."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo makes accounts with a published password; it runs only with DEBUG on."
            )
        with transaction.atomic():
            users = {
                username: self._account(username, first, last, role, staff)
                for username, first, last, role, staff in DEMO_ACCOUNTS
            }
            for first, last, born, sex, risk, email, linked in DEMO_PATIENTS:
                Patient.objects.get_or_create(
                    email=email,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": born,
                        "sex": sex,
                        "risk_category": risk,
                        "prescriber": users["prescriber"],
                        "user": users["patient"] if linked else None,
                    },
                )
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, _staff in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role.value:<15} {username:<14} ({first} {last})")
        self.stdout.write(f"Demo patients: {Patient.objects.count()} in the registry.")

    def _account(self, username, first, last, role, staff):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "is_staff": staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role.value))
        return user
