# IsoCourse: `make run` starts the app on embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=true
TEST_SETTINGS := DJANGO_SETTINGS_MODULE=tests.settings

.PHONY: run demo-code worker beat test lint check-migrations security-scan pytest clean bench bench-quick soak messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changed.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.bench-installed: requirements.txt requirements-dev.txt requirements-bench.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@ $(VENV)/.dev-installed $(VENV)/.runtime-installed

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

var/.demo-seeded: | $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	touch $@

# The translations (locale/ and each app's locale/): .po compiled to .mo, in Python (polib).
# After changing marked strings: `make makemessages` (needs GNU gettext), translate, commit the .po.
messages: $(VENV)/.runtime-installed
	$(BIN)/python scripts/compile_messages.py

.PHONY: makemessages
makemessages: $(VENV)/.dev-installed
	$(DEV_ENV) $(BIN)/python manage.py makemessages --locale es --no-obsolete \
	  --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'staticfiles/*' --ignore 'var/*' --ignore '.tools/*' \
	  --ignore 'templates/admin/*' --ignore 'templates/bench/*'

run: $(VENV)/.runtime-installed var/.demo-seeded pdf-libs messages
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Starting web, worker and beat: open http://localhost:8000 (Ctrl-C stops all three)"
	$(DEV_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

# The production shape on loopback: PostgreSQL, its own Redis (port 6391), gunicorn, 2 workers,
# 1 beat, DEBUG off (scripts/run-prod-local.sh, Procfile.prod-local, docs/DEPLOY.md).
.PHONY: run-prod-local
# The current second-factor code of the demo prescriber and registry admin (seed_demo's key).
demo-code: $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/python manage.py demo_code

run-prod-local: $(VENV)/.runtime-installed
	scripts/run-prod-local.sh

worker: $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/celery -A clinic worker --pool=solo --loglevel=INFO

beat: $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/celery -A clinic beat --loglevel=INFO

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

check-migrations: $(VENV)/.dev-installed
	$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

# The Nu HTML Checker for tests/security/test_html_valid.py, from npm (it runs on Java). Without
# npm it is skipped with its reason, except on CI, where a missing checker fails the run.
VNU_VERSION := 26.9.27
.tools/.vnu-$(VNU_VERSION):
	@if command -v npm >/dev/null; then \
	  npm install --prefix .tools --no-audit --no-fund --silent vnu-jar@$(VNU_VERSION) && touch $@; \
	else echo "npm not found: the HTML checker test will be skipped"; fi

# weasyprint (the PDF printouts) draws text with Debian's pango and the DejaVu fonts: installed
# with apt when missing on a Debian machine run as root, else the one command to run is printed.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
DEJAVU := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
.PHONY: pdf-libs
pdf-libs:
	@if /sbin/ldconfig -p | grep -q libpangoft2-1.0 && [ -f $(DEJAVU) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; \
	else echo "The PDF printouts need pango and DejaVu: sudo apt-get install $(PDF_DEBS)"; fi

# Most tests in two processes (pytest-xdist, one per core of the 2-core CI machine: each has its
# own test database, and the tests that start workers or hosts use names of their own); then,
# in one process, the few marked "alone", which stop the machine's PostgreSQL or time a fault
# against an idle machine. PYTEST_ARGS narrows both runs (a run that selects nothing is fine);
# MARKS narrows both by marker ("and not browser": .ci/run's second pass, on SQLite).
MARKS ?=
pytest: $(VENV)/.dev-installed .tools/.vnu-$(VNU_VERSION) pdf-libs messages
	$(BIN)/pytest -n 2 -m "not alone $(MARKS)" $(PYTEST_ARGS)
	$(BIN)/pytest -m "alone $(MARKS)" $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Static security analysis: no high-severity finding may land (issue 8).
security-scan: $(VENV)/.dev-installed
	$(BIN)/bandit --quiet --recursive clinic registry dosing bench scripts --severity-level high
	@echo "bandit: 0 high-severity findings in clinic, registry, dosing, bench, scripts"

test: lint check-migrations security-scan pytest

# Benchmarks on PostgreSQL and Redis (docs/PERFORMANCE.md): pages under load at 1,000 and
# 100,000 patients, flag_courses, reminder sending. Rewrites the figures in docs/.
bench: $(VENV)/.bench-installed messages
	bash scripts/ensure-postgres-role.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same at small sizes and one round, in a minute or two: checks the benchmark still runs.
bench-quick: $(VENV)/.bench-installed messages
	bash scripts/ensure-postgres-role.sh
	$(BIN)/python -m bench.run --quick

# The simulated year (tests/reliability/test_simulated_year.py) at 1,000 courses on PostgreSQL
# and Redis: a real worker and beat, the clock driven through the daylight-saving changes. It
# runs in `make test` at 48 courses. SOAK_PATIENTS=... for another size.
SOAK_PATIENTS ?= 1000
SOAK_DATABASE_URL ?= postgres://clinic:clinic@127.0.0.1:5432/clinic
soak: $(VENV)/.dev-installed
	bash scripts/ensure-postgres-role.sh
	DATABASE_URL=$(SOAK_DATABASE_URL) TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_clinic_soak} \
	  SOAK_PATIENTS=$(SOAK_PATIENTS) REQUIRE_SERVICES=1 \
	  $(BIN)/pytest -s tests/reliability/test_simulated_year.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .tools
