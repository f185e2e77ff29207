"""The columns of a patient import file, and the form field each one fills.

The upload page and docs/INTEROP.md show this table. A column fills a field of the form that
checks it (clinic.staff.importing.checking): the enrolment form for the patient and the
guardian, the course start form for the course, the pregnancy test form for a test, so a cell
is held to the same rule, with the same message, as the field on its page.
"""

from __future__ import annotations

from dataclasses import dataclass

from dosing.models import FORMULATION_CHOICES
from registry.models import Guardian, Patient, PregnancyTest

PATIENT, GUARDIAN, COURSE, TEST = "patient", "guardian", "course", "test"
YES_NO = "yes or no"
DAY = "YYYY-MM-DD"


def _values(choices) -> str:
    return ", ".join(value for value, _label in choices)


@dataclass(frozen=True)
class Column:
    name: str
    part: str  # which form checks it
    field: str  # the form's field it fills
    required: bool
    format: str
    example: str
    rule: str
    kind: str = "text"  # "date", "yes_no", "choice": made into what the form takes first
    choices: tuple = ()


def _column(name, part, required, format_, example, rule, *, field="", kind="text", choices=()):
    return Column(name, part, field or name, required, format_, example, rule, kind, choices)


COLUMNS: tuple[Column, ...] = (
    _column("first_name", PATIENT, True, "text", "Maria", "As on the enrolment form."),
    _column("last_name", PATIENT, True, "text", "Lopez", "As on the enrolment form."),
    _column(
        "date_of_birth",
        PATIENT,
        True,
        DAY,
        "2007-05-17",
        "Not in the future; at least 12 years old (R11). Under 18: the guardian columns.",
        kind="date",
    ),
    _column(
        "sex",
        PATIENT,
        True,
        _values(Patient.Sex.choices),
        "female",
        "",
        kind="choice",
        choices=tuple(Patient.Sex.choices),
    ),
    _column(
        "email",
        PATIENT,
        False,
        "email address",
        "maria@example.org",
        "Not a patient's already in the registry, nor an earlier row's.",
    ),
    _column("phone", PATIENT, False, "text", "+44 7911 123456", ""),
    _column(
        "prescriber",
        PATIENT,
        True,
        "username or email",
        "dr.ross",
        "An active prescriber's account.",
    ),
    _column(
        "risk_category",
        PATIENT,
        True,
        _values(Patient.RiskCategory.choices),
        "can_get_pregnant",
        "Assigned by the prescriber (R12).",
        kind="choice",
        choices=tuple(Patient.RiskCategory.choices),
    ),
    _column(
        "consent_treatment_on",
        PATIENT,
        True,
        DAY,
        "2026-11-02",
        "Not in the future, not before the date of birth.",
        kind="date",
    ),
    _column("reminder_consent", PATIENT, False, YES_NO, "yes", "", kind="yes_no"),
    _column(
        "reminder_channel",
        PATIENT,
        False,
        _values(Patient.ReminderChannel.choices),
        "email",
        "Required with reminder_consent; email needs the email, sms the phone.",
        kind="choice",
        choices=tuple(Patient.ReminderChannel.choices),
    ),
    _column("notes", PATIENT, False, "text", "", ""),
    _column(
        "different_person",
        PATIENT,
        False,
        YES_NO,
        "no",
        "yes: not the patient already enrolled with the same name and date of birth.",
        field="confirm_not_duplicate",
        kind="yes_no",
    ),
    _column(
        "guardian_full_name",
        GUARDIAN,
        False,
        "text",
        "Ana Lopez",
        "Under 18: the guardian's name, relation, email or phone, consent and its day.",
    ),
    _column(
        "guardian_relation",
        GUARDIAN,
        False,
        _values(Guardian.Relation.choices),
        "parent",
        "",
        kind="choice",
        choices=tuple(Guardian.Relation.choices),
    ),
    _column("guardian_email", GUARDIAN, False, "email address", "ana@example.org", ""),
    _column("guardian_phone", GUARDIAN, False, "text", "", "Email or phone (at least one)."),
    _column("guardian_consent_given", GUARDIAN, False, YES_NO, "yes", "", kind="yes_no"),
    _column(
        "guardian_consent_on",
        GUARDIAN,
        False,
        DAY,
        "2026-11-02",
        "Not in the future.",
        kind="date",
    ),
    _column(
        "guardian_receives_reminders",
        GUARDIAN,
        False,
        YES_NO,
        "no",
        "yes needs the guardian's email.",
        kind="yes_no",
    ),
    _column(
        "course_start_date",
        COURSE,
        False,
        DAY,
        "2026-10-01",
        "The current course: at most 140 days ago (R8). Importing a course takes a prescriber.",
        field="start_date",
        kind="date",
    ),
    _column("baseline_weight_kg", COURSE, False, "number", "62.5", "With a course: required."),
    _column(
        "baseline_nodule_count", COURSE, False, "whole number", "14", "With a course: required."
    ),
    _column(
        "formulation",
        COURSE,
        False,
        _values(FORMULATION_CHOICES),
        "conventional",
        "With a course: required.",
        kind="choice",
        choices=tuple(FORMULATION_CHOICES),
    ),
    _column(
        "pregnancy_test_on",
        TEST,
        False,
        DAY,
        "2026-11-20",
        "The specimen's day; not in the future.",
        field="specimen_date",
        kind="date",
    ),
    _column(
        "pregnancy_test_result",
        TEST,
        False,
        _values(PregnancyTest.Result.choices),
        "negative",
        "With a test: required. A positive test is not imported with a course (R18).",
        field="result",
        kind="choice",
        choices=tuple(PregnancyTest.Result.choices),
    ),
    _column(
        "pregnancy_test_setting",
        TEST,
        False,
        _values(PregnancyTest.Setting.choices),
        "medical",
        "Left empty: medical.",
        field="setting",
        kind="choice",
        choices=tuple(PregnancyTest.Setting.choices),
    ),
)

BY_NAME = {column.name: column for column in COLUMNS}
REQUIRED = tuple(column.name for column in COLUMNS if column.required)


def header_name(text: str) -> str:
    """A header as the column it names: "Date of birth" and "date-of-birth" are date_of_birth."""
    return "_".join(text.strip().lower().replace("-", " ").split())
