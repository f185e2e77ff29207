"""The data sets of the query-count test (test_query_counts.py): a small world of one
course, patient and pharmacy, and the growers that add many rows of what each page lists.

Rows are made with bulk_create (no history, no signals) so the test stays fast; they are
realistic enough for the pages (statuses, dates, foreign keys) but not made by the services.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring import follow_ups
from clinic.monitoring.models import CourseFlag, OutcomeCount, Visit
from clinic.monitoring.models.flags import FlagKind
from clinic.portal.models import CalendarFeed
from clinic.reminders.models import Reminder
from clinic.staff.forms.outcomes import months_before
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from registry.models import (
    CertificationChange,
    MonthlyConfirmation,
    Patient,
    Pharmacy,
    PharmacyCertification,
    PortalInvitation,
    PregnancyTest,
    PriorTreatment,
    RecordAccess,
)
from registry.registry_id import new_registry_id

TODAY = timezone.localdate()
NOW = timezone.now()
COURSE_STARTED_DAYS_AGO = 60
_serial = itertools.count(1)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@dataclass
class World:
    """The personas, the patient persona's active course, and the pharmacist's pharmacy."""

    personas: dict
    course: TreatmentCourse
    pharmacy: Pharmacy

    @property
    def patient(self) -> Patient:
        return self.personas["patient"].patient

    @property
    def prescriber(self) -> User:
        return self.personas["prescriber"]

    @property
    def nurse(self) -> User:
        return self.personas["nurse"]


# Row makers ---------------------------------------------------------------------------------


def make_users(n: int, role: Role | None = None) -> list[User]:
    serial = [next(_serial) for _ in range(n)]
    users = User.objects.bulk_create(
        [
            User(
                username=f"perf{i}",
                first_name=f"First{i}",
                last_name=f"Last{i}",
                email=f"perf{i}@example.org",
                password="!unusable",
            )
            for i in serial
        ]
    )
    if role is not None:
        group = Group.objects.get(name=role.value)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users]
        )
    return users


def make_patients(n: int, prescribers: list[User], **fields) -> list[Patient]:
    statuses = list(Patient.Status.values)
    risks = list(Patient.RiskCategory.values)
    rows = []
    for k in range(n):
        i = next(_serial)
        row = {
            "registry_id": new_registry_id(),
            "first_name": f"Given{i}",
            "last_name": f"Family{i % 97:02d}",
            "date_of_birth": datetime.date(1990, 1, 1) + days(i % 5000),
            "sex": Patient.Sex.FEMALE if i % 2 else Patient.Sex.MALE,
            "email": f"p{i}@example.org",
            "prescriber": prescribers[k % len(prescribers)],
            "risk_category": risks[i % len(risks)],
            "status": statuses[i % len(statuses)],
            "enrolled_at": NOW - days(i % 700),
            "consent_treatment_on": TODAY - days(400),
        }
        row.update(fields)
        rows.append(Patient(**row))
    return Patient.objects.bulk_create(rows)


def visit(patient, course, on, by, follow_up, k=0) -> Visit:
    return Visit(
        patient=patient,
        course=course,
        visit_date=on,
        weight_kg=Decimal("70.0"),
        nodule_count=max(20 - k, 0),
        phq2_interest=k % 2,
        phq2_mood=k % 3,
        triglycerides=Decimal(140 + k % 400) if k % 2 else None,
        alt=30 + k % 30,
        next_follow_up=follow_up,
        recorded_by=by,
    )


def prescription(course, on, by, window_closes=None) -> Prescription:
    return Prescription(
        course=course,
        prescribed_on=on,
        prescribed_by=by,
        weight_kg=Decimal("70.0"),
        mg_per_dose=30,
        doses_per_day=2,
        formulation="conventional",
        capsules_per_dose=[30],
        days_supply=30,
        window_opens=on,
        window_closes=window_closes or on + days(7),
    )


def dispense(rx, pharmacy, by, *, reversed_=False) -> Dispense:
    return Dispense(
        prescription=rx,
        pharmacy=pharmacy,
        authorization_number=f"AUTH{next(_serial):08d}",
        authorized_at=timezone.make_aware(datetime.datetime.combine(rx.prescribed_on, NOON)),
        authorized_by=by,
        quantity=rx.capsules_supplied,
        days_supply=rx.days_supply,
        reversed_at=NOW if reversed_ else None,
        reversed_by=by if reversed_ else None,
        reversal_reason="Entered twice" if reversed_ else "",
    )


NOON = datetime.time(12, 0)
KINDS = list(FlagKind.values)


def reminder(patient, status, k) -> Reminder:
    due = NOW - days(k % 30)
    return Reminder(
        kind=Reminder.Kind.values[k % len(Reminder.Kind.values)],
        patient=patient,
        recipient=(patient.email if patient else "") or f"r{k}@example.org",
        subject_key=f"perf:{next(_serial)}",
        due_at=due,
        due_date=timezone.localdate(due),
        status=status,
        attempts=3 if status == Reminder.Status.FAILED else 0,
        last_error="550 mailbox unavailable" if status == Reminder.Status.FAILED else "",
    )


def history_rows(model, instance, n: int, users: list[User], **changes_by_row) -> list:
    """n historical rows of `instance`, each changing something and each by another user."""
    historical = model.history.model
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}
    rows = []
    for k in range(n):
        i = next(_serial)
        row = dict(values)
        row.update({name: make(i) for name, make in changes_by_row.items()})
        rows.append(
            historical(
                **row,
                history_date=NOW - days(n - k) - datetime.timedelta(seconds=i),
                history_type="~",
                history_user=users[k % len(users)],
            )
        )
    return historical.objects.bulk_create(rows)


# Growers: each adds n more of what some pages list -----------------------------------------


def grow_patients(world: World, n: int) -> None:
    """The clinic's patients (patient list, admin patient changelist), under many prescribers
    (the prescriber menus)."""
    prescribers = [world.prescriber, *make_users(max(1, n // 20), Role.PRESCRIBER)]
    make_patients(n, prescribers)


def grow_clinic_courses(world: World, n: int) -> None:
    """Courses of other patients, as the worklist sees them: n for each of its sections.

    3n active courses, each with an open flag, a failed reminder, an earlier visit and a
    latest visit planning a follow-up today, in three days or five days ago (n each), and a
    prescription whose pick-up window closes within two days: two in three not dispensed
    (2n closing windows), the others dispensed at the pharmacist's pharmacy.
    """
    nurses = [world.nurse, *make_users(max(1, n // 20), Role.CLINICAL_STAFF)]
    patients = make_patients(3 * n, [world.prescriber], status=Patient.Status.IN_TREATMENT)
    courses = TreatmentCourse.objects.bulk_create(
        [
            TreatmentCourse(
                patient=p,
                number=1,
                start_date=TODAY - days(30 + k % 60),
                baseline_weight_kg=Decimal(70),
                baseline_nodule_count=20,
                formulation="conventional",
                status=TreatmentCourse.Status.ACTIVE,
                started_by=world.prescriber,
            )
            for k, p in enumerate(patients)
        ]
    )
    visits = []
    for k, c in enumerate(courses):
        by = nurses[k % len(nurses)]
        follow_up = TODAY + days((0, 3, -5)[k % 3])  # today, this week, overdue
        visits.append(visit(c.patient, c, TODAY - days(40), by, TODAY - days(12), k))
        visits.append(visit(c.patient, c, TODAY - days(10 + k % 5), by, follow_up, k))
    Visit.objects.bulk_create(visits)
    follow_ups.refresh_all()  # bulk_create bypasses Visit.save(), which keeps the course copy
    CourseFlag.objects.bulk_create(
        [
            CourseFlag(
                course=c,
                kind=KINDS[k % len(KINDS)],
                subject_key=f"perf{k}",
                raised_at=NOW - days(k % 20),
                detail="Raised by the performance test",
            )
            for k, c in enumerate(courses)
        ]
    )
    rxs = Prescription.objects.bulk_create(
        [
            prescription(c, TODAY - days(5), world.prescriber, TODAY + days(k % 3))
            for k, c in enumerate(courses)
        ]
    )
    Dispense.objects.bulk_create(
        [dispense(rx, world.pharmacy, world.nurse) for rx in rxs[::3]]
        + [dispense(rx, world.pharmacy, world.nurse, reversed_=True) for rx in rxs[1::6]]
    )
    Reminder.objects.bulk_create(
        [reminder(p, Reminder.Status.FAILED, k) for k, p in enumerate(patients)]
    )


def grow_failed_reminders(world: World, n: int) -> None:
    """Failed reminders of many patients, and some with no patient (a pharmacy's)."""
    patients = make_patients(n, [world.prescriber])
    Reminder.objects.bulk_create(
        [reminder(p if k % 5 else None, Reminder.Status.FAILED, k) for k, p in enumerate(patients)]
    )


def grow_own_reminders(world: World, n: int) -> None:
    """The patient persona's reminders in every status (staff send log, portal)."""
    statuses = list(Reminder.Status.values)
    Reminder.objects.bulk_create(
        [reminder(world.patient, statuses[k % len(statuses)], k) for k in range(n)]
    )


def grow_pharmacies(world: World, n: int) -> None:
    """Pharmacies in every certification state (and some without one), each certification
    with its change log."""
    admins = [world.personas["registry_admin"], *make_users(max(1, n // 50))]
    pharmacies = Pharmacy.objects.bulk_create(
        [
            Pharmacy(
                name=f"Pharmacy {i:05d}",
                address=f"{i} Market Street",
                phone="+44 20 7946 0000",
                registration_number=f"PERF-{i}",
                responsible_pharmacist="A. Pharmacist",
            )
            for i in (next(_serial) for _ in range(n))
        ]
    )
    statuses = list(PharmacyCertification.Status.values)
    certifications = PharmacyCertification.objects.bulk_create(
        [
            PharmacyCertification(
                pharmacy=pharmacy,
                number=f"CERT-PERF-{pharmacy.pk}",
                status=statuses[k % len(statuses)],
                valid_from=TODAY - days(300) if statuses[k % len(statuses)] != "pending" else None,
                valid_until=TODAY + days(k % 90 - 30)
                if statuses[k % len(statuses)] != "pending"
                else None,
            )
            for k, pharmacy in enumerate(pharmacies)
            if k % 7  # every seventh pharmacy has no certification yet
        ]
    )
    CertificationChange.objects.bulk_create(
        [
            CertificationChange(
                certification=certification,
                from_status="pending",
                to_status=certification.status,
                valid_from=certification.valid_from,
                valid_until=certification.valid_until,
                changed_by=admins[k % len(admins)],
                changed_at=NOW - days(k % 100),
                reason="Performance test",
            )
            for k, certification in enumerate(certifications)
            for _ in range(2)
        ]
    )


def grow_own_patient(world: World, n: int) -> None:
    """The patient persona's record: history rows by many users, prior treatments, earlier
    (ended) courses, visits, pregnancy tests, monthly confirmations, invitations and
    revoked calendar links."""
    patient = world.patient
    users = make_users(max(2, n // 10), Role.CLINICAL_STAFF)
    history_rows(
        Patient,
        patient,
        n,
        users,
        notes=lambda i: f"note {i}",
        enrolled_by_id=lambda i: users[i % len(users)].pk,
        status=lambda i: Patient.Status.values[i % len(Patient.Status.values)],
    )
    kinds = list(PriorTreatment.Kind.values)
    prior = PriorTreatment.objects.bulk_create(
        [PriorTreatment(patient=patient, kind=kinds[k % len(kinds)]) for k in range(n)]
    )
    history_rows(
        PriorTreatment,
        prior[0],
        n,
        users,
        outcome=lambda i: PriorTreatment.Outcome.values[i % len(PriorTreatment.Outcome.values)],
    )
    first = (patient.courses.order_by("-number").values_list("number", flat=True).first()) or 1
    ended = TreatmentCourse.objects.bulk_create(
        [
            TreatmentCourse(
                patient=patient,
                number=first + 1 + k,
                start_date=TODAY - days(400 + k),
                baseline_weight_kg=Decimal(68),
                baseline_nodule_count=15,
                formulation="conventional",
                status=TreatmentCourse.Status.values[2 + k % 4],
                end_date=TODAY - days(300 + k),
                started_by=world.prescriber,
            )
            for k in range(n)
        ]
    )
    Visit.objects.bulk_create(
        [
            visit(
                patient,
                ended[k] if k % 2 else None,
                TODAY - days(300 + k),
                users[0],
                TODAY - days(272 + k),
                k,
            )
            for k in range(n)
        ]
    )
    PregnancyTest.objects.bulk_create(
        [
            PregnancyTest(
                patient=patient,
                specimen_date=TODAY - days(200 + k),
                result="negative",
                recorded_by=users[k % len(users)],
            )
            for k in range(n)
        ]
    )
    MonthlyConfirmation.objects.bulk_create(
        [
            MonthlyConfirmation(
                patient=patient,
                confirmed_on=TODAY - days(31 * (k + 1)),
                contraception_methods=["iud", "condom"],
                answers={},
                passed=bool(k % 2),
            )
            for k in range(n)
        ]
    )
    PortalInvitation.objects.bulk_create(
        [
            PortalInvitation(
                patient=patient,
                token_hash=f"perf-invitation-{next(_serial)}",
                sent_to=patient.email or "p@example.org",
                created_at=NOW - days(k + 1),
                created_by=users[k % len(users)],
                expires_at=NOW - days(k),
                revoked_at=NOW - days(k),
            )
            for k in range(n)
        ]
    )
    CalendarFeed.objects.bulk_create(
        [
            CalendarFeed(
                patient=patient,
                token_hash=f"perf-feed-{next(_serial)}",
                created_at=NOW - days(k + 1),
                revoked_at=NOW - days(k),
            )
            for k in range(n)
        ]
    )


def grow_own_course(world: World, n: int) -> None:
    """The persona's active course: visits, prescriptions with live and reversed dispenses at
    several pharmacies, acknowledged flags (by several prescribers)."""
    course = world.course
    patient = world.patient
    others = [world.pharmacy, *Pharmacy.objects.exclude(pk=world.pharmacy.pk)[:3]]
    people = [world.prescriber, *make_users(2, Role.PRESCRIBER)]
    span = COURSE_STARTED_DAYS_AGO - 1
    Visit.objects.bulk_create(
        [
            visit(patient, course, TODAY - days(span - k % span), people[k % 3], TODAY + days(5), k)
            for k in range(n)
        ]
    )
    rxs = Prescription.objects.bulk_create(
        [prescription(course, TODAY - days(span - k % span), people[k % 3]) for k in range(n)]
    )
    Dispense.objects.bulk_create(
        [dispense(rx, others[k % len(others)], world.nurse) for k, rx in enumerate(rxs[::2])]
        + [dispense(rx, world.pharmacy, world.nurse, reversed_=True) for rx in rxs[::3]]
    )
    CourseFlag.objects.bulk_create(
        [
            CourseFlag(
                course=course,
                kind=KINDS[k % len(KINDS)],
                subject_key=f"perf{next(_serial)}",
                raised_at=NOW - days(k % 50),
                detail="Raised by the performance test",
                acknowledged_by=people[k % 3],
                acknowledged_at=NOW - days(k % 50) + datetime.timedelta(hours=2),
                action=CourseFlag.Action.CONTINUE,
            )
            for k in range(n)
        ]
    )


def grow_admin_log(world: World, n: int) -> None:
    """The admin index's "Recent actions" (LogEntry rows of the registry admin)."""
    user = world.personas["registry_admin"]
    content_type = ContentType.objects.get_for_model(Pharmacy)
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                user=user,
                content_type=content_type,
                object_id=str(world.pharmacy.pk),
                object_repr=str(world.pharmacy),
                action_flag=CHANGE,
                change_message="[]",
            )
            for _ in range(n)
        ]
    )


def grow_refusals(world: World, n: int) -> None:
    """Refused actions of every kind by many users: half for the patient persona (its page),
    half for other patients or none (enrolment), some naming the course or a pharmacy."""
    users = [world.nurse, world.prescriber, *make_users(max(1, n // 20), Role.CLINICAL_STAFF)]
    others = make_patients(max(1, n // 10), [world.prescriber])
    kinds = list(RefusedAction.Kind.values)
    RefusedAction.objects.bulk_create(
        [
            RefusedAction(
                kind=kinds[k % len(kinds)],
                user=users[k % len(users)],
                at=NOW - datetime.timedelta(hours=k),
                patient=world.patient if k % 2 else (others[k % len(others)] if k % 3 else None),
                course=world.course if k % 4 == 1 else None,
                pharmacy=world.pharmacy if k % 5 == 0 else None,
                reasons=[f"Refused by the performance test ({k})", "A second reason."],
                details={"weight_kg": "400", "notes": f"try {k}"},
            )
            for k in range(n)
        ]
    )


def grow_accesses(world: World, n: int) -> None:
    """The access log: reads by many users of every kind, a third of them of the patient
    persona's record (its page's card, the audit page by patient), some bulk exports."""
    users = [world.nurse, world.prescriber, *make_users(max(1, n // 20), Role.CLINICAL_STAFF)]
    others = make_patients(max(1, n // 10), [world.prescriber])
    kinds = list(RecordAccess.Kind.values)
    RecordAccess.objects.bulk_create(
        [
            RecordAccess(
                user=users[k % len(users)],
                at=NOW - datetime.timedelta(minutes=k),
                patient=None
                if kinds[k % len(kinds)] == RecordAccess.Kind.EXPORT
                else (world.patient if k % 3 else others[k % len(others)]),
                kind=kinds[k % len(kinds)],
                what="Performance test",
                detail={"format": "csv", "filter": {"q": f"p{k}"}},
            )
            for k in range(n)
        ]
    )


@dataclass(frozen=True)
class Grower:
    grow: object
    small: int
    large: int


# Small data sets stay below every cap on the rows a page shows (patient list 25 a page,
# reminder pages 50, worklist sections ROW_LIMIT = 10, the pharmacist's recent dispenses 20,
# admin changelists 100, the patient page's 12 visits and 6 tests), so a per-row query shows
# as more queries on the second request rather than hiding behind the cap. Lists across the
# clinic: 10 rows, then 1,000 (clinic_courses makes n rows per worklist section: 3n courses,
# so 3 then 1,200). One patient's record and course: 5 rows, then 300 (record) or 60
# (course: it lasts at most 20 weeks, so 60 visits or prescriptions is far beyond a real one
# and shows a per-row query while the schedule and calendar built from them stay quick).
def grow_outcome_counts(world: World, n: int) -> None:
    """The outcomes report's counts as the nightly count writes them: n bars of every measure
    (n distinct days, mg/kg, hours...) spread over the last twelve months (the report's default
    range) under three prescribers, and the prescribers to choose from."""
    prescribers = make_users(3, Role.PRESCRIBER)
    this_month = timezone.localdate().replace(day=1)
    measures = ["status:active", "fell_days", "mg_per_kg_end", "side_effect:dry_lips"]
    measures += ["flag_ack_hours:weight_above_ceiling", "flag_open:mood_screen_positive"]
    OutcomeCount.objects.bulk_create(
        OutcomeCount(
            month=months_before(this_month, k % 12),
            prescriber=prescribers[k % 3],
            measure=measure,
            value=k,
            count=3,
        )
        for k in range(n)
        for measure in measures
    )


GROWERS = {
    "patients": Grower(grow_patients, 10, 1000),
    "many_patients": Grower(grow_patients, 120, 1000),  # VARIANTS ask for page 3
    "clinic_courses": Grower(grow_clinic_courses, 1, 400),
    "failed_reminders": Grower(grow_failed_reminders, 2, 1000),
    "many_failed_reminders": Grower(grow_failed_reminders, 120, 1000),  # for page 2
    "own_reminders": Grower(grow_own_reminders, 10, 1000),
    "pharmacies": Grower(grow_pharmacies, 10, 1000),
    "own_patient": Grower(grow_own_patient, 5, 300),
    "own_course": Grower(grow_own_course, 5, 60),
    "admin_log": Grower(grow_admin_log, 10, 1000),
    # The patient page shows 20 refusals; 10 is under it (5 of them the persona's).
    "refusals": Grower(grow_refusals, 10, 1000),
    "many_refusals": Grower(grow_refusals, 120, 1000),  # VARIANTS ask for page 2
    # The patient page's card shows 10 accesses (5 is under it); the audit page pages by 50.
    "accesses": Grower(grow_accesses, 5, 1000),
    "many_accesses": Grower(grow_accesses, 120, 1000),  # VARIANTS ask for page 2
    # The outcomes report: 5 bars of each measure, then 1,000.
    "outcome_counts": Grower(grow_outcome_counts, 5, 1000),
}

# Pages whose query count legitimately changes with the data, by a fixed number of queries
# of a known kind: url name -> (how many more with many rows, how each extra query starts).
# The worklist shows at most ROW_LIMIT rows per section and counts the rest with one more
# query only when there are more (clinic.staff.worklist.bounded); all eight sections are bounded
# (open flags, visits planned today, this week, overdue follow-ups, month-2 labs due, monthly
# steps missing, closing windows, failed reminders), so with many rows there are exactly eight
# COUNT queries more, whatever the number.
