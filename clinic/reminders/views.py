"""/healthz: whether the database and the broker answer, and when beat last ran a task; and
the answer to any page while the database is away (handler500, clinic/urls.py)."""

import sys

from celery import current_app as celery_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults
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


# Seconds a browser or proxy is told to wait before trying again (Retry-After).
RETRY_AFTER_SECONDS = 10


def server_error(request):
    """Every uncaught error (handler500): a database that cannot be reached or gave up
    (restarted, failing over, cut off from this host, a lock not granted in time) answers 503,
    "try again shortly", with Retry-After; anything else stays Django's 500.

    A handler, not a middleware: Django turns an exception raised in any middleware into a
    response right where it happens, so no middleware sees a database error from the session
    or user look-ups; only this handler sees them all. The page reads nothing from the
    database, not even the user (the request may have failed reading it).
    """
    if not _database_away(sys.exc_info()[1]):
        return defaults.server_error(request)
    page = render_to_string("reminders/unavailable.html", {"brand_name": settings.SITE_NAME})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_away(error: BaseException | None, depth: int = 5) -> bool:
    """Whether `error` is, or was raised while handling, a lost or refused database
    connection (a few links down the chain at most: chains can loop)."""
    for _ in range(depth):
        if error is None:
            return False
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
    return False
