"""Checking each row of an import file with the forms staff fill in (issue 18, point 2).

A row is checked by the enrolment form itself (ImportRowForm is PatientForm, guardian fields
included), by the course start form when it has course cells, and by the pregnancy test form
when it has a test: the rules and the messages are the forms', not a copy. What differs:

- the prescriber is named by username or email (a file has no menu), looked up in one query
  for the whole file, not one per row;
- the registry's duplicates (an email already used; the same name and date of birth) are the
  form's own checks with its messages, run only for the rows whose email or identity the
  one query per file found in the registry, so a file of new patients asks nothing per row;
- duplicates within the file (an email or a name and date of birth of an earlier row);
- the course is the clinic's current one, so it may have started up to 140 days ago (R8: a
  course lasts at most 20 weeks) where the page allows a week; starting one takes a
  prescriber, as dosing.services.start_course says;
- a positive pregnancy test stops a course at once (R18): not imported together with one.

The result keeps every cell as read and {row number: {column: message}}; a row without
messages becomes the typed values the services take (RowEntry).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from clinic.accounts.roles import Role, has_role
from clinic.staff.forms.courses import CourseStartForm
from clinic.staff.forms.patients import PatientForm, prescriber_queryset
from clinic.staff.importing.columns import (
    BY_NAME,
    COURSE,
    GUARDIAN,
    PATIENT,
    REQUIRED,
    TEST,
    Column,
    header_name,
)
from clinic.staff.importing.reading import Sheet, Unreadable
from clinic.staff.views.pregnancy_tests import PregnancyTestForm
from dosing import rules
from registry.guardianship import GuardianEntry
from registry.models import Patient, PregnancyTest

# The messages are written into the batch in the uploader's language: the preview is theirs
# alone (views/imports.py), read back as it was checked.
ROW = "row"  # a message about the row as a whole, not one cell
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
CHUNK = 2000  # values per IN (...) when looking the file's emails and names up
CURRENT_COURSE_DAYS = 140  # R8: a course lasts at most 20 weeks
COURSE_NEEDS_PRESCRIBER = gettext_noop("Only a prescriber can start a course.")
POSITIVE_WITH_COURSE = gettext_noop(
    "A positive pregnancy test stops a course at once (R18): import this row without the "
    "course, and refer the patient."
)


@dataclass(frozen=True)
class RowEntry:
    """A row without problems, as the services take it."""

    number: int
    details: dict
    guardian: GuardianEntry | None
    course: dict | None
    test: dict | None


@dataclass
class Checked:
    columns: list[str]
    rows: list[list]  # [file row number, cell, cell, ...]
    problems: dict[str, dict[str, str]]  # {"row number": {column or ROW: message}}
    entries: list[RowEntry] = field(default_factory=list)


@dataclass
class Known:
    """What the registry already holds, read once for the whole file."""

    prescribers: dict[str, object]
    emails: set[str]
    identities: set[tuple[str, str, datetime.date]]


class PrescriberByName(forms.Field):
    """A prescriber named by username or email (case ignored), from the accounts read once."""

    def __init__(self, prescribers: dict, **kwargs):
        self.prescribers = prescribers
        super().__init__(**kwargs)

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        user = self.prescribers.get(text.lower())
        if user is None:
            raise forms.ValidationError(
                gettext_lazy("No active prescriber has the username or email %(name)s."),
                params={"name": text},
            )
        return user


class ImportRowForm(PatientForm):
    def __init__(self, data, *, known: Known):
        super().__init__(data)
        self.known = known
        if not isinstance(self.fields["prescriber"], PrescriberByName):
            self.fields["prescriber"] = PrescriberByName(known.prescribers)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email and email.lower() in self.known.emails:
            return super().clean_email()  # the form's own refusal, with its message
        return email

    def _check_same_person(self, data):
        if identity(data.get("first_name"), data.get("last_name"), data.get("date_of_birth")) in (
            self.known.identities
        ):
            super()._check_same_person(data)

    def _get_validation_exclusions(self):
        # The prescriber was found among the active prescribers already: the model's own
        # check of the foreign key would ask the database again for each row.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("prescriber")
        return exclusions


class ImportCourseForm(CourseStartForm):
    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        earliest = timezone.localdate() - datetime.timedelta(days=CURRENT_COURSE_DAYS)
        if day < earliest:
            raise forms.ValidationError(
                gettext_lazy(
                    "A course lasts at most 20 weeks (R8): one that started more than 140 days "
                    "ago has ended. Leave the course columns empty for this patient."
                )
            )
        return day


class _SharedFields(dict):
    """The fields of one prototype form, given to every row's form instead of a deep copy.
    Django copies a form's fields for each instance because a page's form may change its own;
    these forms are made, cleaned and dropped one at a time, and nothing in cleaning changes a
    field, so the copy (40% of a row's check) is skipped."""

    def __deepcopy__(self, memo):
        return self


def row_form_class(known: Known) -> type[ImportRowForm]:
    prototype = ImportRowForm(None, known=known)
    return type("RowForm", (ImportRowForm,), {"base_fields": _SharedFields(prototype.fields)})


def identity(first, last, born) -> tuple | None:
    if not (first and last and isinstance(born, datetime.date)):
        return None
    return (first.strip().lower(), last.strip().lower(), born)


def columns_of(headers: list[str]) -> list[str]:
    """The file's columns by name; refused as a whole when one is unknown, repeated or a
    required one is missing."""
    names = [header_name(text) for text in headers]
    unknown = [
        text or "(empty)" for text, name in zip(headers, names, strict=True) if name not in BY_NAME
    ]
    if unknown:
        raise Unreadable(
            _("Unknown column: %(columns)s. The columns are listed on this page.")
            % {"columns": ", ".join(unknown)}
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise Unreadable(
            _("A column appears twice: %(columns)s.") % {"columns": ", ".join(repeated)}
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise Unreadable(
            _("Required column missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return names


def check_sheet(sheet: Sheet, user) -> Checked:
    columns = columns_of(sheet.headers)
    known = _known(columns, sheet.rows)
    row_form = row_form_class(known)
    may_start_courses = has_role(user, Role.PRESCRIBER)
    checked = Checked(columns=columns, rows=[], problems={})
    seen_emails: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    for number, cells in zip(sheet.numbers, sheet.rows, strict=True):
        checked.rows.append([number, *cells])
        values = dict(zip(columns, cells, strict=True))
        problems: dict[str, list[str]] = {}
        entry = _check_row(number, values, row_form, known, may_start_courses, problems)
        _within_file(number, values, seen_emails, seen_people, problems)
        if problems:
            checked.problems[str(number)] = _by_cell(problems, columns)
        elif entry is not None:
            checked.entries.append(entry)
    return checked


def _by_cell(problems: dict[str, list[str]], columns: list[str]) -> dict[str, str]:
    """Each message next to its cell; one about a column the file does not have (the guardian's
    consent when the file has no such column) is about the row."""
    cells: dict[str, list[str]] = {}
    for key, messages in problems.items():
        cells.setdefault(key if key in columns else ROW, []).extend(messages)
    return {key: " ".join(messages) for key, messages in cells.items()}


def _known(columns: list[str], rows: list[list[str]]) -> Known:
    prescribers = {}
    for user in prescriber_queryset():
        prescribers[user.get_username().lower()] = user
        if user.email:
            prescribers.setdefault(user.email.lower(), user)
    at = {name: index for index, name in enumerate(columns)}
    emails = sorted(
        {row[at["email"]].lower() for row in rows if "email" in at and row[at["email"]]}
    )
    lasts = sorted({row[at["last_name"]].strip().lower() for row in rows if row[at["last_name"]]})
    known_emails: set[str] = set()
    for start in range(0, len(emails), CHUNK):
        known_emails.update(
            Patient.objects.annotate(low=Lower("email"))
            .filter(low__in=emails[start : start + CHUNK])
            .values_list("low", flat=True)
        )
    identities: set[tuple] = set()
    for start in range(0, len(lasts), CHUNK):
        identities.update(
            Patient.objects.annotate(first=Lower("first_name"), last=Lower("last_name"))
            .filter(last__in=lasts[start : start + CHUNK])
            .values_list("first", "last", "date_of_birth")
        )
    return Known(prescribers=prescribers, emails=known_emails, identities=identities)


def _form_data(values: dict, part: str, problems: dict) -> dict:
    """The row's cells of one part as a form's data: dates checked for YYYY-MM-DD, yes and
    no as a ticked or unticked box, a choice's label taken for its value."""
    data = {}
    for name, text in values.items():
        column: Column = BY_NAME[name]
        if column.part != part:
            continue
        if column.kind == "date" and text and not ISO_DAY.match(text):
            problems.setdefault(name, []).append(
                _("Write the date as YYYY-MM-DD, e.g. 2007-05-17.")
            )
            continue
        if column.kind == "yes_no":
            if text.lower() in YES:
                data[column.field] = "on"
            elif text.lower() not in NO:
                problems.setdefault(name, []).append(_("Write yes or no."))
            continue
        if column.kind == "choice":
            text = _choice_value(column, text)
        data[column.field] = text
    return data


def _choice_value(column: Column, text: str) -> str:
    for value, label in column.choices:
        if text.lower() in (str(value).lower(), str(label).lower()):
            return value
    return text


def _put(form: forms.BaseForm, part: str, problems: dict, written: set[str]) -> None:
    """The form's messages next to the cells of the fields they are about; not for a cell
    whose text could not be given to the form (`written` wrong: "17/05/2007" is not a date
    the form was sent, and "This field is required" would say the wrong thing)."""
    cell_of = {BY_NAME[n].field: n for n in BY_NAME if BY_NAME[n].part in (part, GUARDIAN)}
    for name, errors in form.errors.items():
        column = cell_of.get(name, ROW)
        if column in written:
            continue
        for message in errors:
            problems.setdefault(column, []).append(strip_tags(str(message)))


def _has_part(values: dict, part: str) -> bool:
    return any(text for name, text in values.items() if BY_NAME[name].part == part)


def _check_row(number, values, row_form, known, may_start_courses, problems) -> RowEntry | None:
    patient_data = _form_data(values, PATIENT, problems)
    patient_data.update(_form_data(values, GUARDIAN, problems))
    patient_form = row_form(patient_data, known=known)
    written = set(problems)  # cells already refused as written (a date, yes or no)
    if not patient_form.is_valid():
        _put(patient_form, PATIENT, problems, written)
    course = test = None
    if _has_part(values, COURSE):
        course_data = {"target_mg_per_kg": str(rules.DEFAULT_TARGET_MG_PER_KG)}
        course_data.update(_form_data(values, COURSE, problems))
        written = set(problems)
        course_form = ImportCourseForm(course_data)
        if not may_start_courses:
            problems.setdefault("course_start_date", []).append(_(COURSE_NEEDS_PRESCRIBER))
        elif course_form.is_valid():
            course = dict(course_form.cleaned_data)
        else:
            _put(course_form, COURSE, problems, written)
    if _has_part(values, TEST):
        test_data = {"setting": PregnancyTest.Setting.MEDICAL}
        test_data.update(_form_data(values, TEST, problems))
        written = set(problems)
        test_form = PregnancyTestForm(test_data)
        if test_form.is_valid():
            test = dict(test_form.cleaned_data)
            if test["result"] == PregnancyTest.Result.POSITIVE and _has_part(values, COURSE):
                problems.setdefault("pregnancy_test_result", []).append(_(POSITIVE_WITH_COURSE))
        else:
            _put(test_form, TEST, problems, written)
    if problems:
        return None
    return RowEntry(
        number=number,
        details=patient_form.details(),
        guardian=patient_form.guardian_entry(),
        course=course,
        test=test,
    )


def _within_file(number, values, seen_emails, seen_people, problems) -> None:
    """An email, or a name and date of birth, that an earlier row of the file has."""
    email = values.get("email", "").strip().lower()
    if email:
        if email in seen_emails:
            problems.setdefault("email", []).append(
                _("Row %(row)s of this file has the same email.") % {"row": seen_emails[email]}
            )
        else:
            seen_emails[email] = number
    born = _day(values.get("date_of_birth", ""))
    person = identity(values.get("first_name"), values.get("last_name"), born)
    if person is None or values.get("different_person", "").lower() in YES:
        return
    if person in seen_people:
        problems.setdefault("date_of_birth", []).append(
            _("Row %(row)s of this file has the same name and date of birth.")
            % {"row": seen_people[person]}
        )
    else:
        seen_people[person] = number


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if ISO_DAY.match(text) else None
    except ValueError:
        return None
