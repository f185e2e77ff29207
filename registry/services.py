"""Registry work across records, each inside one transaction (DESIGN.md, "Where code goes")."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from clinic.accounts.roles import Role
from registry.audit import changed_by
from registry.consents import record_consent
from registry.guardianship import (
    KEEP_GUARDIAN,
    GuardianEntry,
    check_guardian,
    entry_of,
    guardian_of,
    save_guardian,
)
from registry.models import ChannelConsent, Patient, PortalInvitation, PriorTreatment
from registry.models.invitations import INVITATION_LIFETIME, hash_token
from registry.signals import patient_status_changed, risk_category_changed

# What staff enter about a patient (the enrolment and edit pages); the rest is the registry's.
PATIENT_DETAILS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "prescriber",
    "risk_category",
    "consent_treatment_on",
    "reminder_consent",
    "reminder_channel",
    "language",
    "notes",
)


@dataclass(frozen=True)
class PriorTreatmentEntry:
    """One kind of earlier acne treatment, as the patient remembers it."""

    kind: str
    tried: bool
    other_text: str = ""
    started_on: datetime.date | None = None
    outcome: str = ""


def check_details(details: dict) -> None:
    unknown = set(details) - set(PATIENT_DETAILS)
    if unknown:
        raise TypeError(f"Not a patient detail staff enter: {', '.join(sorted(unknown))}")


@transaction.atomic
def enrol_patient(
    *,
    by,
    prior_treatments: Iterable[PriorTreatmentEntry] = (),
    guardian: GuardianEntry | None = None,
    **details,
) -> Patient:
    """Create the patient and their prior treatments; the registry ID is assigned on save.
    `details` are the values of PATIENT_DETAILS, already validated (the enrolment form).
    A patient under 18 is refused without a `guardian` who consented (registry.guardianship)."""
    check_details(details)
    check_guardian(details.get("date_of_birth"), guardian, timezone.localdate())
    patient = Patient(enrolled_by=by, **details)
    note_reminder_consent(patient, had_consent=False)
    changed_by(patient, by).save()
    record_consent(patient, how=ChannelConsent.How.STAFF_FORM, by=by)
    _save_prior_treatments(patient, prior_treatments, by=by)
    save_guardian(patient, guardian, by=by)
    return patient


@dataclass
class Changed:
    """A patient record after a change, and what the change did elsewhere (the apps that
    listen to registry.signals say it in sentences for the page)."""

    patient: Patient
    consequences: list[str] = field(default_factory=list)


def _consequences(responses) -> list[str]:
    return [sentence for _receiver, said in responses for sentence in (said or [])]


@transaction.atomic
def update_patient(
    patient: Patient,
    *,
    by,
    prior_treatments: Iterable[PriorTreatmentEntry] = (),
    guardian: GuardianEntry | None = KEEP_GUARDIAN,
    **details,
) -> Changed:
    """Save changed details (values of PATIENT_DETAILS) and prior treatments. A change of risk
    category reaches what dosing has written (registry.signals.risk_category_changed).
    `guardian` replaces the guardian (None removes it); left out, the guardian stays. Either
    way a patient under 18 is refused without one (a minor's guardian cannot be removed)."""
    check_details(details)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    old_category, had_consent = patient.risk_category, patient.reminder_consent
    for name, value in details.items():
        setattr(patient, name, value)
    if guardian is KEEP_GUARDIAN:
        check_guardian(patient.date_of_birth, entry_of(guardian_of(patient)), timezone.localdate())
    else:
        check_guardian(patient.date_of_birth, guardian, timezone.localdate())
    note_reminder_consent(patient, had_consent=had_consent)
    changed_by(patient, by).save()
    record_consent(patient, how=ChannelConsent.How.STAFF_FORM, by=by)
    _save_prior_treatments(patient, prior_treatments, by=by)
    if guardian is not KEEP_GUARDIAN:
        save_guardian(patient, guardian, by=by)
    said = []
    if old_category != patient.risk_category:
        # Prescriptions written under the old category may no longer stand (dosing listens).
        said = _consequences(
            risk_category_changed.send(
                Patient, patient=patient, old=old_category, new=patient.risk_category, by=by
            )
        )
    return Changed(patient, said)


def note_reminder_consent(patient: Patient, *, had_consent: bool) -> None:
    """The day consent to reminders was given is kept; without consent there is no channel."""
    if patient.reminder_consent and not had_consent:
        patient.reminder_consent_on = timezone.localdate()
    if not patient.reminder_consent:
        patient.reminder_channel = ""


def _save_prior_treatments(patient: Patient, entries: Iterable[PriorTreatmentEntry], *, by) -> None:
    """Bring the stored rows in line with the entries: one row per kind that was tried.

    Unticking a kind removes its row; the audit history keeps the row and who removed it
    (this is the patient's account of earlier care, corrected as they remember better).
    """
    existing = {row.kind: row for row in patient.prior_treatments.all()}
    for entry in entries:
        if not entry.tried:
            if entry.kind in existing:
                changed_by(existing[entry.kind], by).delete()
            continue
        row = existing.get(entry.kind) or PriorTreatment(patient=patient, kind=entry.kind)
        values = {
            "other_text": entry.other_text if entry.kind == "other" else "",
            "started_on": entry.started_on,
            "outcome": entry.outcome or PriorTreatment.Outcome.UNKNOWN,
        }
        if row.pk and all(getattr(row, key) == value for key, value in values.items()):
            continue
        for key, value in values.items():
            setattr(row, key, value)
        changed_by(row, by).save()


@transaction.atomic
def change_status(patient: Patient, status: str, reason: str, *, by) -> Changed:
    if status == Patient.Status.WITHDRAWN and not reason.strip():
        raise ValidationError({"reason": "Give the reason the patient is withdrawn."})
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    old = patient.status
    patient.status = status
    patient.status_reason = reason.strip()
    patient.status_changed_at = timezone.now()
    changed_by(patient, by).save()
    # A withdrawal ends the running course and voids what is written (dosing listens).
    said = patient_status_changed.send(
        Patient, patient=patient, old=old, new=status, reason=reason.strip(), by=by
    )
    return Changed(patient, _consequences(said))


# Portal invitations ------------------------------------------------------------------------


@transaction.atomic
def send_portal_invitation(patient: Patient, *, by, build_url) -> PortalInvitation:
    """Email a one-time link; any earlier unused link stops working (R: re-send invalidates).

    `build_url(path)` turns a path into an absolute URL (request.build_absolute_uri).
    """
    if not patient.email:
        raise ValidationError("Add the patient's email address before sending an invitation.")
    if patient.status == Patient.Status.WITHDRAWN:
        raise ValidationError("This patient is withdrawn; reinstate them before inviting.")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    user = _portal_account_for(patient, by=by)
    now = timezone.now()
    PortalInvitation.objects.filter(patient=patient, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    token = PortalInvitation.new_token()
    invitation = PortalInvitation.objects.create(
        patient=patient,
        token_hash=hash_token(token),
        sent_to=patient.email,
        created_by=by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    link = build_url(reverse("portal:invitation-accept", args=[token]))
    context = {"first_name": patient.first_name, "link": link, "username": user.get_username()}
    # The message names no medicine, dose or test: it may be read on a shared screen. It is
    # written in the patient's language (Patient.language), not in that of the staff page that
    # sent it, and now: the commit may run where another language is active.
    with translation.override(patient.language or settings.LANGUAGE_CODE):
        subject = gettext("Your clinic account is ready to set up")
        body = render_to_string("registry/email/portal_invitation.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.sent_to]))
    return invitation


def _portal_account_for(patient: Patient, *, by):
    if patient.user_id:
        return patient.user
    User = get_user_model()
    username = patient.email.lower()
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            "Another account already uses this email address as its username; ask a registry "
            "admin to sort it out before inviting."
        )
    user = User(
        username=username,
        email=patient.email,
        first_name=patient.first_name,
        last_name=patient.last_name,
        is_active=False,  # until the patient sets a password through the link
    )
    user.set_unusable_password()
    user.save()
    patient.user = user
    changed_by(patient, by).save()
    return user


def find_usable_invitation(token: str) -> PortalInvitation | None:
    return (
        PortalInvitation.objects.usable()
        .select_related("patient__user")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def accept_portal_invitation(token: str, password: str):
    """Set the password, activate the account in the Patient group, and spend the link."""
    invitation = (
        PortalInvitation.objects.usable()
        .select_for_update()
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(gettext("This link no longer works."))
    claimed = PortalInvitation.objects.filter(pk=invitation.pk, used_at=None).update(
        used_at=timezone.now()
    )
    if claimed != 1:  # a second tab got there first
        raise ValidationError(gettext("This link no longer works."))
    user = invitation.patient.user
    user.set_password(password)
    user.is_active = True
    user.save()
    user.groups.add(Group.objects.get(name=Role.PATIENT.value))
    return user
