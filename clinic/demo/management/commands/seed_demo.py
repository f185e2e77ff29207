"""Create one demo account per role and a few demo patients (development only)."""

import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.roles import Role
from clinic.accounts.two_factor import AUTHENTICATOR_NAME, grouped_base32, requires_second_factor
from clinic.monitoring import appointments as appointment_book
from clinic.monitoring.flagging import raise_flags
from clinic.monitoring.labs import baseline_labs_of
from clinic.monitoring.models import ClinicSession, Visit
from clinic.monitoring.outcomes import build_outcome_counts
from clinic.reminders.schedule import schedule_visit_reminders
from dosing import services as dosing
from dosing.models import Dispense
from registry.models import (
    Guardian,
    MonthlyConfirmation,
    Patient,
    Pharmacist,
    Pharmacy,
    PharmacyCertification,
    PregnancyTest,
)
from registry.models.pharmacies import one_year_after

DEMO_PASSWORD = "course-demo-2026"
# The demo accounts that sign in with a second factor share this published authenticator key:
# the RFC 6238 test key ("12345678901234567890"), base32 GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ.
# `make demo-code` prints its current code for those without a phone app at hand.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

DEMO_ACCOUNTS = [
    # username, first name, last name, role, may use the admin site
    ("prescriber", "Dana", "Okafor", Role.PRESCRIBER, False),
    ("nurse", "Sam", "Lindqvist", Role.CLINICAL_STAFF, False),
    ("registryadmin", "Robin", "Meyer", Role.REGISTRY_ADMIN, True),
    ("pharmacist", "Priya", "Nair", Role.PHARMACIST, False),
    ("patient", "Alex", "Rivera", Role.PATIENT, False),
    # A patient who reads the portal, reminders and texts in Spanish (docs/LANGUAGES.md).
    ("paciente", "Luis", "Fernandez", Role.PATIENT, False),
]

DEMO_PATIENTS = [
    # first, last, born, sex, risk category, email, the demo account linked to it (or None)
    (
        "Alex",
        "Rivera",
        datetime.date(2004, 5, 17),
        Patient.Sex.FEMALE,
        Patient.RiskCategory.CAN_GET_PREGNANT,
        "alex.rivera@example.org",
        "patient",
    ),
    (
        "Jordan",
        "Baker",
        datetime.date(2001, 11, 2),
        Patient.Sex.MALE,
        Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "jordan.baker@example.org",
        None,
    ),
    (
        "Mei",
        "Tanaka",
        datetime.date(2007, 2, 28),
        Patient.Sex.FEMALE,
        Patient.RiskCategory.CAN_GET_PREGNANT,
        "mei.tanaka@example.org",
        None,
    ),
    (
        "Luis",
        "Fernandez",
        datetime.date(1998, 8, 9),
        Patient.Sex.MALE,
        Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "luis.fernandez@example.org",
        "paciente",
    ),
    (
        "Kit",
        "Okoro",
        datetime.date(2010, 6, 12),  # 16 in 2026: enrolled with a guardian (under 18)
        Patient.Sex.MALE,
        Patient.RiskCategory.CANNOT_GET_PREGNANT,
        "kit.okoro@example.org",
        None,
    ),
]

# Demo patients who read the portal and their messages in Spanish, by email.
DEMO_LANGUAGES = {"luis.fernandez@example.org": Patient.Language.SPANISH}

# The guardians of demo patients under 18, by the patient's email (registry.models.Guardian).
DEMO_GUARDIANS = {
    "kit.okoro@example.org": {
        "full_name": "Ngozi Okoro",
        "relation": Guardian.Relation.PARENT,
        "email": "ngozi.okoro@example.org",
        "phone": "+44 20 7946 0188",
        "consent_given": True,
        "receives_reminders": True,
    },
}

DEMO_PHARMACIES = [
    # name, registration number, certification number, state, address, phone, responsible
    (
        "Riverside Pharmacy",
        "DEMO-PH-001",
        "DEMO-CERT-001",
        PharmacyCertification.Status.CERTIFIED,
        "12 River Walk, Demo Town",
        "+44 20 7946 0101",
        "Hannah Cole",
    ),
    (
        "Market Street Chemist",
        "DEMO-PH-002",
        "DEMO-CERT-002",
        PharmacyCertification.Status.SUSPENDED,
        "3 Market Street, Demo Town",
        "+44 20 7946 0102",
        "Omar Said",
    ),
    (
        "Hillside Pharmacy",
        "DEMO-PH-003",
        "DEMO-CERT-003",
        PharmacyCertification.Status.PENDING,
        "48 Hill Road, Demo Town",
        "+44 20 7946 0103",
        "Grace Lim",
    ),
]
DEMO_SUSPENSION_REASON = "Demo: inspection found isotretinoin stock outside the locked cabinet."


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
            for first, last, born, sex, risk, email, account in DEMO_PATIENTS:
                patient, _created = Patient.objects.get_or_create(
                    email=email,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": born,
                        "sex": sex,
                        "risk_category": risk,
                        "prescriber": users["prescriber"],
                        "user": users[account] if account else None,
                        "language": DEMO_LANGUAGES.get(email, Patient.Language.ENGLISH),
                        "consent_treatment_on": timezone.localdate() - datetime.timedelta(60),
                    },
                )
                if email in DEMO_GUARDIANS:
                    Guardian.objects.get_or_create(
                        patient=patient,
                        defaults={
                            **DEMO_GUARDIANS[email],
                            "consent_on": patient.consent_treatment_on,
                        },
                    )
            pharmacies = [
                self._pharmacy(*row, by=users["registryadmin"]) for row in DEMO_PHARMACIES
            ]
            # The demo pharmacist works at the certified pharmacy.
            Pharmacist.objects.get_or_create(
                user=users["pharmacist"], defaults={"pharmacy": pharmacies[0]}
            )
            self._courses(users, pharmacies[0])
            self._appointment_book(users)
            transaction.on_commit(raise_flags)
            transaction.on_commit(build_outcome_counts)  # the report has figures at once
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, _staff in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role.value:<15} {username:<14} ({first} {last})")
        self.stdout.write(
            "Every staff account signs in with a second factor: add the key "
            f"{grouped_base32(bytes.fromhex(DEMO_TOTP_KEY))} to an authenticator app, "
            "or run `make demo-code`."
        )
        self.stdout.write(f"Demo patients: {Patient.objects.count()} in the registry.")
        self.stdout.write("Demo pharmacies:")
        for pharmacy in Pharmacy.objects.filter(
            registration_number__in=[row[1] for row in DEMO_PHARMACIES]
        ).select_related("certification"):
            certification = getattr(pharmacy, "certification", None)
            status = certification.get_status_display() if certification else "No certification"
            self.stdout.write(f"  {pharmacy.name:<22} {status}")

    def _appointment_book(self, users):
        """The demo prescriber's clinic on Tuesday and Thursday mornings of the next two weeks,
        20-minute slots; Alex and Luis (who reads Spanish) each booked at the first one, so the
        day view, the portal's appointments and their reminders have something to show."""
        if ClinicSession.objects.exists():
            return
        prescriber = users["prescriber"]
        today = timezone.localdate()
        sessions = [
            appointment_book.create_session(
                prescriber=prescriber,
                day=day,
                starts=datetime.time(9, 0),
                ends=datetime.time(12, 0),
                slot_minutes=20,
                capacity=1,
                by=prescriber,
            )
            for day in (today + datetime.timedelta(days=n) for n in range(1, 15))
            if day.weekday() in (1, 3)
        ]
        first = sessions[0]
        for email, at in (
            ("alex.rivera@example.org", (9, 20)),
            ("luis.fernandez@example.org", (10, 0)),
        ):
            start = datetime.datetime.combine(
                first.day, datetime.time(*at), tzinfo=timezone.get_default_timezone()
            )
            appointment_book.book(Patient.objects.get(email=email), first, start, by=users["nurse"])

    def _courses(self, users, pharmacy):
        """Two demo courses, made through the same services as the pages, once.

        Jordan Baker is in week 7 with one month dispensed and the next prescription waiting;
        Alex Rivera (can get pregnant) starts today on Absorica with two negative tests.
        """
        today = timezone.localdate()
        prescriber, nurse = users["prescriber"], users["nurse"]
        jordan = Patient.objects.get(email="jordan.baker@example.org")
        if not jordan.courses.exists():
            started = today - datetime.timedelta(days=42)
            self._baseline_labs(
                jordan, nurse, on=started - datetime.timedelta(days=5), weight=70, nodules=24
            )
            course = dosing.start_course(
                jordan,
                by=prescriber,
                start_date=started,
                baseline_weight_kg=70,
                baseline_nodule_count=24,
                formulation="conventional",
            )
            first = dosing.prescribe(
                course,
                by=prescriber,
                prescribed_on=started,
                weight_kg=70,
                mg_per_dose=30,
                doses_per_day=2,
                days_supply=30,
                baseline_labs=baseline_labs_of(jordan),
            )
            dispense = dosing.authorize_dispense(
                first, pharmacy=pharmacy, by=users["pharmacist"], on=started
            )
            moment = timezone.make_aware(datetime.datetime.combine(started, datetime.time(10)))
            Dispense.objects.filter(pk=dispense.pk).update(authorized_at=moment)
            dosing.prescribe(
                course,
                by=prescriber,
                prescribed_on=today - datetime.timedelta(days=12),
                weight_kg=70,
                mg_per_dose=30,
                doses_per_day=2,
                days_supply=30,
                baseline_labs=baseline_labs_of(jordan),
            )
            self._visit(
                jordan,
                course,
                nurse,
                days_ago=14,
                weight=71,
                nodules=14,
                phq=(1, 0),
                follow_up_in=2,
            )
        luis = Patient.objects.get(email="luis.fernandez@example.org")
        if not luis.courses.exists():
            # Week 18, and the follow-up planned 10 days ago never happened: two flags.
            started = today - datetime.timedelta(days=124)
            course = dosing.start_course(
                luis,
                by=prescriber,
                start_date=started,
                baseline_weight_kg=82,
                baseline_nodule_count=30,
                formulation="conventional",
            )
            self._visit(
                luis, course, nurse, days_ago=38, weight=81, nodules=7, phq=(2, 1), follow_up_in=-10
            )
        alex = Patient.objects.get(email="alex.rivera@example.org")
        if not alex.courses.exists():
            MonthlyConfirmation.objects.create(
                patient=alex,
                confirmed_on=today - datetime.timedelta(days=1),
                contraception_methods=["implant", "condom"],
                answers={},
                passed=True,
            )
            for days_ago in (30, 2):
                PregnancyTest.objects.create(
                    patient=alex,
                    specimen_date=today - datetime.timedelta(days=days_ago),
                    result=PregnancyTest.Result.NEGATIVE,
                    recorded_by=nurse,
                )
            self._baseline_labs(
                alex, nurse, on=today - datetime.timedelta(days=2), weight=60, nodules=18
            )
            course = dosing.start_course(
                alex,
                by=prescriber,
                start_date=today,
                baseline_weight_kg=60,
                baseline_nodule_count=18,
                formulation="absorica",
            )
            dosing.prescribe(
                course,
                by=prescriber,
                prescribed_on=today,
                weight_kg=60,
                mg_per_dose=30,
                doses_per_day=2,
                days_supply=30,
                baseline_labs=baseline_labs_of(alex),
            )

    def _baseline_labs(self, patient, nurse, *, on, weight, nodules):
        """The visit before a course with its baseline labs (R19), all within the limits."""
        return Visit.objects.create(
            patient=patient,
            visit_date=on,
            weight_kg=weight,
            nodule_count=nodules,
            phq2_interest=0,
            phq2_mood=0,
            triglycerides=110,
            triglycerides_unit="mg/dL",
            total_cholesterol=170,
            cholesterol_unit="mg/dL",
            alt=22,
            ast=24,
            recorded_by=nurse,
        )

    def _visit(self, patient, course, nurse, *, days_ago, weight, nodules, phq, follow_up_in):
        today = timezone.localdate()
        visit = Visit.objects.create(
            patient=patient,
            course=course,
            visit_date=today - datetime.timedelta(days=days_ago),
            weight_kg=weight,
            nodule_count=nodules,
            phq2_interest=phq[0],
            phq2_mood=phq[1],
            side_effects=["dry_lips", "dry_skin"],
            recorded_by=nurse,
            next_follow_up=today + datetime.timedelta(days=follow_up_in),
        )
        schedule_visit_reminders(visit)
        return visit

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
        if requires_second_factor(user):
            TOTPDevice.objects.get_or_create(
                user=user,
                defaults={"name": AUTHENTICATOR_NAME, "key": DEMO_TOTP_KEY, "confirmed": True},
            )
        return user

    def _pharmacy(self, name, registration, number, state, address, phone, responsible, *, by):
        """A demo pharmacy brought to `state` through the certification verbs (audited), once."""
        pharmacy, created = Pharmacy.objects.get_or_create(
            registration_number=registration,
            defaults={
                "name": name,
                "address": address,
                "phone": phone,
                "responsible_pharmacist": responsible,
            },
        )
        if not created:
            return pharmacy
        certification = PharmacyCertification.objects.create(pharmacy=pharmacy, number=number)
        if state in (
            PharmacyCertification.Status.CERTIFIED,
            PharmacyCertification.Status.SUSPENDED,
        ):
            today = timezone.localdate()
            certification.certify(
                by=by,
                valid_from=today - datetime.timedelta(days=90),
                valid_until=one_year_after(today - datetime.timedelta(days=90)),
                reason="Demo: certified for a year",
            )
        if state == PharmacyCertification.Status.SUSPENDED:
            certification.suspend(by=by, reason=DEMO_SUSPENSION_REASON)
        return pharmacy
