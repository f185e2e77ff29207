"""Staff pages for reminders: a patient's send log, the failed list and Retry."""

import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.reminders.models import Reminder
from clinic.staff.access import get_patient_for, get_reminder_for
from clinic.staff.access_log import log_page
from clinic.staff.paging import page_table
from clinic.staff.tables.reminders import FailedReminderTable, ReminderLogTable

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


@role_required(*STAFF_ROLES)
def patient_reminders(request, pk):
    patient = get_patient_for(request.user, pk)
    log_page(request, patient, "Reminder send log")
    table = ReminderLogTable(Reminder.objects.filter(patient=patient).select_related("patient"))
    links = page_table(request, table, PAGE_SIZE)
    context = {"patient": patient, "table": table, "links": links, "page_size": PAGE_SIZE}
    return render(request, "staff/reminder_log.html", context)


@role_required(*STAFF_ROLES)
def failed_reminders(request):
    rows = Reminder.objects.filter(status=Reminder.Status.FAILED).select_related("patient")
    table = FailedReminderTable(rows)
    links = page_table(request, table, PAGE_SIZE)
    context = {"table": table, "links": links, "page_size": PAGE_SIZE}
    return render(request, "staff/reminder_failed.html", context)


@role_required(*STAFF_ROLES)
@require_POST
def retry_reminder(request, pk):
    """A failed reminder goes back to the queue now, its attempts kept (so one more try)."""
    reminder = get_reminder_for(request.user, pk)
    retried = Reminder.objects.filter(pk=pk, status=Reminder.Status.FAILED).update(
        status=Reminder.Status.SCHEDULED, next_attempt_at=timezone.now()
    )
    if retried:
        logger.info("reminder %s put back in the queue by user %s", pk, request.user.pk)
        messages.success(
            request,
            _("The %(kind)s reminder will be sent again within a minute.")
            % {"kind": reminder.get_kind_display().lower()},
        )
    else:
        messages.info(request, _("That reminder has not failed (any more); nothing to retry."))
    return redirect("staff:reminders-failed")
