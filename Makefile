# resque-compat: the usual targets. `make demo` runs the main job, `make test` passes the tests.
#
# Every target runs from a project environment in the checkout, `.venv`, which the Makefile makes
# with the `python3` on the PATH (3.10+) when it is missing or older than pyproject.toml, and into
# which it installs the package with the extras that target needs. Nothing is installed outside
# the checkout. To use an environment of your own instead (an activated virtualenv that already
# has the extras: `pip install -e '.[dev]'`), pass `PYTHON=python` (or any interpreter's path);
# `VENV=.other-venv` puts the project environment elsewhere.
VENV ?= .venv
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js
BOOTSTRAP_PYTHON ?= python3
REDIS_PORT ?= 6399
REDIS_PIDFILE ?= /tmp/resque-compat-redis-$(REDIS_PORT).pid
# The redis-py line `make test-compat` checks beside the newest one `make test` uses.
COMPAT_VENV ?= .venv-redis5
COMPAT_REDIS ?= redis>=5.0.1,<6
COMPAT_TESTS ?= $(wildcard tests/test_connection.py tests/test_command_sender.py tests/test_client.py \
	tests/test_failures.py tests/test_faults_*.py tests/test_worker*.py)

ifeq ($(origin PYTHON),undefined)
PYTHON := $(VENV)/bin/python
ENV_DEV := $(VENV)/.installed-dev
ENV_DEMO := $(VENV)/.installed-demo
ENV_TEST := $(VENV)/.installed-test
ENV_BENCH := $(VENV)/.installed-bench
else
# An interpreter of the user's: used as it is, nothing installed into it.
ENV_DEV :=
ENV_DEMO :=
ENV_TEST :=
ENV_BENCH :=
endif

.PHONY: chaos install test test-fast test-compat lint typecheck conformance conformance-optional fixtures \
	bench bench-dashboard dist demo redis-up redis-down format system-check system-check-redis clean-venv

install: $(ENV_DEV)  ## the project environment (.venv) with every extra; `make test` makes it too

test: system-check lint typecheck $(AXE)  ## everything CI runs: lint, types, unit + fixture replay + process + browser tests
	RESQUE_COMPAT_AXE=$(AXE) $(PYTHON) -m pytest -q

test-fast: system-check-redis $(ENV_DEV)  ## the tests without the browser
	$(PYTHON) -m pytest -q -m "not browser"

test-compat: system-check-redis  ## the store and worker tests again with the oldest redis-py supported (5.x)
	@$(MAKE) --no-print-directory $(COMPAT_VENV)/.installed-compat VENV=$(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS)

lint: $(ENV_DEV)
	$(PYTHON) -m ruff check resque_compat tests conformance bench chaos demo
	$(PYTHON) -m ruff format --check resque_compat tests conformance bench chaos demo

format: $(ENV_DEV)
	$(PYTHON) -m ruff format resque_compat tests conformance bench chaos demo
	$(PYTHON) -m ruff check --fix resque_compat tests conformance bench chaos demo

typecheck: $(ENV_DEV)
	$(PYTHON) -m mypy

conformance: $(ENV_TEST)  ## live scenarios against the Ruby reference (RESQUE_REF_LIB or Docker); fails without one
	$(PYTHON) -m conformance.run

conformance-optional: $(ENV_TEST)  ## the same, but exits 0 with one line when no reference is configured
	$(PYTHON) -m conformance.run --optional

fixtures: $(ENV_TEST)  ## re-record fixtures/ from the Ruby reference
	$(PYTHON) -m conformance.record

chaos: $(ENV_TEST)  ## the long chaos suite: real workers and redis-servers under repeated faults, a ledger table per scenario
	$(PYTHON) -m chaos

bench: $(ENV_BENCH)  ## resque-compat beside Ruby Resque, RQ and redis-benchmark, as ratios in one run; then bench-dashboard
	$(PYTHON) -m bench
	$(PYTHON) -m bench.dashboard

bench-dashboard: $(ENV_BENCH)  ## only the dashboard's page times: big data beside small data, in one run
	$(PYTHON) -m bench.dashboard

dist: $(ENV_DEV)  ## the sdist and the wheel in dist/ (tests/test_wheel.py installs and runs them)
	$(PYTHON) -m build --outdir dist

demo: $(ENV_DEMO)  ## Redis, sample jobs, a Python worker and the dashboard; ctrl-c stops all of it
	$(PYTHON) -m demo

# -- the project environment ---------------------------------------------------------------------
# $(VENV)/.installed-<extras> records that the package with those extras is installed; it is
# remade (pip install again, into the same environment) whenever pyproject.toml is newer.
EXTRAS_dev := dev
EXTRAS_test := cli,hiredis,test
EXTRAS_demo := cli,web,demo
EXTRAS_compat := dev
EXTRAS_bench := cli,hiredis,test,bench,web,metrics

$(VENV)/.installed-%: pyproject.toml
	@command -v $(BOOTSTRAP_PYTHON) >/dev/null 2>&1 || { \
		echo "no $(BOOTSTRAP_PYTHON) on the PATH: install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"; exit 1; }
	@$(BOOTSTRAP_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { \
		echo "resque-compat needs Python 3.10 or newer; $(BOOTSTRAP_PYTHON) is $$($(BOOTSTRAP_PYTHON) -V 2>&1) (BOOTSTRAP_PYTHON=python3.12 picks another)"; exit 1; }
	@if ! $(VENV)/bin/python -c 'import pip' >/dev/null 2>&1; then \
		$(BOOTSTRAP_PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || { \
			echo "$(BOOTSTRAP_PYTHON) cannot make a virtual environment: install Debian/Ubuntu's python3-venv (apt-get install python3-venv)"; exit 1; }; \
		rm -rf $(VENV); \
		echo "making the project environment $(VENV) with $$($(BOOTSTRAP_PYTHON) -V 2>&1)"; \
		$(BOOTSTRAP_PYTHON) -m venv $(VENV) || exit 1; \
	fi
	@echo "installing resque-compat[$(EXTRAS_$*)] into $(VENV)"
	@PIP_DISABLE_PIP_VERSION_CHECK=1 $(VENV)/bin/python -m pip install -q --upgrade --upgrade-strategy eager \
		-e '.[$(EXTRAS_$*)]' \
		$(if $(filter compat,$*),'$(COMPAT_REDIS)')
	@touch $@

clean-venv:  ## remove the project environments
	rm -rf $(VENV) $(COMPAT_VENV)

# -- axe-core, the accessibility checker the browser tests run inside Chromium (from npm) ----------
$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
		echo "the browser tests need npm (for axe-core); install it with: $$( [ "$$(id -u)" = 0 ] || echo "sudo ")apt-get install npm"; exit 1; }
	npm install --prefix $(VENV)/node --no-audit --no-fund --no-save --loglevel=error axe-core@4

# -- system packages the tests need ---------------------------------------------------------------
CHROMIUM ?= $(or $(RESQUE_COMPAT_CHROMIUM),/usr/bin/chromium)

system-check:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	test -x "$(CHROMIUM)" || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "make test needs system packages that are missing:$$missing; install them with: $$( [ "$$(id -u)" = 0 ] || echo "sudo ")apt-get install$$missing (or RESQUE_COMPAT_CHROMIUM=/path/to/chromium; make test-fast skips the browser)"; \
		exit 1; \
	fi

system-check-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "the tests need the system package redis-server, which is missing; install it with: $$( [ "$$(id -u)" = 0 ] || echo "sudo ")apt-get install redis-server"; exit 1; }

# -- a Redis to try things by hand -----------------------------------------------------------------
redis-up:  ## a local redis-server on REDIS_PORT for trying things by hand
	redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --pidfile $(REDIS_PIDFILE)
	@echo "export REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0"

redis-down:
	@test -f $(REDIS_PIDFILE) && kill $$(cat $(REDIS_PIDFILE)) && rm -f $(REDIS_PIDFILE) || echo "no redis-server from redis-up"
