"""Dosing work: start a course, prescribe, authorize and reverse dispenses, end a course.

Each refusal raises `Refused` with reasons a clinician understands, after recording a
RefusedAction row (who tried, what, why) that survives the refusal. Successful changes run in
one transaction and are in the audit history (simple-history) with the user.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from clinic.accounts.roles import Role, has_role
from dosing import rules
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from dosing.signals import course_ended, prescription_written, supply_voided
from dosing.snapshot import dispense_decision, snapshot
from dosing.text import Text as _
from dosing.text import ngettext
from registry.audit import changed_by
from registry.models import Patient, Pharmacy

MIN_DAYS_BETWEEN_COURSES = 56  # R10: 8 weeks off therapy


class Refused(Exception):  # noqa: N818 - a refusal is an outcome, not a programming error
    """`reasons` are English sentences (dosing.text.Text): pages say them with dosing.wording."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def record_refusal(kind, reasons, *, by, details=None, **related) -> RefusedAction:
    """One refusal row: who tried what, for which patient, and every reason.

    The reasons are stored as their English sentences (plain str of each Text), whatever
    language the person reads: the audit trail and its exports stay stable."""
    return RefusedAction.objects.create(
        kind=kind, user=by, reasons=[str(r) for r in reasons], details=details or {}, **related
    )


def _refuse(kind, reasons, *, by, **related):
    """Record the refusal (committed even though the action is not) and raise it."""
    record_refusal(kind, reasons, by=by, **related)
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
        reasons.append(_("Only a prescriber can start a course."))
    if patient.status == Patient.Status.WITHDRAWN:
        reasons.append(_("The patient is withdrawn from the registry."))
    if not patient.consent_treatment_on:
        reasons.append(_("The patient's consent to treatment and registry is not recorded (R12)."))
    if not patient.risk_category:
        reasons.append(_("The prescriber has not assigned a risk category (R12)."))
    courses = list(patient.courses.all())
    if any(
        c.status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED) for c in courses
    ):
        reasons.append(_("The patient already has an active or planned course."))
    ended = [c for c in courses if c.end_date]
    if ended:
        last_end = max(c.end_date for c in ended)
        earliest = last_end + datetime.timedelta(days=MIN_DAYS_BETWEEN_COURSES)
        if start_date < earliest:
            weeks_off = f"{(start_date - last_end).days / 7:.0f}"
            reasons.append(
                ngettext(
                    "The previous course ended on %(ended)s; %(weeks)s week off therapy is too "
                    "short. A new course may start on %(earliest)s or later, after at least 8 "
                    "weeks off (R10).",
                    "The previous course ended on %(ended)s; %(weeks)s weeks off therapy is too "
                    "short. A new course may start on %(earliest)s or later, after at least 8 "
                    "weeks off (R10).",
                    int(weeks_off),
                    ended=last_end,
                    weeks=weeks_off,
                    earliest=earliest,
                )
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
) -> TreatmentCourse:
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.status not in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED):
        raise Refused([_("This course has already ended.")])
    if status not in TreatmentCourse.ENDED:
        raise Refused([_("Choose how the course ended.")])
    if not reason.strip():
        raise Refused([_("Give the reason the course ends.")])
    if end_date < course.start_date:
        raise Refused([_("The end date is before the course started.")])
    course.status, course.end_reason, course.end_date = status, reason.strip(), end_date
    changed_by(course, by).save()
    # What was written for the course cannot be handed out any more, and a supply already
    # handed out stops on the end day (the schedule and portal show no dose from then on).
    label = course.get_status_display().lower()
    void_open_prescriptions(
        course, by=by, reason=f"The course ended on {_day(end_date)} ({label})."
    )
    _end_live_supplies(course, by=by, on=end_date, reason=f"The course ended ({label}).")
    patient = course.patient
    if patient.status != Patient.Status.WITHDRAWN:  # withdrawal ends courses and stays
        patient.status = END_STATUS_PATIENT[status]
        changed_by(patient, by).save()
    course_ended.send(sender=TreatmentCourse, course=course, by=by)
    return course


# Prescriptions -----------------------------------------------------------------------------

PREGNANCY_TEST_WINDOW_DAYS = rules.PREGNANCY_TEST_WINDOW_DAYS
NON_PREGNANCY_WINDOW_DAYS = rules.NON_PREGNANCY_WINDOW_DAYS
CONFIRMATION_VALID_DAYS = rules.CONFIRMATION_VALID_DAYS


def check_monthly_confirmation(patient: Patient, on: datetime.date) -> list[str]:
    """R16 on `on` (the portal asks it to say whether this month's confirmation is due)."""
    since = on - datetime.timedelta(days=CONFIRMATION_VALID_DAYS - 1)
    days = patient.monthly_confirmations.filter(
        passed=True, confirmed_on__gte=since, confirmed_on__lte=on
    ).values_list("confirmed_on", flat=True)
    return rules.confirmation_reasons(days, on)


def pick_up_window(
    patient: Patient,
    *,
    visit_date: datetime.date,
    test_day: datetime.date | None,
    limit: datetime.date,
    days_supply: int,
) -> tuple[datetime.date, datetime.date]:
    """R14 (7 days from the specimen) or R15 (30 days from the visit), cut so that a supply
    collected on the window's last day still ends by the 20-week limit (R8)."""
    if patient.can_get_pregnant and test_day is not None:
        opens = test_day
        closes = opens + datetime.timedelta(days=PREGNANCY_TEST_WINDOW_DAYS - 1)
    else:
        opens = visit_date
        closes = opens + datetime.timedelta(days=NON_PREGNANCY_WINDOW_DAYS - 1)
    last_pick_up = limit - datetime.timedelta(days=days_supply - 1)
    return opens, max(opens, min(closes, last_pick_up))


def prescribe(
    course: TreatmentCourse,
    *,
    by,
    prescribed_on: datetime.date,
    weight_kg: Decimal,
    mg_per_dose: int,
    doses_per_day: int,
    days_supply: int,
    baseline_labs: rules.BaselineLabs,
    replace_reason: str = "",
) -> Prescription:
    """Write one month's prescription, or refuse with every reason at once.

    `weight_kg` is the latest recorded weight (R6) and `baseline_labs` the lipids and liver
    tests on file (R19, asked before a course's first prescription), both passed in by the
    caller (visits are recorded by the monitoring app, which dosing never imports). A
    prescription not yet dispensed is replaced (voided). A dispensed supply that still covers
    more than a week is replaced only with `replace_reason` (a dose change mid-month): it stops
    counting from today.
    """
    with transaction.atomic():
        course = _lock_course(course)
        patient = course.patient
        check, decision = prescription_decision(
            course,
            on=prescribed_on,
            weight_kg=weight_kg,
            mg_per_dose=mg_per_dose,
            doses_per_day=doses_per_day,
            days_supply=days_supply,
            replacing=bool(replace_reason.strip()),
            baseline_labs=baseline_labs,
        )
        reasons = list(check.refusals)
        if not has_role(by, Role.PRESCRIBER):
            reasons.insert(0, _("Only a prescriber can write a prescription."))
        if not reasons:
            prescription = _write_prescription(
                course,
                by=by,
                prescribed_on=prescribed_on,
                weight_kg=weight_kg,
                check=check,
                relies_on_test=decision.relies_on_test,
                days_supply=int(days_supply),
            )
            if replace_reason.strip():
                _end_live_supplies(
                    course,
                    by=by,
                    on=prescribed_on,
                    reason=f"Replaced mid-month: {replace_reason.strip()}",
                )
            prescription_written.send(sender=Prescription, prescription=prescription, by=by)
            return prescription
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
            "lipids_on": str(baseline_labs.lipids_on or ""),
            "liver_tests_on": str(baseline_labs.liver_tests_on or ""),
            "labs_not_needed_because": baseline_labs.not_needed_because[:100],
        },
    )


def _write_prescription(
    course, *, by, prescribed_on, weight_kg, check, relies_on_test, days_supply
) -> Prescription:
    """Save an allowed prescription and void the one it replaces (R13, one supply at a time)."""
    patient = course.patient
    opens, closes = pick_up_window(
        patient,
        visit_date=prescribed_on,
        test_day=relies_on_test,
        limit=course.limit_date,
        days_supply=days_supply,
    )
    test = (
        patient.pregnancy_tests.negative().filter(specimen_date=relies_on_test).first()
        if relies_on_test
        else None
    )
    prescription = Prescription(
        course=course,
        prescribed_on=prescribed_on,
        prescribed_by=by,
        weight_kg=weight_kg,
        mg_per_dose=int(check.mg_per_dose),
        doses_per_day=check.doses_per_day,
        formulation=course.formulation,
        capsules_per_dose=list(check.combinations[0]),
        days_supply=days_supply,
        pregnancy_test=test,
        window_opens=opens,
        window_closes=closes,
        warnings=[str(w) for w in check.warnings],  # English, as RefusedAction.reasons
        written_can_get_pregnant=patient.can_get_pregnant,
    )
    changed_by(prescription, by).save()
    void_open_prescriptions(
        course,
        by=by,
        reason=f"Replaced by the prescription of {_day(prescribed_on)}.",
        replaced_by=prescription,
    )
    return prescription


def prescription_decision(
    course: TreatmentCourse,
    *,
    on: datetime.date,
    weight_kg,
    mg_per_dose,
    doses_per_day,
    days_supply,
    replacing: bool = False,
    baseline_labs: rules.BaselineLabs | None = None,
) -> tuple[rules.RegimenCheck, rules.Decision]:
    """The regimen check (capsules, ceiling, usual range) with the one decision's refusals and
    warnings added: what the live check shows and what prescribe() enforces."""
    check = rules.check_regimen(mg_per_dose, doses_per_day, weight_kg, course.formulation)
    try:
        days = int(days_supply)
    except (TypeError, ValueError):
        days = rules.MAX_DAYS_SUPPLY
    proposed = rules.SupplyAsked(
        # A typed dose the regimen check already refused as absurd (1e309, NaN) is not carried
        # into the arithmetic: the refusal stands and the decision adds the other reasons.
        mg_per_dose=(
            check.mg_per_dose
            if check.mg_per_dose.is_finite() and 0 < check.mg_per_dose <= rules.MAX_TYPED_DOSE_MG
            else Decimal(0)
        ),
        doses_per_day=check.doses_per_day,
        days=days,
        written_on=on,
        written_can_get_pregnant=course.patient.can_get_pregnant,
        written_weight_kg=Decimal(weight_kg),
    )
    snap = snapshot(
        course,
        proposed,
        action=rules.Action.PRESCRIBE,
        on=on,
        weight_kg=Decimal(weight_kg),
        replacing=replacing,
        baseline_labs=baseline_labs,
    )
    decision = rules.decide(snap)
    # The ceiling reason comes once: the regimen check words it for the weight given.
    skip = {decision.ceiling_reason} if check.above_ceiling else set()
    check.refusals.extend(r for r in decision.refusals if r not in check.refusals and r not in skip)
    check.warnings.extend(w for w in decision.warnings if w not in check.warnings)
    return check, decision


def void_open_prescriptions(
    course: TreatmentCourse, *, by, reason: str, replaced_by=None, only=None
) -> int:
    """Void the course's prescriptions that are not dispensed (nor voided). Returns how many.

    `only` narrows them (a Q or filter kwargs dict); `replaced_by` keeps the newer one out.
    """
    open_rows = course.prescriptions.undispensed()
    if replaced_by is not None:
        open_rows = open_rows.exclude(pk=replaced_by.pk)
    if only:
        open_rows = open_rows.filter(**only)
    now = timezone.now()
    voided = 0
    for prescription in open_rows.select_for_update():
        prescription.voided_at, prescription.voided_by = now, by
        prescription.awaiting_pickup = False
        prescription.void_reason = reason[:300]
        prescription.replaced_by = replaced_by
        changed_by(prescription, by).save()
        supply_voided.send(sender=Prescription, prescription=prescription, by=by, reason=reason)
        voided += 1
    return voided


def _end_live_supplies(course: TreatmentCourse, *, by, on: datetime.date, reason: str) -> int:
    """Live dispenses whose supply runs on past `on` stop counting from `on` (no dose that day
    from them): a replacement supply, or a course that stopped."""
    ended = 0
    for dispense in Dispense.objects.live().filter(prescription__course=course, ended_on=None):
        if dispense.dispensed_on + datetime.timedelta(days=dispense.days_supply) > on:
            dispense.ended_on, dispense.end_reason = on, reason[:300]
            changed_by(dispense, by).save()
            ended += 1
    return ended


def _lock_course(course: TreatmentCourse) -> TreatmentCourse:
    """The course row locked for this transaction: prescribing, replacing and dispensing in
    one course wait for each other (PostgreSQL; SQLite serialises writers by itself)."""
    return TreatmentCourse.objects.select_for_update().select_related("patient").get(pk=course.pk)


# Dispensing --------------------------------------------------------------------------------


def _new_authorization_number() -> str:
    return "A" + secrets.token_hex(5).upper()


def authorize_dispense(
    prescription: Prescription, *, pharmacy: Pharmacy, by, on: datetime.date | None = None
) -> Dispense:
    """Issue an authorization number, or refuse and record why (rules.decide, R2 to R18)."""
    on = on or timezone.localdate()
    related = {
        "patient": prescription.course.patient,
        "course": prescription.course,
        "prescription": prescription,
        "pharmacy": pharmacy,
    }
    try:
        with transaction.atomic():
            # Lock the course, then the prescription: a second pharmacy, or a prescriber
            # replacing the supply, waits here and then sees what the first one did.
            _lock_course(prescription.course)
            locked = (
                Prescription.objects.select_for_update()
                .select_related("course__patient")
                .get(pk=prescription.pk)
            )
            decision = dispense_decision(locked, on=on, pharmacy=pharmacy)
            reasons = list(decision.refusals)
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
                Prescription.objects.filter(pk=locked.pk).update(awaiting_pickup=False)
                return dispense
    except IntegrityError:
        # SQLite has no row locks: the unique constraint is the last word there.
        reasons = [_("This prescription was dispensed a moment ago by a pharmacy.")]
    _refuse(RefusedAction.Kind.DISPENSE, reasons, by=by, details={"on": str(on)}, **related)


# Changes elsewhere that reach what is already written -------------------------------------

# Stored in English (a course's end reason, a prescription's void reason); the fixed ones are
# said in the reader's language by dosing.wording, which knows them by their English text.
R18_REASON = gettext_noop("Positive pregnancy test: stopped at once and referred (R18).")
WITHDRAWAL_REASON_PREFIX = "Withdrawn from the registry:"  # the outcomes report counts these
RISK_CATEGORY_CHANGED_REASON = gettext_noop(
    'The risk category changed to "can get pregnant": a negative pregnancy test and the '
    "monthly confirmation are needed first (R14, R16)."
)
STORED_SENTENCES = frozenset({R18_REASON, RISK_CATEGORY_CHANGED_REASON})


def stop_for_positive_test(patient: Patient, *, by, day: datetime.date) -> list:
    """R18, the one place: a positive pregnancy test stops the patient's planned and active
    courses at once, voids what is written and ends the supply handed out. Returns the courses
    stopped. Called inside the transaction that records the test."""
    return _discontinue_running_courses(patient, by=by, reason=R18_REASON, day=day)


def on_withdrawal(patient: Patient, *, by, reason: str) -> list:
    """A withdrawn patient gets nothing more: running courses are discontinued (which voids
    their prescriptions and ends the supply handed out)."""
    return _discontinue_running_courses(
        patient,
        by=by,
        reason=f"{WITHDRAWAL_REASON_PREFIX} {reason}".strip(),
        day=timezone.localdate(),
    )


def _discontinue_running_courses(patient: Patient, *, by, reason: str, day: datetime.date) -> list:
    return [
        end_course(
            course,
            by=by,
            status=TreatmentCourse.Status.DISCONTINUED,
            reason=reason,
            end_date=max(day, course.start_date),
        )
        for course in patient.courses.filter(
            status__in=(TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED)
        )
    ]


def on_risk_category_change(patient: Patient, *, by, old: str, new: str) -> int:
    """Prescriptions written while the patient "cannot get pregnant" rested on no pregnancy
    test (R14); once the category is "can get pregnant" they are voided."""
    if new != Patient.RiskCategory.CAN_GET_PREGNANT or old == new:
        return 0
    voided = 0
    for course in patient.courses.all():
        voided += void_open_prescriptions(
            course,
            by=by,
            reason=RISK_CATEGORY_CHANGED_REASON,
            only={"written_can_get_pregnant": False},
        )
    return voided
