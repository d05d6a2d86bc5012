# Anxin — two commands: `make run` (set up + serve demo) and `make test` (set up + run everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
SCALE ?= small

.PHONY: run test setup setup-dev lint messages i18n-check bench clean serve deps-run deps-test deps-i18n

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	$(PY) -c "from anxin.customers.address import warm_up; warm_up()"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py compile_catalogs
	$(PY) manage.py migrate --noinput -v 0

setup-dev: $(VENV)/.installed-dev
	$(PY) manage.py compile_catalogs

# System packages (python3-venv, Chromium, CJK fonts, gettext) in one script that .ci/run calls too:
# installed with apt-get when root, else it prints the command to run and make stops first.
deps-run:
	@PYTHON=$(PYTHON) ANXIN_VENV_PYTHON=$(PY) bash scripts/system-deps.sh run

deps-test:
	@PYTHON=$(PYTHON) ANXIN_VENV_PYTHON=$(PY) bash scripts/system-deps.sh test

deps-i18n:
	@PYTHON=$(PYTHON) ANXIN_VENV_PYTHON=$(PY) bash scripts/system-deps.sh i18n

# One ASGI process (uvicorn, decision 0051) serves the pages and the agents' screen-pop streams.
run: deps-run setup
	$(PY) manage.py seed_demo --scale $(SCALE) --seed 1 --if-empty
	$(PY) manage.py search_reindex --if-missing
	$(PY) manage.py demo_logins
	@echo "Anxin: http://127.0.0.1:$(PORT)/   (Ctrl-C stops)"
	$(PY) manage.py run_periodic & PERIODIC=$$!; trap 'kill $$PERIODIC 2>/dev/null' EXIT INT TERM; $(VENV)/bin/uvicorn anxin.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan off --timeout-graceful-shutdown 2

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

test: deps-test setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Re-extract translatable strings into the catalogs (needs GNU gettext's xgettext).
messages: deps-i18n setup-dev
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*'
	$(PY) manage.py makemessages -d djangojs -l zh_Hans -l en --no-obsolete --no-location --ignore '.venv/*' --ignore 'var/*' --ignore '*/vendor/*' --ignore 'bench/*'

# CI: the committed catalogs must hold every string in the sources, all translated.
i18n-check: deps-i18n setup-dev
	$(PY) manage.py i18n_check

bench: setup-dev
	$(PY) bench/core_loop.py --scale 200

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
