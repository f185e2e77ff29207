"""factory-boy factories for the project's records."""

import datetime

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from clinic.accounts.roles import Role
from registry.models import Patient, Pharmacist, Pharmacy, PharmacyCertification

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=[Role.PRESCRIBER]) puts the user in those groups."""
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[Role(r).value for r in extracted]))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1980, 1, 1), end_date=datetime.date(2008, 1, 1)
    )
    sex = Patient.Sex.FEMALE
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    prescriber = factory.SubFactory(UserFactory, roles=[Role.PRESCRIBER])
    risk_category = Patient.RiskCategory.CAN_GET_PREGNANT


# Pharmacies ---------------------------------------------------------------------------------


class PharmacyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pharmacy
        django_get_or_create = ("registration_number",)

    name = factory.Sequence(lambda n: f"Pharmacy {n:03d}")
    address = factory.Faker("address")
    phone = factory.Sequence(lambda n: f"+44 20 7946 {n % 10000:04d}")
    registration_number = factory.Sequence(lambda n: f"PH-{n:05d}")
    responsible_pharmacist = factory.Faker("name")


class PharmacyCertificationFactory(factory.django.DjangoModelFactory):
    """A pending certification. Use the model's verbs (or certified_pharmacy) to change status,
    so the change is audited like in the admin."""

    class Meta:
        model = PharmacyCertification

    pharmacy = factory.SubFactory(PharmacyFactory)
    number = factory.Sequence(lambda n: f"CERT-{n:05d}")


class PharmacistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pharmacist

    user = factory.SubFactory(UserFactory, roles=[Role.PHARMACIST])
    pharmacy = factory.SubFactory(PharmacyFactory)


def certified_pharmacy(*, by, valid_from=None, valid_until=None, **pharmacy_fields):
    """A pharmacy certified through PharmacyCertification.certify (audited), by default from
    today for a year in the clinic's time zone."""
    valid_from = valid_from or timezone.localdate()
    valid_until = valid_until or valid_from + datetime.timedelta(days=365)
    certification = PharmacyCertificationFactory(pharmacy=PharmacyFactory(**pharmacy_fields))
    certification.certify(by=by, valid_from=valid_from, valid_until=valid_until)
    return certification.pharmacy
