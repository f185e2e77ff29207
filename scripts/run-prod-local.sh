#!/usr/bin/env bash
# The production shape on this machine, on loopback only (`make run-prod-local`):
# PostgreSQL (the server already running here), a Redis of its own, gunicorn (2 processes of
# 4 threads), 2 Celery workers and exactly 1 beat, with DEBUG off and a generated SECRET_KEY.
# honcho runs the processes of Procfile.prod-local in the foreground; Ctrl-C or SIGTERM
# stops every one of them.
#
#   scripts/run-prod-local.sh                  prepare, then start everything
#   scripts/run-prod-local.sh manage ARGS...   manage.py with the same settings, e.g.
#                                              `scripts/run-prod-local.sh manage createsuperuser`
#
# Settings, all optional (tests/reliability/test_prod_local_shape.py sets every one):
#   PROD_LOCAL_DATABASE_URL  postgres://clinic:clinic@127.0.0.1:5432/clinic_prodlocal
#                            (created if missing; any DATABASE_URL the shell has is ignored)
#   PROD_LOCAL_WEB_PORT      8000
#   PROD_LOCAL_REDIS_PORT    6391; a Redis already answering there is used, not started
#   PROD_LOCAL_VAR_DIR       var/prod-local: secret key, Redis data, beat schedule
#   PROD_LOCAL_BEAT_APP      clinic; the test passes a module with a one-second beat
#   PROD_LOCAL_BIN           .venv/bin: where python, gunicorn, celery and honcho are
#   EMAIL_URL                consolemail:// (the workers print each message);
#                            e.g. smtp://127.0.0.1:1025 to hand them to a mail server
#   STATIC_ROOT              staticfiles/: collectstatic writes there, WhiteNoise serves it
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BIN=${PROD_LOCAL_BIN:-$ROOT/.venv/bin}
VAR=${PROD_LOCAL_VAR_DIR:-$ROOT/var/prod-local}
WEB_PORT=${PROD_LOCAL_WEB_PORT:-8000}
REDIS_PORT=${PROD_LOCAL_REDIS_PORT:-6391}
DB_URL=${PROD_LOCAL_DATABASE_URL:-postgres://clinic:clinic@127.0.0.1:5432/clinic_prodlocal}

say() { printf '== %s\n' "$*"; }
hide_password() { printf '%s' "$1" | sed -E 's#//([^:@/]*):[^@]*@#//\1:***@#'; }
die() { printf 'run-prod-local: %s\n' "$*" >&2; exit 1; }

[[ -x $BIN/python && -x $BIN/honcho ]] \
  || die "no $BIN/python or $BIN/honcho; run \`make run-prod-local\` (it installs them)"
mkdir -p "$VAR/redis"
VAR=$(cd "$VAR" && pwd)

# A secret of this installation: made once, kept in the var dir, readable by this user only.
if [[ ! -s $VAR/secret_key ]]; then
  (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' \
    >"$VAR/secret_key.new" && mv "$VAR/secret_key.new" "$VAR/secret_key")
  say "generated a SECRET_KEY in $VAR/secret_key"
fi

# Production settings (README, "Configuration"), set here so nothing in the shell leaks in.
export DJANGO_SETTINGS_MODULE=clinic.settings
export DEBUG=false
SECRET_KEY=$(<"$VAR/secret_key")
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
# There is no TLS on loopback: with these on, every page would redirect to https:// and the
# browser would never send the session and CSRF cookies back over plain http. A real
# deployment keeps both on (their default when DEBUG is off) behind a TLS proxy.
export SECURE_SSL_REDIRECT=false
export SECURE_COOKIES=false
export BEHIND_TLS_PROXY=false
export DATABASE_URL=$DB_URL
export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export EMAIL_URL=${EMAIL_URL:-consolemail://}
export VAR_DIR=$VAR
export PROD_LOCAL_WEB_PORT=$WEB_PORT
export PROD_LOCAL_REDIS_PORT=$REDIS_PORT
export PROD_LOCAL_REDIS_DIR=$VAR/redis
export PROD_LOCAL_BEAT_APP=${PROD_LOCAL_BEAT_APP:-clinic}
export PATH=$BIN:$PATH
export PYTHONUNBUFFERED=1  # log lines reach honcho (and a test reading them) at once

if [[ ${1:-} == manage ]]; then
  shift
  exec "$BIN/python" manage.py "$@"
fi

# PostgreSQL: the database is created when missing (the role needs CREATEDB).
if [[ $DATABASE_URL == postgres://* || $DATABASE_URL == postgresql://* ]]; then
  "$BIN/python" - <<'PY' || die "PostgreSQL is not ready (see above)"
import os
import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

params = conninfo_to_dict(os.environ["DATABASE_URL"])
name = params["dbname"]
try:
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"== created database {name}")
except psycopg.Error as exc:
    sys.exit(f"cannot reach or create database {name}: {exc}")
PY
fi

# Redis: start our own (append-only file, no eviction) unless one answers on the port already.
processes=(web worker1 worker2 beat)
if "$BIN/python" - <<'PY'; then
import os
import sys

import redis

client = redis.Redis(port=int(os.environ["PROD_LOCAL_REDIS_PORT"]), socket_connect_timeout=1)
try:
    config = {**client.config_get("appendonly"), **client.config_get("maxmemory-policy")}
except redis.RedisError:
    sys.exit(1)  # nothing answers: start one
print(f"== Redis already answers on 127.0.0.1:{os.environ['PROD_LOCAL_REDIS_PORT']}: using it")
if config != {"appendonly": "yes", "maxmemory-policy": "noeviction"}:
    print(f"== warning: that Redis runs with {config}; production needs appendonly yes, noeviction")
PY
  :
else
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
  processes=(redis "${processes[@]}")
fi

# Both before the web starts; they do not depend on each other, so they run side by side
# (compressing the static files takes most of the start-up time).
say "the translations (.po to .mo, only those changed)"
"$BIN/python" scripts/compile_messages.py
say "migrate, and collectstatic (hashed and compressed files for WhiteNoise) meanwhile"
"$BIN/python" manage.py collectstatic --noinput --verbosity 0 &
collecting=$!
trap 'kill "$collecting" 2>/dev/null || true' EXIT
"$BIN/python" manage.py migrate --noinput
wait "$collecting" || die "collectstatic failed (see above)"
trap - EXIT

cat <<EOF
== starting ${processes[*]} (Procfile.prod-local)
   open      http://127.0.0.1:$WEB_PORT/  (a first account: scripts/run-prod-local.sh manage createsuperuser)
   health    http://127.0.0.1:$WEB_PORT/healthz
   database  $(hide_password "$DATABASE_URL")
   broker    $CELERY_BROKER_URL
   email     $(hide_password "$EMAIL_URL")
   Ctrl-C stops everything started here.
EOF
exec "$BIN/honcho" start -f "$ROOT/Procfile.prod-local" -d "$ROOT" -e /dev/null "${processes[@]}"
