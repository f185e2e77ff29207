"""The column order of every bulk-written table (rows are tuples in this order, after id)."""

from __future__ import annotations

from clinic.demo.data.writer import TableWriter
from clinic.monitoring.models import Visit
from clinic.reminders.models import Reminder
from dosing.models import Dispense, Prescription, TreatmentCourse
from registry.models import MonthlyConfirmation, Patient, PregnancyTest, PriorTreatment


class Tables:
    """One TableWriter per table, flushed parents first."""

    def __init__(self):
        self.patient = TableWriter(
            Patient,
            [
                "registry_id",
                "first_name",
                "last_name",
                "date_of_birth",
                "sex",
                "email",
                "phone",
                "prescriber_id",
                "risk_category",
                "consent_treatment_on",
                "reminder_consent",
                "reminder_channel",
                "reminder_consent_on",
                "status",
                "status_reason",
                "status_changed_at",
                "enrolled_at",
                "enrolled_by_id",
                "language",
            ],
            {"user_id": None, "notes": ""},
        )
        self.prior = TableWriter(
            PriorTreatment, ["patient_id", "kind", "started_on", "outcome"], {"other_text": ""}
        )
        self.course = TableWriter(
            TreatmentCourse,
            [
                "patient_id",
                "number",
                "start_date",
                "baseline_weight_kg",
                "baseline_nodule_count",
                "formulation",
                "target_mg_per_kg",
                "status",
                "end_date",
                "end_reason",
                "started_by_id",
                "created_at",
            ],
            # The copy of the latest visit and of the month-2 labs' day
            # (clinic.monitoring.follow_ups), set once the course's visits are made
            # (months.add_course).
            {
                "last_visit_on": None,
                "next_follow_up": None,
                "last_weight_kg": None,
                "month_two_labs_on": None,
            },
        )
        self.test = TableWriter(
            PregnancyTest,
            ["patient_id", "specimen_date", "result", "recorded_by_id", "recorded_at"],
            {"setting": PregnancyTest.Setting.MEDICAL.value},
        )
        self.visit = TableWriter(
            Visit,
            [
                "patient_id",
                "course_id",
                "visit_date",
                "weight_kg",
                "nodule_count",
                "side_effects",
                "phq2_interest",
                "phq2_mood",
                "triglycerides",
                "total_cholesterol",
                "alt",
                "ast",
                "pregnancy_test_id",
                "contraception",
                "next_follow_up",
                "recorded_by_id",
                "recorded_at",
            ],
            {
                "side_effects_other": "",
                "triglycerides_unit": "mg/dL",
                "cholesterol_unit": "mg/dL",
                "notes": "",
            },
        )
        self.confirmation = TableWriter(
            MonthlyConfirmation,
            [
                "patient_id",
                "confirmed_on",
                "contraception_methods",
                "answers",
                "attempts",
                "passed",
                "created_at",
            ],
        )
        self.prescription = TableWriter(
            Prescription,
            [
                "course_id",
                "prescribed_on",
                "prescribed_by_id",
                "weight_kg",
                "mg_per_dose",
                "formulation",
                "capsules_per_dose",
                "days_supply",
                "pregnancy_test_id",
                "window_opens",
                "window_closes",
                "created_at",
                # Written as the services keep them (dosing.dispensing): a prescription that
                # relied on a pregnancy test was written under "can get pregnant", and one
                # with no dispense is awaiting pick-up. No demo prescription is voided.
                "written_can_get_pregnant",
                "awaiting_pickup",
            ],
            {
                "doses_per_day": 2,
                "warnings": [],
                "voided_at": None,
                "voided_by_id": None,
                "void_reason": "",
                "replaced_by_id": None,
            },
        )
        self.dispense = TableWriter(
            Dispense,
            [
                "prescription_id",
                "pharmacy_id",
                "authorization_number",
                "authorized_at",
                "authorized_by_id",
                "quantity",
                "days_supply",
                "reversed_at",
                "reversed_by_id",
                "reversal_reason",
            ],
            {"ended_on": None, "end_reason": ""},
        )
        self.reminder = TableWriter(
            Reminder,
            [
                "kind",
                "patient_id",
                "recipient",
                "subject_key",
                "due_at",
                "due_date",
                "status",
                "attempts",
                "next_attempt_at",
                "claimed_at",
                "sent_at",
                "last_error",
                "created_at",
            ],
            {"context": {}},
        )

    @property
    def in_order(self) -> list[TableWriter]:
        return [
            self.patient,
            self.prior,
            self.course,
            self.test,
            self.visit,
            self.confirmation,
            self.prescription,
            self.dispense,
            self.reminder,
        ]

    def flush(self) -> None:
        for table in self.in_order:
            table.flush()
