# resque-compat: the usual targets. `make demo` runs the main job, `make test` passes the tests.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
REDIS_PORT ?= 6399
REDIS_PIDFILE ?= /tmp/resque-compat-redis-$(REDIS_PORT).pid

.PHONY: install test test-fast lint typecheck conformance conformance-optional fixtures bench demo redis-up redis-down format

install:  ## the package with its web, CLI, test and development extras
	$(PIP) install -e '.[dev]'

test: lint typecheck  ## everything CI runs: lint, types, unit + fixture replay + process + browser tests
	$(PYTHON) -m pytest -q

test-fast:  ## the tests without the browser
	$(PYTHON) -m pytest -q -m "not browser"

lint:
	$(PYTHON) -m ruff check resque_compat tests conformance bench
	$(PYTHON) -m ruff format --check resque_compat tests conformance bench

format:
	$(PYTHON) -m ruff format resque_compat tests conformance bench
	$(PYTHON) -m ruff check --fix resque_compat tests conformance bench

typecheck:
	$(PYTHON) -m mypy

conformance:  ## live scenarios against the Ruby reference (RESQUE_REF_LIB or Docker); fails without one
	$(PYTHON) -m conformance.run

conformance-optional:  ## the same, but exits 0 with one line when no reference is configured
	$(PYTHON) -m conformance.run --optional

fixtures:  ## re-record fixtures/ from the Ruby reference
	$(PYTHON) -m conformance.record

bench:  ## resque-compat beside Ruby Resque and redis-benchmark, as ratios in one run
	$(PYTHON) -m bench

demo:  ## Redis, sample jobs, a Python worker and the dashboard; ctrl-c stops all of it
	@$(PYTHON) -c "import resque_compat.web, uvicorn, click, setproctitle" 2>/dev/null || $(PIP) install -q -e '.[dev]'
	$(PYTHON) -m resque_compat.demo

redis-up:  ## a local redis-server on REDIS_PORT for trying things by hand
	redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --pidfile $(REDIS_PIDFILE)
	@echo "export REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0"

redis-down:
	@test -f $(REDIS_PIDFILE) && kill $$(cat $(REDIS_PIDFILE)) && rm -f $(REDIS_PIDFILE) || echo "no redis-server from redis-up"
