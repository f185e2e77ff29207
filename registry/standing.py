"""A pharmacy's certification as people read it on a given day: the same words for staff (the
pharmacy list) and pharmacists (their start page). Whether a pharmacy may dispense is always
Pharmacy.may_dispense_on(); this module only explains the answer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format

from registry.models import Pharmacy, PharmacyCertification

Status = PharmacyCertification.Status

# Bootstrap badge classes per certification status (text-bg-* keep the text readable).
STATUS_BADGE = {
    Status.PENDING: "text-bg-secondary",
    Status.CERTIFIED: "text-bg-success",
    Status.SUSPENDED: "text-bg-warning",
    Status.REVOKED: "text-bg-danger",
}

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CertificationStanding:
    """A pharmacy's certification as people read it on a given day."""

    pharmacy: Pharmacy
    certification: PharmacyCertification | None
    day: datetime.date
    may_dispense: bool
    status_label: str
    badge_class: str
    # Why the pharmacy may not dispense on `day` ("" when it may), to follow
    # "Your pharmacy may not dispense isotretinoin today: ".
    problem: str
    # A second badge for a certified pharmacy outside its dates ("Expired", "Not yet valid").
    date_note: str
    days_left: int | None

    @property
    def days_since_expiry(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0

    @property
    def expires_soon(self) -> bool:
        return (
            self.may_dispense
            and self.days_left is not None
            and (self.days_left <= EXPIRY_WARNING_DAYS)
        )


def certification_standing(pharmacy: Pharmacy, day: datetime.date) -> CertificationStanding:
    certification = getattr(pharmacy, "certification", None)
    may_dispense = pharmacy.may_dispense_on(day)
    if certification is None:
        return CertificationStanding(
            pharmacy=pharmacy,
            certification=None,
            day=day,
            may_dispense=may_dispense,
            status_label="No certification",
            badge_class="text-bg-secondary",
            problem="it has no certification on record.",
            date_note="",
            days_left=None,
        )
    days_left = (
        (certification.valid_until - day).days if certification.valid_until is not None else None
    )
    return CertificationStanding(
        pharmacy=pharmacy,
        certification=certification,
        day=day,
        may_dispense=may_dispense,
        status_label=certification.get_status_display(),
        badge_class=STATUS_BADGE.get(certification.status, "text-bg-secondary"),
        problem="" if may_dispense else _problem(certification, day),
        date_note=_date_note(certification, day),
        days_left=days_left,
    )


def _problem(certification: PharmacyCertification, day: datetime.date) -> str:
    if certification.status == Status.PENDING:
        return "its certification is still pending."
    if certification.status == Status.SUSPENDED:
        return "its certification is suspended."
    if certification.status == Status.REVOKED:
        return "its certification has been revoked."
    if certification.valid_until is not None and certification.valid_until < day:
        return f"its certification expired on {date_format(certification.valid_until)}."
    if certification.valid_from is not None and certification.valid_from > day:
        return f"its certification is valid only from {date_format(certification.valid_from)}."
    return "its certification has no valid dates."


def _date_note(certification: PharmacyCertification, day: datetime.date) -> str:
    if certification.status != Status.CERTIFIED:
        return ""
    if certification.valid_until is not None and certification.valid_until < day:
        return "Expired"
    if certification.valid_from is not None and certification.valid_from > day:
        return "Not yet valid"
    return ""
