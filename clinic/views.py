"""Clinic views: the role-based home redirect, the staff worklist, /healthz.

The patient portal lives in clinic/portal_views.py; its start page is re-exported here for
clinic/urls.py ("portal-home").
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic import worklist
from clinic.celery import app as celery_app
from clinic.models import Heartbeat
from clinic.navigation import START_PAGE_BY_ROLE
from clinic.portal_views import portal_home  # noqa: F401  ("portal-home" in clinic/urls.py)
from clinic.tasks import HEARTBEAT
from registry.roles import STAFF_ROLES, primary_role, role_required


@login_required
def home(request):
    """Send each role to its own start page."""
    role = primary_role(request.user)
    if role is None:
        return render(request, "clinic/no_role.html", status=403)
    return redirect(START_PAGE_BY_ROLE[role])


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
        template = f"clinic/worklist/_{'visits' if key in VISIT_SECTIONS else key}.html"
        sections.append(
            {"key": key, "title": title, "count": count, "rows": rows, "template": template}
        )
    return render(request, "clinic/worklist.html", {"sections": sections, "today": today})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        return False


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers and people: 200 when database and broker answer, else 503.

    Shows no patient data, so it needs no login.
    """
    database = _database_ok()
    broker = _broker_ok()
    beat = None
    if database:
        beat = (
            Heartbeat.objects.filter(name=HEARTBEAT).values_list("last_run_at", flat=True).first()
        )
    body = {
        "status": "ok" if database and broker else "unavailable",
        "database": "ok" if database else "unavailable",
        "broker": "ok" if broker else "unavailable",
        "heartbeat_last_run_at": beat.isoformat() if beat else None,
    }
    status = 200 if database and broker else 503
    if "text/html" in request.headers.get("Accept", ""):
        return render(
            request, "clinic/healthz.html", {"health": body, "heartbeat": beat}, status=status
        )
    return JsonResponse(body, status=status)
