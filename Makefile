# giamsat — the two commands a newcomer needs:
#   make run    creates .venv, installs, migrates the SQLite database, loads the demo, serves http://localhost:8000
#   make test   installs what the tests need (Debian's chromium and libzbar0 too) and runs the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SIM_PORT ?= 8900  # the upstream simulator `make run` starts beside the app
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test screenshot install system-deps postgres messages bench clean
# pytest-xdist workers for `make test`: one per core; PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# The demo's help desk: the numbers Decision 1966 Art 35.2.d.2 / 36.2.đ.2 gives, as written there (docs/offline.md 6).
DEMO_HELPDESK := Bộ phận hỗ trợ - Tổng cục Hải quan (Help Desk): (04) 37824754, (04) 37824755, (04) 37824756, (04) 37824757
# The demo's upstream is a file: delete it and supervisors are asked to declare contingency within 15 s.
DEMO_UPSTREAM := var/upstream.json

run: $(VENV)/.installed
	$(PY) -m backend.cli db upgrade
	GIAMSAT_DEMO=1 GIAMSAT_ORIGIN=http://localhost:$(PORT) $(PY) -m backend.cli demo
	@mkdir -p $(dir $(DEMO_UPSTREAM)); [ -f $(DEMO_UPSTREAM) ] || echo '[]' > $(DEMO_UPSTREAM)
	@# The national system's message gateway, simulated beside the app (docs/outbox.md): the outbox delivers the
	@# demo's CES, CET, BOA, BIA... to it; `curl -X POST localhost:$(SIM_PORT)/control -d '{"mode": "down"}'` plays an outage.
	$(PY) -m backend.cli upstream-sim --port $(SIM_PORT) --store var/upstream-sim.json & sim=$$!; trap "kill $$sim" EXIT; \
	GIAMSAT_DEMO=1 GIAMSAT_ORIGIN=http://localhost:$(PORT) GIAMSAT_HELPDESK_CONTACTS='$(DEMO_HELPDESK)' \
	  GIAMSAT_UPSTREAM_FILE=$(DEMO_UPSTREAM) GIAMSAT_UPSTREAM_PROBE_SECONDS=15 \
	  GIAMSAT_UPSTREAM_URL=http://localhost:$(SIM_PORT) $(PY) -m backend.cli serve --port $(PORT)

# Debian packages the tests need: Chromium for the browser tests, libzbar0 for pyzbar, node for the JavaScript twins.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ldconfig -p | grep -q libzbar.so.0 || missing="$$missing libzbar0"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Start the local PostgreSQL cluster when it is installed but stopped. The tests make their own databases on the
# server GIAMSAT_TEST_POSTGRES_URL names (default postgresql://postgres@localhost:5432/postgres, tests/conftest.py).
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  for i in $$(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done; \
	fi

# Browser modules stay on one worker per database (xdist_group in tests/browser/conftest.py); the rest is spread
# test by test. The run ends with the slowest tests and the time per folder (tests/report.py).
test: $(VENV)/.installed system-deps postgres
	mkdir -p test-artifacts
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --junitxml=test-artifacts/junit.xml $(PYTEST_ARGS)

# Refresh the README's picture (docs/screenshot-phone.png) on purpose; the test suite only writes test-artifacts/.
screenshot: $(VENV)/.installed system-deps
	GIAMSAT_REFRESH_SCREENSHOT=1 $(PY) -m pytest -n 0 tests/browser/test_screenshot.py
	@git status --short docs/screenshot-phone.png

# Re-extract translatable strings and merge them into the Vietnamese catalog (then translate what is new).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -o backend/locale/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i backend/locale/messages.pot -d backend/locale -l vi --no-fuzzy-matching --ignore-obsolete

bench: $(VENV)/.installed postgres
	$(PY) -m bench.commands

clean:
	rm -rf $(VENV) var test-artifacts
