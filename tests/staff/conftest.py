"""Fixtures shared by the staff pages' tests."""

import datetime

import pytest

from clinic.accounts.roles import Role
from registry.models import Patient
from tests.factories import PatientFactory, UserFactory

UTC = datetime.UTC


@pytest.fixture
def awkward_patients(db):
    """Names that are formulas, control characters, non-ASCII and CSV syntax; every status
    and risk category; prescribers named, unnamed and formula-named; times either side of
    midnight in London and across a clock change. Surnames and enrolment times are unique,
    so every ordering the tests ask for is one order."""
    prescriber = [Role.PRESCRIBER]
    named = UserFactory(
        username="dr-perez", first_name="Ana María", last_name="Pérez", roles=prescriber
    )
    unnamed = UserFactory(username="dr-nameless", first_name="", last_name="", roles=prescriber)
    formula = UserFactory(
        username="dr-formula", first_name="=cmd|' /C calc'!A0", last_name="", roles=prescriber
    )
    rows = [
        ('=HYPERLINK("http://evil.example","x")', "Ann", named, "enrolled"),
        ("+44 20 7946 0000", "Bo", unnamed, "in_treatment"),
        ("-2+3", "Cy", formula, "between_courses"),
        ("@SUM(A1:A9)", "Di", named, "completed"),
        ("\tTabbed", "Ed", unnamed, "withdrawn"),
        ("\rReturned", "Fa", named, "enrolled"),
        ("Ørsted-Åberg", "Zoë 李", formula, "in_treatment"),
        ('O"Brien, Jr.', "Line\nbreak", named, "enrolled"),
        ("Émile", "=1+1", unnamed, "completed"),
        ("Rivera", "Alex", named, "withdrawn"),
    ]
    enrolled = [
        datetime.datetime(2025, 3, 29, 23, 59, tzinfo=UTC),  # before the clocks go forward
        datetime.datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # after: 01:30 becomes 02:30 BST
        datetime.datetime(2025, 6, 30, 23, 30, tzinfo=UTC),  # 1 July in London
        datetime.datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    patients = []
    for index, (last, first, prescriber, status) in enumerate(rows):
        patients.append(
            PatientFactory(
                last_name=last,
                first_name=first,
                prescriber=prescriber,
                status=status,
                risk_category=(
                    Patient.RiskCategory.CAN_GET_PREGNANT
                    if index % 2
                    else Patient.RiskCategory.CANNOT_GET_PREGNANT
                ),
                date_of_birth=datetime.date(1990 + index, 1 + index, 1 + index),
                enrolled_at=enrolled[index % 4] + datetime.timedelta(days=index * 40),
                notes="private clinical note",
            )
        )
    return patients
