"""Dosing work: start a course, prescribe, authorize and reverse dispenses, end a course.

Each refusal raises `Refused` with reasons a clinician understands, after recording a
RefusedAction row (who tried, what, why) that survives the refusal. Successful changes run in
one transaction and are in the audit history (simple-history) with the user.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dosing import rules
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from registry.audit import changed_by
from registry.models import Patient, Pharmacy, PregnancyTest
from registry.registry_id import format_id, is_valid, normalize
from registry.roles import Role, has_role

PREGNANCY_TEST_WINDOW_DAYS = 7  # R14: day 1 is the specimen date
FIRST_TESTS_MIN_GAP_DAYS = 19  # R14: two negative tests before the first prescription
NON_PREGNANCY_WINDOW_DAYS = 30  # R15: from the office visit
MIN_DAYS_BETWEEN_COURSES = 56  # R10: 8 weeks off therapy


class Refused(Exception):  # noqa: N818 - a refusal is an outcome, not a programming error
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _refuse(kind, reasons, *, by, **related):
    """Record the refusal (committed even though the action is not) and raise it."""
    details = related.pop("details", {})
    RefusedAction.objects.create(kind=kind, user=by, reasons=reasons, details=details, **related)
    raise Refused(reasons)


def _day(value: datetime.date) -> str:
    return value.strftime("%-d %b %Y")


# Courses -----------------------------------------------------------------------------------


def start_course(
    patient: Patient,
    *,
    by,
    start_date: datetime.date,
    baseline_weight_kg: Decimal,
    baseline_nodule_count: int,
    formulation: str,
    target_mg_per_kg: Decimal = rules.DEFAULT_TARGET_MG_PER_KG,
) -> TreatmentCourse:
    reasons = []
    if not has_role(by, Role.PRESCRIBER):
        reasons.append("Only a prescriber can start a course.")
    if patient.status == Patient.Status.WITHDRAWN:
        reasons.append("The patient is withdrawn from the registry.")
    if not patient.consent_treatment_on:
        reasons.append("The patient's consent to treatment and registry is not recorded (R12).")
    if not patient.risk_category:
        reasons.append("The prescriber has not assigned a risk category (R12).")
    courses = list(patient.courses.all())
    if any(
        c.status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED) for c in courses
    ):
        reasons.append("The patient already has an active or planned course.")
    ended = [c for c in courses if c.end_date]
    if ended:
        last_end = max(c.end_date for c in ended)
        earliest = last_end + datetime.timedelta(days=MIN_DAYS_BETWEEN_COURSES)
        if start_date < earliest:
            weeks_off = (start_date - last_end).days / 7
            reasons.append(
                f"The previous course ended on {_day(last_end)}; {weeks_off:.0f} weeks off "
                f"therapy is too short. A new course may start on {_day(earliest)} or later, "
                "after at least 8 weeks off (R10)."
            )
    if reasons:
        _refuse(
            RefusedAction.Kind.START_COURSE,
            reasons,
            by=by,
            patient=patient,
            details={"start_date": str(start_date)},
        )
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        number = (patient.courses.aggregate(n=Max("number"))["n"] or 0) + 1
        status = (
            TreatmentCourse.Status.ACTIVE
            if start_date <= timezone.localdate()
            else TreatmentCourse.Status.PLANNED
        )
        course = changed_by(
            TreatmentCourse(
                patient=patient,
                number=number,
                start_date=start_date,
                baseline_weight_kg=baseline_weight_kg,
                baseline_nodule_count=baseline_nodule_count,
                formulation=formulation,
                target_mg_per_kg=target_mg_per_kg,
                status=status,
                started_by=by,
            ),
            by,
        )
        course.save()
        patient.status = Patient.Status.IN_TREATMENT
        changed_by(patient, by).save()
    return course


END_STATUS_PATIENT = {
    TreatmentCourse.Status.COMPLETED: Patient.Status.BETWEEN_COURSES,
    TreatmentCourse.Status.STOPPED_EARLY: Patient.Status.BETWEEN_COURSES,
    TreatmentCourse.Status.STOPPED_20_WEEKS: Patient.Status.BETWEEN_COURSES,
    TreatmentCourse.Status.DISCONTINUED: Patient.Status.BETWEEN_COURSES,
}


@transaction.atomic
def end_course(
    course: TreatmentCourse,
    *,
    by,
    status: str,
    reason: str,
    end_date: datetime.date,
    after_end=None,
) -> TreatmentCourse:
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.status not in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED):
        raise Refused(["This course has already ended."])
    if status not in TreatmentCourse.ENDED:
        raise Refused(["Choose how the course ended."])
    if not reason.strip():
        raise Refused(["Give the reason the course ends."])
    if end_date < course.start_date:
        raise Refused(["The end date is before the course started."])
    course.status, course.end_reason, course.end_date = status, reason.strip(), end_date
    changed_by(course, by).save()
    patient = course.patient
    patient.status = END_STATUS_PATIENT[status]
    changed_by(patient, by).save()
    if after_end is not None:
        after_end(course)  # e.g. the caller's reminders, in the same transaction
    return course


# Prescriptions -----------------------------------------------------------------------------


@dataclass
class PregnancyCheck:
    reasons: list[str]
    test: PregnancyTest | None = None


def check_pregnancy_tests(
    patient: Patient, course: TreatmentCourse, prescribed_on: datetime.date
) -> PregnancyCheck:
    """R14 for a patient who can get pregnant: a negative test within 7 days (day 1 = specimen
    date), no later positive test, and before the course's first prescription a second
    negative test at least 19 days before that one."""
    tests = list(patient.pregnancy_tests.filter(specimen_date__lte=prescribed_on))
    positive = [t for t in tests if t.result == PregnancyTest.Result.POSITIVE]
    negative = [t for t in tests if t.result == PregnancyTest.Result.NEGATIVE]
    if positive and (not negative or positive[0].specimen_date >= negative[0].specimen_date):
        return PregnancyCheck(
            [
                f"A positive pregnancy test on {_day(positive[0].specimen_date)}: no prescription "
                "(R18)."
            ]
        )
    earliest = prescribed_on - datetime.timedelta(days=PREGNANCY_TEST_WINDOW_DAYS - 1)
    recent = negative[0] if negative and negative[0].specimen_date >= earliest else None
    if recent is None:
        if negative:
            age = (prescribed_on - negative[0].specimen_date).days
            return PregnancyCheck(
                [
                    f"The last negative pregnancy test was {age} days ago "
                    f"({_day(negative[0].specimen_date)}); a prescription needs one with a "
                    "specimen date in the last 7 days (R14)."
                ]
            )
        return PregnancyCheck(["No negative pregnancy test is recorded (R14)."])
    if not course.prescriptions.exists():
        cutoff = recent.specimen_date - datetime.timedelta(days=FIRST_TESTS_MIN_GAP_DAYS)
        if not any(t.specimen_date <= cutoff for t in negative):
            return PregnancyCheck(
                [
                    "Before the first prescription of a course, two negative pregnancy tests at "
                    f"least 19 days apart are needed; the earlier one must be on or before "
                    f"{_day(cutoff)} (R14)."
                ],
                recent,
            )
    return PregnancyCheck([], recent)


CONFIRMATION_VALID_DAYS = 30


def check_monthly_confirmation(patient: Patient, prescribed_on: datetime.date) -> list[str]:
    """R16: the patient confirmed two forms of contraception and passed the comprehension
    questions within the last month."""
    since = prescribed_on - datetime.timedelta(days=CONFIRMATION_VALID_DAYS - 1)
    done = patient.monthly_confirmations.filter(
        passed=True, confirmed_on__gte=since, confirmed_on__lte=prescribed_on
    ).exists()
    if done:
        return []
    return [
        "The patient has not completed this month's confirmation of two forms of "
        "contraception and the comprehension questions (R16); they do it in the patient "
        "portal."
    ]


def pick_up_window(
    patient: Patient, *, visit_date: datetime.date, test: PregnancyTest | None
) -> tuple[datetime.date, datetime.date]:
    if patient.can_get_pregnant:
        opens = test.specimen_date
        return opens, opens + datetime.timedelta(days=PREGNANCY_TEST_WINDOW_DAYS - 1)
    return visit_date, visit_date + datetime.timedelta(days=NON_PREGNANCY_WINDOW_DAYS - 1)


def prescribe(
    course: TreatmentCourse,
    *,
    by,
    prescribed_on: datetime.date,
    weight_kg: Decimal,
    mg_per_dose: int,
    doses_per_day: int,
    days_supply: int,
    after_save=None,
) -> Prescription:
    """Write one month's prescription, or refuse with every reason at once.

    `weight_kg` is the latest recorded weight (R6), passed in by the caller (visits are
    recorded by the clinic app, which dosing never imports).
    """
    patient = course.patient
    reasons: list[str] = []
    if not has_role(by, Role.PRESCRIBER):
        reasons.append("Only a prescriber can write a prescription.")
    if not course.is_active:
        reasons.append(f"The course is {course.get_status_display().lower()}, not active.")
    check = rules.check_regimen(mg_per_dose, doses_per_day, weight_kg, course.formulation)
    reasons.extend(check.refusals)
    if not 1 <= days_supply <= Prescription.MAX_DAYS_SUPPLY:
        reasons.append(
            f"{days_supply} days' supply: at most 30 days per prescription, no refills (R13)."
        )
    elif prescribed_on + datetime.timedelta(days=days_supply - 1) > course.limit_date:
        room = (course.limit_date - prescribed_on).days + 1
        reasons.append(
            f"The supply would run past the 20-week limit on {_day(course.limit_date)} (R8); "
            f"at most {max(room, 0)} days from {_day(prescribed_on)}."
        )
    test = None
    if patient.can_get_pregnant:
        pregnancy = check_pregnancy_tests(patient, course, prescribed_on)
        reasons.extend(pregnancy.reasons)
        test = pregnancy.test
        reasons.extend(check_monthly_confirmation(patient, prescribed_on))
    if reasons:
        _refuse(
            RefusedAction.Kind.PRESCRIBE,
            reasons,
            by=by,
            patient=patient,
            course=course,
            details={
                "mg_per_dose": str(mg_per_dose),
                "doses_per_day": doses_per_day,
                "weight_kg": str(weight_kg),
                "days_supply": days_supply,
            },
        )
    opens, closes = pick_up_window(patient, visit_date=prescribed_on, test=test)
    prescription = Prescription(
        course=course,
        prescribed_on=prescribed_on,
        prescribed_by=by,
        weight_kg=weight_kg,
        mg_per_dose=int(mg_per_dose),
        doses_per_day=doses_per_day,
        formulation=course.formulation,
        capsules_per_dose=list(check.combinations[0]),
        days_supply=days_supply,
        pregnancy_test=test,
        window_opens=opens,
        window_closes=closes,
        warnings=check.warnings,
    )
    with transaction.atomic():
        changed_by(prescription, by).save()
        if after_save is not None:
            after_save(prescription)  # e.g. the caller's reminders, in the same transaction
    return prescription


# Dispensing --------------------------------------------------------------------------------


def find_prescription(
    registry_id_text: str, prescription_id: int | None, *, by, pharmacy: Pharmacy | None = None
):
    """Look up a patient by registry ID (check character verified) and one of their
    prescriptions (the newest when none is named). A failed lookup is a recorded refusal."""

    def refuse(reason, **related):
        _refuse(
            RefusedAction.Kind.DISPENSE,
            [reason],
            by=by,
            pharmacy=pharmacy,
            details={"registry_id": registry_id_text[:20]},
            **related,
        )

    if not is_valid(registry_id_text):
        refuse(
            f"{registry_id_text.strip() or 'That'} is not a valid registry ID: the check "
            "character does not match. Ask the clinic to read it again."
        )
    registry_id = format_id(normalize(registry_id_text))
    patient = Patient.objects.filter(registry_id=registry_id).first()
    if patient is None:
        refuse(f"No patient has the registry ID {registry_id}.")
    prescriptions = Prescription.objects.filter(course__patient=patient).select_related(
        "course__patient"
    )
    if prescription_id is None:
        prescription = prescriptions.first()
        if prescription is None:
            refuse(f"{registry_id} has no prescription.", patient=patient)
        return patient, prescription
    prescription = prescriptions.filter(pk=prescription_id).first()
    if prescription is None:
        refuse(f"Prescription {prescription_id} is not one of {registry_id}'s.", patient=patient)
    return patient, prescription


def _new_authorization_number() -> str:
    return "A" + secrets.token_hex(5).upper()


def authorize_dispense(
    prescription: Prescription, *, pharmacy: Pharmacy, by, on: datetime.date | None = None
) -> Dispense:
    """Issue an authorization number, or refuse and record why (R14, R15, R17)."""
    on = on or timezone.localdate()
    related = {
        "patient": prescription.course.patient,
        "course": prescription.course,
        "prescription": prescription,
        "pharmacy": pharmacy,
    }
    try:
        with transaction.atomic():
            # Lock the prescription: a second pharmacy waits here, then sees the first dispense.
            locked = (
                Prescription.objects.select_for_update()
                .select_related("course__patient")
                .get(pk=prescription.pk)
            )
            reasons = dispense_blockers(locked, pharmacy, on)
            if not reasons:
                dispense = Dispense(
                    prescription=locked,
                    pharmacy=pharmacy,
                    authorization_number=_new_authorization_number(),
                    authorized_by=by,
                    quantity=locked.capsules_supplied,
                    days_supply=locked.days_supply,
                )
                changed_by(dispense, by).save()
                return dispense
    except IntegrityError:
        # SQLite has no row locks: the unique constraint is the last word there.
        reasons = ["This prescription was dispensed a moment ago by another pharmacy."]
    _refuse(RefusedAction.Kind.DISPENSE, reasons, by=by, details={"on": str(on)}, **related)


def dispense_blockers(
    prescription: Prescription, pharmacy: Pharmacy, on: datetime.date
) -> list[str]:
    """What stops this pharmacy dispensing this prescription on `on` (empty: nothing).

    Pages show it before the button; authorize_dispense decides with the row locked.
    """
    reasons = []
    if not pharmacy.may_dispense_on(on):
        certification = getattr(pharmacy, "certification", None)
        state = certification.get_status_display().lower() if certification else "not certified"
        if certification and certification.status == "certified":
            state = (
                f"certified only from {_day(certification.valid_from)} to "
                f"{_day(certification.valid_until)}"
            )
        reasons.append(
            f"{pharmacy.name} may not dispense isotretinoin on {_day(on)}: its certification "
            f"is {state} (R17)."
        )
    if not prescription.course.is_active:
        reasons.append(
            f"The patient's course is {prescription.course.get_status_display().lower()}."
        )
    if on < prescription.window_opens:
        reasons.append(f"The pick-up window opens on {_day(prescription.window_opens)}.")
    elif on > prescription.window_closes:
        length = (prescription.window_closes - prescription.window_opens).days + 1
        day_number = (on - prescription.window_opens).days + 1
        reasons.append(
            f"Day {day_number} of a {length}-day pick-up window: it closed on "
            f"{_day(prescription.window_closes)}. A new prescription is needed."
        )
    live = prescription.dispenses.live().select_related("pharmacy").first()
    if live is not None:
        reasons.append(
            f"Already dispensed on {_day(timezone.localdate(live.authorized_at))} by "
            f"{live.pharmacy.name} (authorization {live.authorization_number})."
        )
    return reasons


def reverse_dispense(dispense: Dispense, *, by, pharmacy: Pharmacy | None, reason: str):
    """The pharmacy reverses an authorization that was not picked up (R17)."""
    reasons = []
    if dispense.is_reversed:
        reasons.append("This authorization is already reversed.")
    if pharmacy is not None and dispense.pharmacy_id != pharmacy.pk:
        reasons.append("Only the pharmacy that holds the authorization can reverse it.")
    if not reason.strip():
        reasons.append("Give the reason for the reversal (for example: not picked up).")
    if reasons:
        _refuse(
            RefusedAction.Kind.REVERSE,
            reasons,
            by=by,
            prescription=dispense.prescription,
            pharmacy=dispense.pharmacy,
        )
    with transaction.atomic():
        dispense = Dispense.objects.select_for_update().get(pk=dispense.pk)
        dispense.reversed_at = timezone.now()
        dispense.reversed_by = by
        dispense.reversal_reason = reason.strip()
        changed_by(dispense, by).save()
    return dispense


# Cumulative dose ---------------------------------------------------------------------------


def supplies_of(course: TreatmentCourse) -> list[rules.Supply]:
    rows = (
        Dispense.objects.live()
        .filter(prescription__course=course)
        .values_list("prescription__mg_per_dose", "prescription__doses_per_day", "days_supply")
    )
    return [rules.Supply(Decimal(mg * per_day), days) for mg, per_day, days in rows]
