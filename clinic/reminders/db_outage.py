"""Riding out a database that goes away for a moment (a restart, a fail-over, a long lock).

The reminder sender must not lose track of a message the mail server has accepted: if the
database is away when it records "sent", leaving the row in flight means the sweeper later
returns it to the queue and the patient gets it twice. So the sender's database steps wait
for the database, up to DB_OUTAGE_PATIENCE_SECONDS, and only then give up (the sweeper is
the last resort). Only statements outside a transaction are retried: inside one, the
transaction is lost with the connection and must be retried as a whole by its caller.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_WAIT = 0.1
LONGEST_WAIT = 2.0


def outlasting_outages(step: Callable[..., T], *args, what: str) -> T:
    """Run `step(*args)`; while the database is unreachable or locked, reconnect and run it again.

    `step` must be safe to repeat: a statement whose effect may have been committed before
    the connection broke is run again (the reminder writes are conditional UPDATEs, so a
    repeat changes nothing).
    """
    deadline = time.monotonic() + settings.DB_OUTAGE_PATIENCE_SECONDS
    wait = FIRST_WAIT
    while True:
        try:
            return step(*args)
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + wait > deadline:
                raise
            logger.warning(
                "database unavailable while %s (%s); trying again in %.1f s",
                what,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                wait,
            )
            with contextlib.suppress(Exception):  # closing a dead connection may fail too
                connection.close()
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)
