"""Writing reminder rows (the outbox). Called inside the transaction of the change that causes
them, so a reminder exists exactly when its cause was committed.

Being built: the functions below are the interface the visit and prescription code calls.
"""

from __future__ import annotations


def schedule_visit_reminders(visit) -> None:
    """Follow-up visit reminders (3 days before and on the morning of visit.next_follow_up)
    and, for a patient who can get pregnant, a pregnancy-test-due reminder before it.
    Cancels and replaces the open reminders of the patient's earlier planned follow-up."""


def schedule_prescription_reminders(prescription) -> None:
    """Pick-up window closing (day 5 of a 7-day window, or 2 days before a 30-day window
    closes) for the patient of `prescription`."""
