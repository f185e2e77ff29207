"""The audit page for registry admins (issue 16, HIPAA 164.312(b)): who looked at patients'
records (the access log) and what changed in a patient's record (django-simple-history),
under one filter: patient registry ID, user, dates and kind.

"Who looked" is the refused actions page's shape: a django-tables2 table of RecordAccess, paged
by keyset, exported as CSV or XLSX. "What changed" needs a patient (it is one patient's record
across the apps that hold it); the user and date filters narrow it too, the kind filter is the
access log's own.
"""

from __future__ import annotations

import datetime

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clinic.accounts.roles import Role, role_required
from clinic.monitoring.models import CourseFlag, Visit
from clinic.staff.access_log import log_export, log_page
from clinic.staff.paging import filtered_list
from clinic.staff.tables.audit import AccessFilter, AccessTable
from clinic.staff.tables.refusals import day_start
from dosing.models import Dispense, Prescription, TreatmentCourse
from registry.audit import history_entries
from registry.models import (
    Guardian,
    MonthlyConfirmation,
    Patient,
    PregnancyTest,
    PriorTreatment,
    RecordAccess,
)
from registry.registry_id import format_id, normalize

PAGE_SIZE = 50
# The latest changes shown; the date filters reach earlier ones.
CHANGES_SHOWN = 200


def _day(value) -> str:
    return dateformat.format(value, "j M Y") if value else _("no date")


# Each tracked part of a patient's record: its model, its history rows of one patient, and
# what an entry is about, in the row's own fields (no query per row), in the reader's language.
RECORD_PARTS = (
    (Patient, lambda p: Patient.history.filter(id=p.pk), lambda row: _("Patient record")),
    (
        PriorTreatment,
        lambda p: PriorTreatment.history.filter(patient_id=p.pk),
        lambda row: _("Prior treatment: %(kind)s") % {"kind": row.get_kind_display()},
    ),
    (Guardian, lambda p: Guardian.history.filter(patient_id=p.pk), lambda row: _("Guardian")),
    (
        PregnancyTest,
        lambda p: PregnancyTest.history.filter(patient_id=p.pk),
        lambda row: _("Pregnancy test of %(day)s") % {"day": _day(row.specimen_date)},
    ),
    (
        MonthlyConfirmation,
        lambda p: MonthlyConfirmation.history.filter(patient_id=p.pk),
        lambda row: _("Monthly confirmation of %(day)s") % {"day": _day(row.confirmed_on)},
    ),
    (
        TreatmentCourse,
        lambda p: TreatmentCourse.history.filter(patient_id=p.pk),
        lambda row: _("Course %(number)s") % {"number": row.number},
    ),
    (
        Prescription,
        lambda p: Prescription.history.filter(course__patient_id=p.pk),
        lambda row: _("Prescription of %(day)s") % {"day": _day(row.prescribed_on)},
    ),
    (
        Dispense,
        lambda p: Dispense.history.filter(prescription__course__patient_id=p.pk),
        lambda row: _("Dispense %(number)s") % {"number": row.authorization_number},
    ),
    (
        Visit,
        lambda p: Visit.history.filter(patient_id=p.pk),
        lambda row: _("Visit of %(day)s") % {"day": _day(row.visit_date)},
    ),
    (
        CourseFlag,
        lambda p: CourseFlag.history.filter(course__patient_id=p.pk),
        lambda row: _("Flag: %(kind)s") % {"kind": row.get_kind_display()},
    ),
)


def changes_of(patient: Patient, asked: dict) -> tuple[list, bool]:
    """The patient's change history across its records, newest first, narrowed by the
    filter's user and dates; and whether there were more than CHANGES_SHOWN. Two queries per
    part of the record (its rows, the users they name) however long the history: a change is
    diffed against the one before it, so every row of the patient is read, then filtered."""
    entries = []
    for model, rows, subject in RECORD_PARTS:
        entries += history_entries(rows(patient), model, subject, limit=None)
    username = (asked.get("user") or "").strip().lower()
    start = day_start(asked["date_from"]) if _bounded(asked.get("date_from")) else None
    end = (
        day_start(asked["date_to"] + datetime.timedelta(days=1))
        if _bounded(asked.get("date_to"))
        else None
    )
    entries = [
        entry
        for entry in entries
        if (not username or username in entry.username.lower())
        and (start is None or entry.when >= start)
        and (end is None or entry.when < end)
    ]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:CHANGES_SHOWN], len(entries) > CHANGES_SHOWN


def _bounded(day) -> bool:
    """A date that limits (the first and last years a date input allows mean no limit, as in
    RefusalFilter)."""
    return day is not None and datetime.MINYEAR < day.year < datetime.MAXYEAR


@role_required(Role.REGISTRY_ADMIN)
@require_GET
def audit(request):
    queryset = RecordAccess.objects.select_related("user", "patient")
    access_filter = AccessFilter(request.GET, queryset=queryset)
    # A registry ID with a wrong check character shows its message and nothing else.
    valid = access_filter.is_valid()
    table = AccessTable(access_filter.qs if valid else queryset.none())

    def what_changed() -> dict:
        """The patient's change history, when the filter names a patient."""
        asked = access_filter.form.cleaned_data if valid else {}
        patient, changes, more = None, [], False
        if asked.get("patient"):
            registry_id = format_id(normalize(asked["patient"]))
            patient = Patient.objects.filter(registry_id=registry_id).first()
        if patient is not None:
            changes, more = changes_of(patient, asked)
            # The changes shown are the patient's record (names, dates, results): logged.
            log_page(request, patient, "Audit page")
        return {
            "patient": patient,
            "patient_asked": bool(asked.get("patient")),
            "changes": changes,
            "more_changes": more,
            "changes_shown": CHANGES_SHOWN,
        }

    response = filtered_list(
        request,
        "staff/audit.html",
        table,
        access_filter,
        filename="access-log.csv",
        size=PAGE_SIZE,
        more=what_changed,
    )
    log_export(request, response, "Access log export")
    return response
