"""Reminders listen to what dosing and monitoring announce (dosing.signals,
clinic.monitoring.signals) and keep the outbox in step, in the same transaction as the change.

Connected in RemindersConfig.ready(): whoever writes a prescription or a visit, ends a course
or voids a supply (a page, a withdrawal, a positive test, a risk category change, the demo
data), the reminders follow without the caller having to remember them.
"""

from django.dispatch import receiver

from clinic.monitoring.signals import appointment_changed, visit_recorded
from clinic.reminders.schedule import (
    schedule_appointment_reminders,
    schedule_course_end_reminders,
    schedule_month_two_labs_reminder,
    schedule_prescription_reminders,
    schedule_visit_reminders,
)
from dosing.signals import course_ended, prescription_written, supply_voided


@receiver(prescription_written, dispatch_uid="reminders_prescription_written")
def prescription_written_reminders(sender, *, prescription, **kwargs):
    schedule_prescription_reminders(prescription)
    schedule_month_two_labs_reminder(prescription.course)


@receiver(supply_voided, dispatch_uid="reminders_supply_voided")
def supply_voided_reminders(sender, *, prescription, **kwargs):
    # A voided prescription wants no pick-up reminder: its open one is cancelled.
    schedule_prescription_reminders(prescription)


@receiver(course_ended, dispatch_uid="reminders_course_ended")
def course_ended_reminders(sender, *, course, **kwargs):
    schedule_course_end_reminders(course)
    schedule_month_two_labs_reminder(course)  # cancels the open one


@receiver(visit_recorded, dispatch_uid="reminders_visit_recorded")
def visit_recorded_reminders(sender, *, visit, **kwargs):
    schedule_visit_reminders(visit)
    if visit.course_id is not None:
        # Labs drawn at this visit cancel the month-2 labs reminder; a first visit writes it.
        schedule_month_two_labs_reminder(visit.course)


@receiver(appointment_changed, dispatch_uid="reminders_appointment_changed")
def appointment_changed_reminders(sender, *, appointment, **kwargs):
    schedule_appointment_reminders(appointment)
