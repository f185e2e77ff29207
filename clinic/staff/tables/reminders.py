"""Tables of reminder rows for staff: a patient's send log and the failed list."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.reminders.models import Reminder
from clinic.staff.tables.columns import DateTimeColumn
from clinic.staff.tables.fast_rows import FastRowsTable

STATUS_BADGE = {
    Reminder.Status.SENT: "text-bg-success",
    Reminder.Status.FAILED: "text-bg-danger",
    Reminder.Status.IN_FLIGHT: "text-bg-info",
    Reminder.Status.SKIPPED: "text-bg-warning",
    Reminder.Status.CANCELLED: "text-bg-secondary",
}
WHEN = "j M Y H:i"


class ReminderLogTable(FastRowsTable):
    """Every reminder row of one patient: what, when due, what happened."""

    kind = tables.Column(verbose_name=_("Reminder"))
    due_at = DateTimeColumn(verbose_name=_("Due"), format=WHEN)
    # empty_values=(): a text to a patient without an email address still says where it went.
    recipient = tables.Column(verbose_name=_("To"), orderable=False, empty_values=())
    status = tables.Column(verbose_name=_("Status"))
    attempts = tables.Column(verbose_name=_("Attempts"))
    sent_at = DateTimeColumn(verbose_name=_("Sent at"), format=WHEN)
    last_error = tables.Column(verbose_name=_("Last error or reason"), orderable=False)

    class Meta(FastRowsTable.Meta):
        model = Reminder
        fields = []
        sequence = ["kind", "due_at", "recipient", "status", "attempts", "sent_at", "last_error"]
        attrs = {"class": "table table-sm align-middle", "data-testid": "reminder-log"}
        order_by = ("-due_at",)
        empty_text = _("No reminder has been written for this patient.")

    def render_kind(self, record):
        return record.get_kind_display()

    def render_recipient(self, record, value):
        # A text message (docs/SMS.md): the number it went to and the provider's message id.
        if record.context.get("channel") == "sms":
            provider = record.context.get("provider_id")
            to = record.context.get("sms_to", "")
            if provider:
                return gettext("Text to %(number)s (provider id %(provider)s)") % {
                    "number": to,
                    "provider": provider,
                }
            return gettext("Text to %(number)s") % {"number": to}
        return value or "—"

    def render_status(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            STATUS_BADGE.get(record.status, "text-bg-light border"),
            record.get_status_display(),
        )


class FailedReminderTable(FastRowsTable):
    """Reminders that failed after their last attempt, each with a Retry button."""

    who = tables.Column(verbose_name=_("For"), accessor="patient", orderable=False)
    kind = tables.Column(verbose_name=_("Reminder"))
    recipient = tables.Column(verbose_name=_("To"), orderable=False)
    due_at = DateTimeColumn(verbose_name=_("Due"), format=WHEN)
    attempts = tables.Column(verbose_name=_("Attempts"))
    last_error = tables.Column(verbose_name=_("Last error"), orderable=False)
    retry = tables.TemplateColumn(
        template_name="staff/reminder_retry_button.html",
        verbose_name="",
        orderable=False,
        empty_values=(),
    )

    class Meta(FastRowsTable.Meta):
        model = Reminder
        fields = []
        sequence = ["who", "kind", "recipient", "due_at", "attempts", "last_error", "retry"]
        attrs = {"class": "table table-sm align-middle", "data-testid": "failed-reminders"}
        order_by = ("due_at",)
        empty_text = _("No reminder has failed.")

    def render_who(self, value):
        return format_html(
            '<a href="{}">{}</a> <span class="font-monospace small">{}</span>',
            reverse("staff:patient-reminders", args=[value.pk]),
            value.full_name,
            value.registry_id,
        )

    def render_kind(self, record):
        return record.get_kind_display()
