"""The guardian rule (issue 17 point 5), for registry.services and the staff form alike.

A patient under 18 on the day of enrolment or of an edit has a guardian who gave consent on
the patient's behalf, with the day, and whom staff can reach. The staff form shows the same
messages next to its fields; the services refuse with them (a ValidationError keyed by the
entry's field names), so a caller that skips the form cannot save a minor without a guardian.

For an adult a guardian is optional (a legal guardian of an adult, or a parent kept on after
the 18th birthday): the same checks apply to what is entered, except that consent is not
required; an adult's guardian may be removed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from registry.audit import changed_by
from registry.models import Guardian, Patient
from registry.models.guardians import is_minor_on
from registry.phones import PHONE_INVALID, to_e164

NEEDS_GUARDIAN = (
    "Patients under 18 are enrolled with a guardian: give the guardian's name, relation, "
    "contact and consent."
)
NEEDS_NAME = "Give the guardian's full name."
NEEDS_RELATION = "Choose the guardian's relation to the patient."
NEEDS_CONTACT = "Give the guardian's email address or phone number (at least one)."
NEEDS_CONSENT = "A patient under 18 needs their guardian's consent: tick it once signed."
NEEDS_CONSENT_DAY = "Give the day the guardian signed the consent."
CONSENT_IN_FUTURE = "The guardian's consent date is in the future."
CONSENT_BEFORE_BIRTH = "The guardian's consent cannot predate the patient's date of birth."
REMINDERS_NEED_EMAIL = "Reminders to the guardian go by email: give their email address."


@dataclass(frozen=True)
class GuardianEntry:
    """What staff enter about the guardian (the enrolment and edit pages)."""

    full_name: str
    relation: str
    email: str = ""
    phone: str = ""
    consent_given: bool = False
    consent_on: datetime.date | None = None
    receives_reminders: bool = False


# update_patient's default: the guardian is not part of this change (it stays as it is).
KEEP_GUARDIAN = GuardianEntry(full_name="", relation="")


def entry_of(row: Guardian | None) -> GuardianEntry | None:
    """A stored guardian as the entry that would save it again."""
    if row is None:
        return None
    return GuardianEntry(
        full_name=row.full_name,
        relation=row.relation,
        email=row.email,
        phone=row.phone,
        consent_given=row.consent_given,
        consent_on=row.consent_on,
        receives_reminders=row.receives_reminders,
    )


def guardian_problems(
    born: datetime.date | None, entry: GuardianEntry | None, day: datetime.date
) -> dict[str, str]:
    """What is wrong with `entry` for a patient born on `born`, on `day`: {field: message}
    (the GuardianEntry's field names); empty when it may be saved. `entry` None: no guardian.
    Without a date of birth there is nothing to judge (the patient's own checks refuse it)."""
    if born is None:
        return {}
    minor = is_minor_on(born, day)
    if entry is None:
        return {"full_name": NEEDS_GUARDIAN} if minor else {}
    problems = {}
    if not entry.full_name.strip():
        problems["full_name"] = NEEDS_NAME
    if entry.relation not in Guardian.Relation.values:
        problems["relation"] = NEEDS_RELATION
    if entry.phone.strip() and to_e164(entry.phone) is None:
        problems["phone"] = PHONE_INVALID
    if not (entry.email.strip() or entry.phone.strip()):
        problems["email"] = NEEDS_CONTACT
    elif entry.receives_reminders and not entry.email.strip():
        problems["email"] = REMINDERS_NEED_EMAIL
    if minor and not entry.consent_given:
        problems["consent_given"] = NEEDS_CONSENT
    if entry.consent_given and entry.consent_on is None:
        problems["consent_on"] = NEEDS_CONSENT_DAY
    elif entry.consent_on and entry.consent_on > day:
        problems["consent_on"] = CONSENT_IN_FUTURE
    elif entry.consent_on and entry.consent_on < born:
        problems["consent_on"] = CONSENT_BEFORE_BIRTH
    return problems


def check_guardian(
    born: datetime.date | None, entry: GuardianEntry | None, day: datetime.date
) -> None:
    """Refuse (ValidationError keyed by field) what guardian_problems finds."""
    problems = guardian_problems(born, entry, day)
    if problems:
        raise ValidationError({name: [message] for name, message in problems.items()})


def guardian_of(patient: Patient) -> Guardian | None:
    return Guardian.objects.filter(patient_id=patient.pk).first()


def save_guardian(patient: Patient, entry: GuardianEntry | None, *, by) -> None:
    """Bring the patient's guardian row in line with `entry` (checked already): created,
    changed, or removed when `entry` is None. The history keeps a removed row and who
    removed it."""
    existing = guardian_of(patient)
    if entry is None:
        if existing is not None:
            changed_by(existing, by).delete()
        return
    values = {
        "full_name": entry.full_name.strip(),
        "relation": entry.relation,
        "email": entry.email.strip(),
        # Checked by guardian_problems: a number that is there is a valid one.
        "phone": to_e164(entry.phone) or "",
        "consent_given": entry.consent_given,
        # A date without the consent ticked says nothing; it is not kept.
        "consent_on": entry.consent_on if entry.consent_given else None,
        "receives_reminders": entry.receives_reminders,
    }
    row = existing or Guardian(patient=patient)
    if row.pk and all(getattr(row, key) == value for key, value in values.items()):
        return
    for key, value in values.items():
        setattr(row, key, value)
    changed_by(row, by).save()
