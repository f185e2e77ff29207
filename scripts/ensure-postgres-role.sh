#!/usr/bin/env bash
# The PostgreSQL role the tests and benchmarks use (clinic/clinic, may create databases), made
# if missing. Needs a running server and the postgres superuser (as on Debian's packages).
set -euo pipefail
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='clinic'\"" | grep -q 1 \
  || as_postgres "psql -v ON_ERROR_STOP=1 -qc \"CREATE ROLE clinic LOGIN PASSWORD 'clinic' CREATEDB\""
as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='clinic'\"" | grep -q 1 \
  || as_postgres "createdb -O clinic clinic"
