"""The guardian of a patient under 18 (issue 17 point 5): the adult who consents to the
minor's enrolment and may receive the reminders too.

One guardian per patient is enough for the clinic: the one who signs and whom staff call.
A second parent is written in the patient's notes. The row stays when the patient turns 18
(the consent was theirs); staff may then remove it.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from registry.models.patients import Patient, age_on

# Below this age a patient is enrolled with a guardian's consent. The one place the line is
# drawn: the staff form, the registry services and the pages all ask is_minor_on.
ADULT_AGE_YEARS = 18


def is_minor_on(born: datetime.date, day: datetime.date) -> bool:
    """Under 18 on `day`; on the 18th birthday the patient is an adult (a 29 February
    birthday: from 1 March in other years, as age_on counts)."""
    return age_on(born, day) < ADULT_AGE_YEARS


class Guardian(models.Model):
    class Relation(models.TextChoices):
        PARENT = "parent", pgettext_lazy("guardian relation", "Parent")
        LEGAL_GUARDIAN = "legal_guardian", pgettext_lazy("guardian relation", "Legal guardian")
        OTHER_RELATIVE = "other_relative", pgettext_lazy("guardian relation", "Other relative")
        OTHER = "other", pgettext_lazy("guardian relation", "Other")

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="guardian")
    full_name = models.CharField(max_length=200)
    relation = models.CharField(max_length=20, choices=Relation.choices)
    email = models.EmailField(blank=True)
    # E.164, as the patient's (registry/phones.py): staff call it, and a text could go to it.
    phone = PhoneNumberField(blank=True)
    consent_given = models.BooleanField(
        "consents to treatment and registry on the patient's behalf", default=False
    )
    consent_on = models.DateField("consent signed on", null=True, blank=True)
    receives_reminders = models.BooleanField("receives the reminders too", default=False)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            # Staff must be able to reach the guardian: an email address or a phone number.
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="guardian_has_contact"
            ),
            models.CheckConstraint(
                condition=Q(consent_given=False) | Q(consent_on__isnull=False),
                name="guardian_consent_has_date",
            ),
            # Reminders are sent by email only (SMS is not set up).
            models.CheckConstraint(
                condition=Q(receives_reminders=False) | ~Q(email=""),
                name="guardian_reminders_need_email",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.get_relation_display().lower()})"
