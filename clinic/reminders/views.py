"""/healthz: whether the database and the broker answer, and when beat last ran a task."""

from celery import current_app as celery_app
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic.reminders.models import Heartbeat
from clinic.reminders.tasks import HEARTBEAT


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
            request, "reminders/healthz.html", {"health": body, "heartbeat": beat}, status=status
        )
    return JsonResponse(body, status=status)
