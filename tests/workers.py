"""What a real Celery worker (or beat) started by a test needs: production settings, pointed
at the test database the test itself reads, on a broker and queue of the test's choosing."""

from __future__ import annotations

import os
import secrets

from django.db import connection

# Test-process settings that must not reach a "production" subprocess.
NOT_INHERITED = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}


def worker_database_url() -> str:
    """A DATABASE_URL for the database the running test uses (test_* or the SQLite file)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(*, broker_url: str, var_dir, **extra: str) -> dict[str, str]:
    """The environment of a worker subprocess; `extra` adds or overrides settings."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=broker_url,
        VAR_DIR=str(var_dir),  # its own broker folders and beat schedule file
    )
    env.update(extra)
    return env
