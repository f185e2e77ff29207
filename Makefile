# IsoCourse: `make run` starts the app on embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=true
TEST_SETTINGS := DJANGO_SETTINGS_MODULE=clinic.settings_test

.PHONY: run worker beat test lint check-migrations pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changed.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

var/.demo-seeded: | $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	touch $@

run: $(VENV)/.runtime-installed var/.demo-seeded
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Starting web, worker and beat: open http://127.0.0.1:8000 (Ctrl-C stops all three)"
	$(DEV_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

worker: $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/celery -A clinic worker --pool=solo --loglevel=INFO

beat: $(VENV)/.runtime-installed
	$(DEV_ENV) $(BIN)/celery -A clinic beat --loglevel=INFO

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

check-migrations: $(VENV)/.dev-installed
	$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint check-migrations pytest

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
