"""The audit helpers: who changed what (django-simple-history), and who looked at what.

`record_access` writes the access log (RecordAccess, HIPAA 164.312(b)): one INSERT per page or
export that shows a patient's record. `history_entries` reads the change history. It works on
any model with `history = HistoricalRecords()`; later apps reuse it for courses and
visits. A fixed number of queries however many entries: history rows are diffed in memory
(consecutive rows of one object), and users named in foreign keys are fetched in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _


def changed_by(record, user, reason: str = ""):
    """Tell simple-history who changes `record` (and why), also outside a request (services,
    tasks). The one way the project attributes a change: every service calls it before save."""
    record._history_user = user
    if reason:
        record._change_reason = reason
    return record


def record_access(user, patient, kind: str, what: str, detail: dict | None = None):
    """Log that `user` was shown `patient`'s record (a Patient, its pk, or None for a bulk
    export) on `what` ("Patient page"): exactly one INSERT, nothing read first, so a page pays
    the same whatever it lists. `detail` says what was asked (an export's filter), never the
    rows shown. `kind` is a RecordAccess.Kind."""
    # Imported here, not at the top: registry.models imports this module (changed_by) while it
    # loads, so a top-level import would be a cycle within the app.
    from registry.models.access import RecordAccess

    return RecordAccess.objects.create(
        user=user,
        patient_id=getattr(patient, "pk", patient),
        kind=kind,
        what=what[: RecordAccess._meta.get_field("what").max_length],
        detail=detail or {},
    )


# The words a history entry shows (lazy: said in the reader's language when the page is drawn);
# what simple-history stores is its own "+", "~", "-".
ACTIONS = {"+": _("Created"), "~": _("Changed"), "-": _("Removed")}
IGNORED_FIELDS = {"id", "registry_id", "status_changed_at", "enrolled_at", "reminder_consent_on"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    username: str = ""  # "" for a change made by the system (a task, a migration)


def _display(model_field: models.Field, value, users: dict) -> str:
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey) and model_field.related_model is get_user_model():
        return users.get(value, f"user {value}")
    if isinstance(model_field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(model_field, models.DateField) and hasattr(value, "strftime"):
        return value.strftime("%-d %b %Y")
    return str(value)


def history_entries(records, model, subject, *, limit: int | None = 50) -> list[HistoryEntry]:
    """Entries for `records` (historical rows of one or more objects of `model`), newest first
    (`limit` of them, or all for None).

    `subject(record)` names what the entry is about ("Patient record", "Oral antibiotics").
    """
    rows = list(records.select_related("history_user").order_by("history_date", "history_id"))
    tracked = [f for f in model._meta.concrete_fields if f.name not in IGNORED_FIELDS]
    user_ids = {
        getattr(row, f.attname)
        for row in rows
        for f in tracked
        if isinstance(f, models.ForeignKey) and f.related_model is get_user_model()
    } - {None}
    users = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=user_ids)
    }
    previous_by_object: dict = {}
    entries: list[HistoryEntry] = []
    for row in rows:
        object_id = row.id
        before = previous_by_object.get(object_id)
        changes = []
        if row.history_type == "~" and before is not None:
            for f in tracked:
                old, new = getattr(before, f.attname), getattr(row, f.attname)
                if old != new:
                    changes.append(
                        Change(
                            f.verbose_name.capitalize(),
                            _display(f, old, users),
                            _display(f, new, users),
                        )
                    )
            if not changes:
                previous_by_object[object_id] = row
                continue  # a save that changed nothing a person would care about
        who = (
            row.history_user.get_full_name() or row.history_user.get_username()
            if (row.history_user)
            else "system"
        )
        entries.append(
            HistoryEntry(
                row.history_date,
                who,
                ACTIONS[row.history_type],
                subject(row),
                changes,
                row.history_user.get_username() if row.history_user else "",
            )
        )
        previous_by_object[object_id] = row
    entries.reverse()
    return entries[:limit]
