"""The staff worklist: what needs attention today across the clinic, most urgent first."""

from django.shortcuts import render
from django.utils import timezone

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff import worklist

VISIT_SECTIONS = {"today", "week", "overdue"}


@role_required(*STAFF_ROLES)
def staff_worklist(request):
    """What needs attention today across the clinic, most urgent first."""
    today = timezone.localdate()
    sections = []
    for key, title, (rows, count) in (
        ("flags", "Open flags", worklist.bounded(worklist.open_flags())),
        ("today", "Visits planned today", worklist.bounded(worklist.planned_visits(today, 1))),
        ("week", "Visits planned this week", worklist.bounded(worklist.planned_visits(today, 7))),
        ("overdue", "Overdue follow-ups", worklist.bounded(worklist.overdue_follow_ups(today))),
        (
            "windows",
            "Pick-up windows closing within 2 days",
            worklist.bounded(worklist.closing_windows(today)),
        ),
        (
            "failed",
            "Reminders that could not be sent",
            worklist.bounded(worklist.failed_reminders()),
        ),
    ):
        template = f"staff/worklist/_{'visits' if key in VISIT_SECTIONS else key}.html"
        sections.append(
            {"key": key, "title": title, "count": count, "rows": rows, "template": template}
        )
    return render(request, "staff/worklist.html", {"sections": sections, "today": today})
