"""factory-boy factories for the project's records."""

import datetime

import factory
from django.contrib.auth.models import Group, User

from registry.models import Patient
from registry.roles import Role

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
