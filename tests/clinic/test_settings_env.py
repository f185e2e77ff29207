"""Settings come from the environment through helpers that refuse malformed values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.env import env_bool, env_database, env_email, env_int, env_list, env_timezone

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("Yes", True)])
def test_env_bool_reads_yes_and_no(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("DEBUG_X", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG_X='ture'"):
        env_bool("DEBUG_X", False)


def test_env_int_refuses_units_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("IDLE", "15m")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("IDLE", 15)
    monkeypatch.setenv("IDLE", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("IDLE", 15, minimum=1)


def test_env_list_refuses_empty_items(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example.org,,b.example.org")
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        env_list("HOSTS", [])
    monkeypatch.setenv("HOSTS", "a.example.org, b.example.org")
    assert env_list("HOSTS", []) == ["a.example.org", "b.example.org"]


def test_env_timezone_refuses_an_unknown_zone(monkeypatch):
    monkeypatch.setenv("TZ_X", "Europe/Pari")
    with pytest.raises(ImproperlyConfigured, match="IANA time zone"):
        env_timezone("TZ_X", "UTC")
    monkeypatch.setenv("TZ_X", "America/Chicago")
    assert env_timezone("TZ_X", "UTC") == "America/Chicago"


def test_env_database_reads_postgres_and_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("DB_X", "postgres://clinic:pw@db.internal:5433/clinic")
    config = env_database("DB_X", "sqlite:///x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "clinic")
    monkeypatch.setenv("DB_X", "nosuchdb://x")
    with pytest.raises(ImproperlyConfigured):
        env_database("DB_X", "sqlite:///x")


def test_env_email_defaults_to_the_console_and_reads_smtp(monkeypatch):
    assert env_email("MAIL_X", "consolemail://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    monkeypatch.setenv("MAIL_X", "smtp+tls://user:secret@smtp.example.org:587")
    config = env_email("MAIL_X", "consolemail://")
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_HOST"] == "smtp.example.org"


# Test-process settings that must not leak into a "production" subprocess.
UNSET = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS"}


def _manage(args, **env):
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    base.update({"DJANGO_SETTINGS_MODULE": "clinic.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _manage(["check"], DEBUG="false", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="clinic.example.org",
        VAR_DIR=str(tmp_path),
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_behind_the_proxy_the_login_throttle_reads_the_client_address_the_proxy_sets(tmp_path):
    show = "from django.conf import settings; print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER)"
    common = {"DEBUG": "true", "VAR_DIR": str(tmp_path)}
    direct = _manage(["shell", "--no-imports", "-c", show], **common)
    proxied = _manage(["shell", "--no-imports", "-c", show], BEHIND_TLS_PROXY="true", **common)
    assert direct.stdout.strip() == "('REMOTE_ADDR',)", direct.stderr
    assert proxied.stdout.strip() == "('HTTP_X_REAL_IP', 'REMOTE_ADDR')", proxied.stderr
