"""The columns of a patient import file, and the form field each one fills.

The upload page and docs/INTEROP.md show this table. A column fills a field of the form that
checks it (clinic.staff.importing.checking): the enrolment form for the patient and the
guardian, the course start form for the course, the pregnancy test form for a test, so a cell
is held to the same rule, with the same message, as the field on its page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from dosing.models import FORMULATION_CHOICES
from registry.models import Guardian, Patient, PregnancyTest

PATIENT, GUARDIAN, COURSE, TEST = "patient", "guardian", "course", "test"
YES_NO = _("yes or no")
DAY = _("YYYY-MM-DD")


def _values(choices) -> str:
    return ", ".join(value for value, _label in choices)


# The format and the rule are shown on the upload page in the reader's language (lazy); the
# names, examples and choice values are what a file holds, the same in every language.
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
    _column("first_name", PATIENT, True, _("text"), "Maria", _("As on the enrolment form.")),
    _column("last_name", PATIENT, True, _("text"), "Lopez", _("As on the enrolment form.")),
    _column(
        "date_of_birth",
        PATIENT,
        True,
        DAY,
        "2007-05-17",
        _("Not in the future; at least 12 years old (R11). Under 18: the guardian columns."),
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
        _("email address"),
        "maria@example.org",
        _("Not a patient's already in the registry, nor an earlier row's."),
    ),
    _column("phone", PATIENT, False, _("text"), "+44 7911 123456", ""),
    _column(
        "prescriber",
        PATIENT,
        True,
        _("username or email"),
        "dr.ross",
        _("An active prescriber's account."),
    ),
    _column(
        "risk_category",
        PATIENT,
        True,
        _values(Patient.RiskCategory.choices),
        "can_get_pregnant",
        _("Assigned by the prescriber (R12)."),
        kind="choice",
        choices=tuple(Patient.RiskCategory.choices),
    ),
    _column(
        "consent_treatment_on",
        PATIENT,
        True,
        DAY,
        "2026-11-02",
        _("Not in the future, not before the date of birth."),
        kind="date",
    ),
    _column("reminder_consent", PATIENT, False, YES_NO, "yes", "", kind="yes_no"),
    _column(
        "reminder_channel",
        PATIENT,
        False,
        _values(Patient.ReminderChannel.choices),
        "email",
        _("Required with reminder_consent; email needs the email, sms the phone."),
        kind="choice",
        choices=tuple(Patient.ReminderChannel.choices),
    ),
    _column("notes", PATIENT, False, _("text"), "", ""),
    _column(
        "different_person",
        PATIENT,
        False,
        YES_NO,
        "no",
        _("yes: not the patient already enrolled with the same name and date of birth."),
        field="confirm_not_duplicate",
        kind="yes_no",
    ),
    _column(
        "guardian_full_name",
        GUARDIAN,
        False,
        _("text"),
        "Ana Lopez",
        _("Under 18: the guardian's name, relation, email or phone, consent and its day."),
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
    _column("guardian_email", GUARDIAN, False, _("email address"), "ana@example.org", ""),
    _column("guardian_phone", GUARDIAN, False, _("text"), "", _("Email or phone (at least one).")),
    _column("guardian_consent_given", GUARDIAN, False, YES_NO, "yes", "", kind="yes_no"),
    _column(
        "guardian_consent_on",
        GUARDIAN,
        False,
        DAY,
        "2026-11-02",
        _("Not in the future."),
        kind="date",
    ),
    _column(
        "guardian_receives_reminders",
        GUARDIAN,
        False,
        YES_NO,
        "no",
        _("yes needs the guardian's email."),
        kind="yes_no",
    ),
    _column(
        "course_start_date",
        COURSE,
        False,
        DAY,
        "2026-10-01",
        _("The current course: at most 140 days ago (R8). Importing a course takes a prescriber."),
        field="start_date",
        kind="date",
    ),
    _column(
        "baseline_weight_kg", COURSE, False, _("number"), "62.5", _("With a course: required.")
    ),
    _column(
        "baseline_nodule_count",
        COURSE,
        False,
        _("whole number"),
        "14",
        _("With a course: required."),
    ),
    _column(
        "formulation",
        COURSE,
        False,
        _values(FORMULATION_CHOICES),
        "conventional",
        _("With a course: required."),
        kind="choice",
        choices=tuple(FORMULATION_CHOICES),
    ),
    _column(
        "pregnancy_test_on",
        TEST,
        False,
        DAY,
        "2026-11-20",
        _("The specimen's day; not in the future."),
        field="specimen_date",
        kind="date",
    ),
    _column(
        "pregnancy_test_result",
        TEST,
        False,
        _values(PregnancyTest.Result.choices),
        "negative",
        _("With a test: required. A positive test is not imported with a course (R18)."),
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
        _("Left empty: medical."),
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
