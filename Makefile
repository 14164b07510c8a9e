# Partner Portal — `make demo` and `make test` work on a fresh clone with nothing done first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

# Python 3.11 is the machines' default; fall back to python3 when no python3.11 binary is on PATH.
ifeq ($(shell command -v $(PYTHON) 2>/dev/null),)
PYTHON := python3
endif

.PHONY: install demo serve test lint format bench check-os clean stack load drill

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-os
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# WeasyPrint (PDF diplomas and welcome packs) needs Pango from the OS, and HarfBuzz's subsetter to embed
# font subsets fast (a diploma takes ~460 ms without it, ~50 ms with it). Where apt-get can run (root, or
# sudo without a password) the missing packages are installed here, so that a fresh machine needs no manual
# step; elsewhere it says what to install instead of failing later.
OS_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
os_libs_ok = ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0'
check-os:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (apt-get install python3 python3-venv)."; exit 1; }
	@if ! { $(os_libs_ok); }; then \
	  if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	    echo "Installing the OS packages WeasyPrint needs: $(OS_PACKAGES)"; \
	    sudo_=""; [ "$$(id -u)" = 0 ] || sudo_="sudo -n"; \
	    $$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OS_PACKAGES) >/dev/null || exit 1; \
	  fi; \
	  if ! { $(os_libs_ok); }; then \
	    echo "Missing OS packages: Pango and HarfBuzz's subsetter, needed by WeasyPrint."; \
	    echo "Install them with: sudo apt-get install -y $(OS_PACKAGES)"; \
	    exit 1; fi; \
	fi

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Serving on http://dstny.localhost:$(PORT)/ and http://openip.localhost:$(PORT)/ (Ctrl-C stops; DEBUG is off, DEBUG=true make demo shows Django's debug pages)."
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The suite runs on every core (pytest-xdist, one test database per worker); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: install
	@$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
	  { echo "Models changed without a migration: run manage.py makemigrations."; exit 1; }
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Browser tests (tests/browser): Playwright driving Debian's Chromium through the demo on a live server,
# every page checked with axe-core (pinned in tests/browser/package-lock.json). `make test` leaves them out
# (pytest's `browser` marker); this target installs what they need, where it can, and runs them. The
# screenshots land in browser-screenshots/ (or $$BROWSER_SCREENSHOTS); the run prints the folder.
.PHONY: browser
CHROMIUM ?= /usr/bin/chromium
BROWSER_NODE := tests/browser/node_modules/.installed
$(BROWSER_NODE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

browser: install $(BROWSER_NODE)
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    sudo_=""; [ "$$(id -u)" = 0 ] || sudo_="sudo -n"; \
	    $$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -m browser tests/browser

# Benchmarks; later issues add theirs here.
# The figures the issues name are for PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench make bench
# bench_pdf starts a Celery worker of its own against Redis (REDIS_URL, here 127.0.0.1:6379/12 by default);
# without a broker it says so and issues the diplomas in its own process.
# bench_pages needs PostgreSQL: on another DATABASE_URL it uses pp_bench_pages on 127.0.0.1:5432 (made once,
# reused by later runs; --rebuild makes its 50,000 partners again) and says so.
BENCH_PARTNERS ?= 200000
bench: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py bench_regrade --partners $(BENCH_PARTNERS) --months 12
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/12} $(BIN)/python manage.py bench_pdf
	$(BIN)/python manage.py bench_pages

# The production topology on one machine (Docker cannot run here): the Procfile's gunicorn, Celery worker and
# one beat under honcho, with production settings apart from TLS, until Ctrl-C (partnerportal/stack.py).
# PostgreSQL and Redis from DATABASE_URL and REDIS_URL; by default partnerportal_stack and db 0 on 127.0.0.1.
stack: install
	$(BIN)/python -m partnerportal.stack

# 50 partners and 5 managers for 60 s (locust, headless) against the stack on 127.0.0.1, with Dstny enlarged
# to 50,000 partners (partnerportal/load/). Ends with `load: R req/s, p50 A ms, p95 B ms, p99 C ms, errors E`.
load: install
	$(BIN)/python -m partnerportal.load

# Faults against a PostgreSQL cluster and a Redis server of its own (ports 55432 and 56379, a temporary folder)
# and the Procfile's worker and web: a worker killed mid-regrade, PostgreSQL restarted mid-import, Redis down
# while partners browse, a PDF task failing (partnerportal/drill/). Ends with `drill: N scenarios, lost L`.
drill: install
	$(BIN)/python -m partnerportal.drill

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache
