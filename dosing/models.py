"""Treatment courses, monthly prescriptions and dispenses (R8 to R10, R13 to R17)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from dosing import rules
from dosing.rules import Formulation

FORMULATION_CHOICES = [
    (Formulation.CONVENTIONAL.value, _("Conventional capsules (10, 20, 30, 40 mg)")),
    (Formulation.ABSORICA.value, _("Absorica (10, 20, 25, 30, 35, 40 mg)")),
    (Formulation.ABSORICA_LD.value, _("Absorica LD (8, 16, 24, 32 mg)")),
]


class TreatmentCourse(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", pgettext_lazy("course status", "Active")
        COMPLETED = "completed", pgettext_lazy("course status", "Completed")
        STOPPED_EARLY = "stopped_early", _("Stopped early (nodules down 70%)")
        STOPPED_20_WEEKS = "stopped_20_weeks", _("Stopped at 20 weeks")
        DISCONTINUED = "discontinued", _("Discontinued")

    ENDED = (Status.COMPLETED, Status.STOPPED_EARLY, Status.STOPPED_20_WEEKS, Status.DISCONTINUED)

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    number = models.PositiveSmallIntegerField(
        help_text=_("1 for the first course, 2 for the second.")
    )
    start_date = models.DateField()
    baseline_weight_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(25)), MaxValueValidator(Decimal(250))],
    )
    baseline_nodule_count = models.PositiveIntegerField(_("baseline total nodule count"))
    formulation = models.CharField(max_length=12, choices=FORMULATION_CHOICES)
    target_mg_per_kg = models.DecimalField(
        _("target cumulative dose (mg/kg)"),
        max_digits=4,
        decimal_places=1,
        default=rules.DEFAULT_TARGET_MG_PER_KG,
        validators=[MinValueValidator(Decimal(120)), MaxValueValidator(Decimal(150))],
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The latest visit's date and the follow-up it booked. Kept by clinic (Visit.save, and one
    # set-based UPDATE after bulk writes), which records visits: dosing never reads visits. With
    # them the worklist finds due and overdue follow-ups through an index instead of looking
    # for every course's latest visit (over a second at 100,000 patients, bench/run.py).
    last_visit_on = models.DateField(null=True, blank=True, editable=False)
    next_follow_up = models.DateField(null=True, blank=True, editable=False)
    # The weight recorded at the latest visit of this course, kept beside last_visit_on so that
    # dosing decides on the latest weight (R6) without reading visits (dispensing needs it).
    last_weight_kg = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    # The first day in this course, from week 7, that fasting lipids and liver tests were both
    # drawn at a visit (R19, the month-2 labs). Kept by clinic.monitoring like the copies above;
    # the worklist lists active courses from week 9 where it is still empty.
    month_two_labs_on = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "number"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="course_number_unique"),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_course_per_patient",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start_date"], name="course_status_start_idx"),
            models.Index(fields=["status", "next_follow_up"], name="course_status_follow_up_idx"),
            # The worklist's month-2 labs due: active courses without them, oldest first.
            models.Index(
                fields=["start_date", "id"],
                condition=Q(status="active", month_two_labs_on=None),
                name="course_month_two_labs_due_idx",
            ),
        ]

    def __str__(self):
        return f"Course {self.number} of {self.patient}"

    def get_absolute_url(self):
        return reverse("staff:course-detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def product(self) -> rules.Product:
        return rules.PRODUCTS[Formulation(self.formulation)]

    def week_number(self, day: datetime.date | None = None) -> int:
        return rules.week_of_course(self.start_date, day or timezone.localdate())

    def weeks_left(self, day: datetime.date | None = None) -> int:
        return rules.weeks_left(self.start_date, day or timezone.localdate())

    @property
    def limit_date(self) -> datetime.date:
        return rules.twenty_week_limit(self.start_date)

    def target_mg(self, weight_kg) -> Decimal:
        return rules.target_mg(self.target_mg_per_kg, weight_kg)

    @property
    def current_weight_kg(self) -> Decimal:
        """The latest recorded weight (R6): the latest visit's, else the baseline."""
        return self.last_weight_kg or self.baseline_weight_kg

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PLANNED)


class PrescriptionQuerySet(models.QuerySet):
    def not_voided(self):
        return self.filter(voided_at=None)

    def undispensed(self):
        """Not voided, and no dispense of it stands (none, or each reversed).

        Read from the dispenses themselves, not from the awaiting_pickup copy: the safety
        rules ask it at the moment of a decision. As NOT EXISTS, one index probe per
        prescription; `pk NOT IN (live dispenses)` was planned, once the dispense table
        outgrew work_mem, as a scan of every live dispense per prescription (1.5 s for one
        dose check at 1,000,000 patients; docs/PERFORMANCE.md).
        """
        live = Dispense.objects.filter(prescription=models.OuterRef("pk"), reversed_at=None)
        return self.not_voided().filter(~models.Exists(live))


class Prescription(models.Model):
    """One month's prescription: at most 30 days, no refills (R13)."""

    MAX_DAYS_SUPPLY = 30

    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="prescriptions"
    )
    prescribed_on = models.DateField()
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    weight_kg = models.DecimalField(_("weight used (kg)"), max_digits=4, decimal_places=1)
    mg_per_dose = models.PositiveIntegerField()
    doses_per_day = models.PositiveSmallIntegerField(default=2)
    formulation = models.CharField(max_length=12, choices=FORMULATION_CHOICES)
    capsules_per_dose = models.JSONField(
        help_text=_("Capsule strengths in mg, e.g. [30] or [20, 10].")
    )
    days_supply = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS_SUPPLY)]
    )
    pregnancy_test = models.ForeignKey(
        "registry.PregnancyTest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The negative test this prescription relies on (can get pregnant only)."),
    )
    window_opens = models.DateField(_("pick-up window opens"))
    window_closes = models.DateField(_("pick-up window closes"))
    warnings = models.JSONField(default=list, blank=True)
    # The risk category in force when it was written: a prescription written while the patient
    # "cannot get pregnant" has no pregnancy test behind it (R14), so it cannot stand once the
    # category changes.
    written_can_get_pregnant = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Voided: it may no longer be dispensed (replaced by a newer one, the course ended, the
    # patient withdrawn, the risk category changed, a positive pregnancy test). Never deleted.
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    # Neither voided nor dispensed: still to be picked up. Kept by dosing (void, authorize,
    # reverse) so the worklist reads it from a partial index instead of joining every dispense;
    # derived, so not a clinical fact of its own (the Dispense rows are the audit).
    awaiting_pickup = models.BooleanField(default=True, db_default=True, editable=False)

    history = HistoricalRecords()
    objects = PrescriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-prescribed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days_supply__gte=1, days_supply__lte=30), name="days_supply_1_to_30"
            ),
            models.CheckConstraint(
                condition=Q(window_closes__gte=models.F("window_opens")), name="window_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(awaiting_pickup=True, voided_at__isnull=False),
                name="rx_voided_is_not_awaiting_pickup",
            ),
        ]
        indexes = [
            models.Index(fields=["window_closes"], name="rx_window_closes_idx"),
            models.Index(
                fields=["course"], condition=Q(voided_at=None), name="rx_open_by_course_idx"
            ),
            # The worklist's closing pick-up windows: only what is still to be picked up.
            models.Index(
                fields=["window_closes", "id"],
                condition=Q(awaiting_pickup=True),
                name="rx_awaiting_window_idx",
            ),
        ]

    def __str__(self):
        return f"{self.mg_per_dose} mg × {self.doses_per_day}/day, {self.days_supply} days"

    @property
    def daily_mg(self) -> int:
        return self.mg_per_dose * self.doses_per_day

    @property
    def capsules(self) -> str:
        return rules.describe_capsules(self.capsules_per_dose)

    @property
    def capsules_supplied(self) -> int:
        return len(self.capsules_per_dose) * self.doses_per_day * self.days_supply

    def window_contains(self, day: datetime.date) -> bool:
        return self.window_opens <= day <= self.window_closes

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def live_dispense(self) -> Dispense | None:
        """The dispense not reversed, if any (read from prefetched dispenses when there)."""
        return next((d for d in self.dispenses.all() if d.reversed_at is None), None)


class DispenseQuerySet(models.QuerySet):
    def live(self):
        return self.filter(reversed_at=None)


class Dispense(models.Model):
    """An authorization to dispense, issued to one certified pharmacy (R17)."""

    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="dispenses"
    )
    pharmacy = models.ForeignKey(
        "registry.Pharmacy", on_delete=models.PROTECT, related_name="dispenses"
    )
    authorization_number = models.CharField(max_length=20, unique=True)
    authorized_at = models.DateTimeField(default=timezone.now)
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("capsules dispensed"))
    days_supply = models.PositiveSmallIntegerField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_reason = models.TextField(blank=True)
    # A supply replaced mid-month (a dose change) stops counting from this day: the patient
    # takes the new supply from then on (R13: one supply at a time).
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()
    objects = DispenseQuerySet.as_manager()

    class Meta:
        ordering = ["-authorized_at"]
        constraints = [
            # The database itself refuses a second live dispense of one prescription, so two
            # pharmacies racing each other cannot both succeed.
            models.UniqueConstraint(
                fields=["prescription"],
                condition=Q(reversed_at=None),
                name="one_live_dispense_per_prescription",
            )
        ]

    def __str__(self):
        return f"Authorization {self.authorization_number}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None

    @property
    def daily_mg(self) -> int:
        return self.prescription.daily_mg

    @property
    def dispensed_on(self) -> datetime.date:
        return timezone.localdate(self.authorized_at)

    def as_supply(self) -> rules.LiveSupply:
        """What the patient holds from it, as the one decision reads it (rules.decide)."""
        return rules.LiveSupply(
            self.dispensed_on, self.days_covered, Decimal(self.prescription.daily_mg)
        )

    @property
    def days_covered(self) -> int:
        """Days of supply the patient takes from it: all of them, unless replaced mid-month."""
        if self.ended_on is None:
            return self.days_supply
        return max(0, min(self.days_supply, (self.ended_on - self.dispensed_on).days))


class CounsellingConfirmation(models.Model):
    """The prescriber's monthly confirmation that the patient was counselled (iPLEDGE, R13 to
    R16: one of the monthly steps, for every patient in treatment whatever the risk category).

    `month` is the first day of the calendar month it covers, in the clinic's time zone
    (dosing.monthly_steps.Month, the one definition of a month); one per course and month.
    """

    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="counselling_confirmations"
    )
    month = models.DateField(help_text=_("The first day of the calendar month it covers."))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-month", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "month"], name="one_counselling_per_course_month"
            ),
        ]
        # No check that `month` is a first day: on SQLite it compiles to Django's own
        # django_date_extract(), which a database opened without Django cannot evaluate. The
        # one service that writes rows takes a Month, which only ever gives its first day.

    def __str__(self):
        return f"Counselling confirmed for {self.month:%B %Y}"


class RefusedAction(models.Model):
    """An unsafe or impossible action the application refused: who tried, what, and why.

    Refusals never change clinical records, so they are kept here for the audit trail.
    """

    class Kind(models.TextChoices):
        START_COURSE = "start_course", _("Start a course")
        PRESCRIBE = "prescribe", pgettext_lazy("refused action", "Prescribe")
        DISPENSE = "dispense", pgettext_lazy("refused action", "Dispense")
        REVERSE = "reverse", _("Reverse a dispense")
        ENROL = "enrol", _("Enrol a patient")
        EDIT_PATIENT = "edit_patient", _("Change a patient's record")
        VISIT = "visit", _("Record a visit")
        PREGNANCY_TEST = "pregnancy_test", _("Record a pregnancy test")
        END_COURSE = "end_course", _("End a course")
        COUNSELLING = "counselling", _("Confirm the monthly counselling")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pharmacy = models.ForeignKey(
        "registry.Pharmacy", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["kind", "at"], name="refused_kind_at_idx"),
            models.Index(fields=["at"], name="refused_at_idx"),
            models.Index(fields=["patient", "at"], name="refused_patient_at_idx"),
            models.Index(fields=["user", "at"], name="refused_user_at_idx"),
        ]

    def __str__(self):
        return f"Refused {self.get_kind_display().lower()} by {self.user} at {self.at}"
