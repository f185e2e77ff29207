"""What each printout says, gathered from the records in a fixed number of queries.

The views fetch the record through clinic/staff/access.py and pass it here; these functions
read, never write. Each returns the template's context and the PDF's file name, which holds
the document, the registry ID and a date: never the patient's name (a downloaded file's name
shows in folders, browser histories and mail attachments).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from clinic.monitoring import thresholds
from clinic.monitoring.course_charts import nodule_progress
from clinic.monitoring.labs import LabValue, labs_of
from clinic.monitoring.models import Visit
from clinic.monitoring.models.visits import Contraception
from clinic.monitoring.weights import latest_weight_kg
from dosing import services as dosing_services
from dosing.course_data import course_figures
from dosing.models import Prescription, TreatmentCourse
from dosing.products import mg_per_kg_text, number
from registry.models import Patient, PregnancyTest


def file_name(kind: str, patient: Patient, day: datetime.date) -> str:
    return f"{kind}-{patient.registry_id}-{day:%Y-%m-%d}.pdf"


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


# The prescription -------------------------------------------------------------------------


def prescription_document(rx: Prescription) -> tuple[dict, str]:
    course = rx.course
    patient = course.patient
    daily_mg_per_kg = Decimal(rx.daily_mg) / rx.weight_kg
    dispense = rx.live_dispense()
    return (
        {
            "rx": rx,
            "course": course,
            "patient": patient,
            "product": course.get_formulation_display(),
            "daily_mg_per_kg": mg_per_kg_text(daily_mg_per_kg),
            "weight_kg": number(rx.weight_kg),
            "prescriber": person(rx.prescribed_by),
            "dispense": dispense,
        },
        file_name("prescription", patient, rx.prescribed_on),
    )


# The visit summary ------------------------------------------------------------------------

# R19's alert lines (clinic.monitoring.thresholds), by lab and unit: a value strictly above one
# raises a course flag. (line, what is said of a value above it) from the highest down; a value
# is said to cross the highest line it is above. The sentence takes the line, its unit and the
# times the upper limit (the liver enzymes' line).
URGENT_LINE = _("above the %(line)s %(unit)s urgent flag line (pancreatitis risk)")
FLAG_LINE = _("above the %(line)s %(unit)s flag line")
TIMES_LINE = _("above the %(line)s %(unit)s flag line (%(times)s × the upper limit)")
ALERT_LINES: dict[tuple[str, str], tuple[tuple[Decimal, str], ...]] = (
    {
        ("triglycerides", unit): (
            (thresholds.TRIGLYCERIDES_URGENT_ABOVE[unit], URGENT_LINE),
            (thresholds.TRIGLYCERIDES_ALERT_ABOVE[unit], FLAG_LINE),
        )
        for unit in ("mg/dL", "mmol/L")
    }
    | {
        ("total_cholesterol", unit): ((thresholds.CHOLESTEROL_ALERT_ABOVE[unit], FLAG_LINE),)
        for unit in ("mg/dL", "mmol/L")
    }
    | {
        (name, "U/L"): ((thresholds.LIVER_ENZYME_ALERT_ABOVE, TIMES_LINE),)
        for name in ("alt", "ast")
    }
)


@dataclass(frozen=True)
class LabLine:
    lab: LabValue
    crossed: str  # "" or "above the 500 mg/dL flag line"

    @property
    def marked(self) -> bool:
        return bool(self.lab.flag or self.crossed)

    @property
    def value(self) -> str:
        """As typed, without padding zeros: 612.5, not 612.50."""
        return number(self.lab.value)

    @property
    def limit(self) -> str:
        return number(self.lab.limit)


def lab_lines(visit: Visit) -> list[LabLine]:
    lines = []
    for lab in labs_of(visit):
        crossed = next(
            (
                said
                % {
                    "line": number(line),
                    "unit": lab.unit,
                    "times": thresholds.LIVER_ENZYME_ALERT_TIMES_LIMIT,
                }
                for line, said in ALERT_LINES[(lab.name, lab.unit)]
                if lab.value > line
            ),
            "",
        )
        lines.append(LabLine(lab, crossed))
    return lines


def visit_summary_document(visit: Visit) -> tuple[dict, str]:
    patient = visit.patient
    course = visit.course
    contraception = [Contraception(code).label for code in visit.contraception]
    return (
        {
            "visit": visit,
            "patient": patient,
            "course": course,
            "week": course.week_number(visit.visit_date) if course else None,
            "progress": nodule_progress(course, [visit]) if course else None,
            "labs": lab_lines(visit),
            "side_effects": visit.side_effect_labels(),
            "contraception": contraception,
            "phq2_positive_at": thresholds.PHQ2_POSITIVE_AT,
            "recorded_by": person(visit.recorded_by),
            "test": visit.pregnancy_test,
        },
        file_name("visit-summary", patient, visit.visit_date),
    )


# The referral letter (R18) ----------------------------------------------------------------


def latest_positive_test(patient: Patient) -> PregnancyTest | None:
    return (
        patient.pregnancy_tests.filter(result=PregnancyTest.Result.POSITIVE)
        .select_related("recorded_by")
        .first()
    )


def course_stopped_by(patient: Patient, test: PregnancyTest) -> TreatmentCourse | None:
    """The course the positive test stopped (R18), else the latest course that ended before
    it (a test in the month after treatment, R14): the one whose doses the obstetrician needs.
    """
    courses = patient.courses.filter(start_date__lte=test.specimen_date).order_by("-start_date")
    stopped = courses.filter(end_reason=dosing_services.R18_REASON).first()
    return stopped or courses.first()


def referral_document(patient: Patient, test: PregnancyTest, *, by) -> tuple[dict, str]:
    course = course_stopped_by(patient, test)
    figures = supply = None
    if course is not None:
        figures = course_figures(course, weight_kg=latest_weight_kg(course))
        supply = supplied_days(figures.prescriptions)
    return (
        {
            "patient": patient,
            "test": test,
            "course": course,
            "stopped_by_test": bool(course and course.end_reason == dosing_services.R18_REASON),
            "figures": figures,
            "supply": supply,
            "referrer": person(by),
            "responsible": person(patient.prescriber),
        },
        file_name("referral", patient, test.specimen_date),
    )


@dataclass(frozen=True)
class Supplied:
    days: int
    first_day: datetime.date | None
    last_day: datetime.date | None
    daily_mg: list[int]  # each distinct daily dose handed out, in order


def supplied_days(prescriptions: list[Prescription]) -> Supplied:
    """The supply handed out (live dispenses, cut short where a stop ended it): what the
    patient can have taken. From the prescriptions course_figures fetched (no query)."""
    days, first, last, doses = 0, None, None, []
    for rx in prescriptions:
        dispense = rx.live_dispense()
        if dispense is None or not dispense.days_covered:
            continue
        start = dispense.dispensed_on
        end = start + datetime.timedelta(days=dispense.days_covered - 1)
        days += dispense.days_covered
        first = min(first or start, start)
        last = max(last or end, end)
        if not doses or doses[-1] != rx.daily_mg:
            doses.append(rx.daily_mg)
    return Supplied(days, first, last, doses)
