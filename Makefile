# Lockgate — one command per habit. Everything installs into .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite runs in this many processes (pytest-xdist), a test file to a process so that a file's
# module-scoped servers start once; each process starts its own Redis and PostgreSQL.
PYTEST_WORKERS ?= 2
# Branch coverage of src/lockgate with the floor in pyproject.toml ([tool.coverage.report]);
# `make test COV_ARGS=` for a partial run (PYTEST_ARGS='-k ...'), which would miss the floor.
COV_ARGS ?= --cov --cov-report=term:skip-covered
# Hashed lock files (requirements/*.txt, made by `make lock` from pyproject.toml): what is installed
# is exactly what was reviewed, whatever PyPI serves later.
LOCK_PIP := requirements/pip.txt
LOCK_RUN := requirements/run.txt
LOCK_DEV := requirements/dev.txt
PIP_LOCKED := $(BIN)/pip install -q --require-hashes -r
PIP_PROJECT := $(BIN)/pip install -q --no-deps --no-build-isolation -e .
# A dependency added to pyproject.toml but not yet locked fails here, not at import time.
PIP_CHECK := $(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
	echo "requirements/*.txt do not satisfy pyproject.toml: run \`make lock\`" >&2; exit 1; }
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_36 --custom-compile-command 'make lock' \
	$(if $(UPGRADE),--upgrade)

export NEXT_TELEMETRY_DISABLED := 1

.PHONY: run dev test lint fmt bench bench-cache cluster-demo migrate migration lock clean help

help:
	@echo "make run      - install and start Lockgate on http://$(HOST):$(PORT) (SQLite, simulated provider)"
	@echo "make dev      - the same with auto-reload (make ui-dev: the UI with hot reload on :3000)"
	@echo "make test     - install test dependencies and run every suite (with branch coverage)"
	@echo "make lint     - ruff + mypy strict"
	@echo "make fmt      - format the code"
	@echo "make lock     - update requirements/*.txt (hashed) after editing pyproject.toml;"
	@echo "                make lock UPGRADE=1 moves every pin to the newest allowed version"
	@echo "make bench    - benchmarks (prints figures, writes bench/results/*.json)"
	@echo "make bench-cache - the response cache: threshold sweep, spend saved, lookup latency"
	@echo "make cluster-demo - PostgreSQL, 2 Redis, 3 replicas behind HAProxy on 127.0.0.1 (Ctrl-C stops)"
	@echo "make migration m='what changed' - write a new Alembic migration"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) $(LOCK_PIP)

# Every package (the build backend included) comes from a lock file with hashes; the project
# itself is then installed without dependencies and without fetching a build environment.
$(RUN_STAMP): $(LOCK_PIP) $(LOCK_RUN) pyproject.toml | $(VENV)/bin/python
	$(PIP_LOCKED) $(LOCK_PIP)
	$(PIP_LOCKED) $(LOCK_RUN)
	$(PIP_PROJECT)
	@$(PIP_CHECK)
	touch $@

$(DEV_STAMP): $(LOCK_PIP) $(LOCK_DEV) $(LOCK_RUN) pyproject.toml | $(VENV)/bin/python
	$(PIP_LOCKED) $(LOCK_PIP)
	$(PIP_LOCKED) $(LOCK_DEV)
	$(PIP_PROJECT)
	@$(PIP_CHECK)
	touch $@ $(RUN_STAMP)

# The dev set is resolved first; the run set is constrained to it, so both pin the same versions.
# Only uv is needed (from the current lock): the project's own install may be what is stale.
lock: | $(VENV)/bin/python
	@test -x $(BIN)/uv || $(PIP_LOCKED) $(LOCK_DEV)
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) pyproject.toml requirements/build.in -c $(LOCK_DEV) -o $(LOCK_RUN)
	$(UV_COMPILE) requirements/pip.in -o $(LOCK_PIP)

include frontend.mk

run: $(RUN_STAMP) ui
	$(BIN)/lockgate serve --host $(HOST) --port $(PORT)

dev: $(DEV_STAMP) ui
	@echo "API with auto-reload on :$(PORT); for the UI with hot reload run \`make ui-dev\` (port 3000)"
	LOCKGATE_LOG_FORMAT=console $(BIN)/lockgate serve --host $(HOST) --port $(PORT) --reload

migrate: $(RUN_STAMP)
	$(BIN)/lockgate migrate

migration: $(DEV_STAMP)
	@test -n "$(m)" || (echo "usage: make migration m='what changed'"; exit 2)
	$(BIN)/python scripts/new_migration.py "$(m)"

# The OpenID Connect provider the OIDC tests sign in against (tests/oidc: oidc-provider, MIT),
# installed exactly as locked; npm's own retries and timeouts bound it.
OIDC_DEPS := tests/oidc/node_modules/.lockgate-installed
$(OIDC_DEPS): tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	sha256sum tests/oidc/package-lock.json | cut -d' ' -f1 >$@

test: $(DEV_STAMP) $(OIDC_DEPS)
	bash scripts/ensure-test-deps.sh
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(COV_ARGS) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory ui-test

# wrk drives the load; installed from Debian when missing and running as root.
ENSURE_WRK = command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "bench: wrk is missing; install it as root: sudo apt-get update && sudo apt-get install -y wrk" >&2; \
	    exit 1; \
	  fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get -q -o DPkg::Lock::Timeout=120 update && \
	  apt-get -q -o DPkg::Lock::Timeout=120 install -y --no-install-recommends wrk; \
	}

# Issue 16's figures, each step writing its JSON to bench/results/, then one table of every figure
# beside its target (bench/summary.py reads what this run wrote). BENCH_ARGS=--quick: about 5 minutes
# (shorter runs, a 10,000-request soak, 4 s per chat rate); the full run about 13 minutes. A step
# that fails does not stop the others; the summary then says "no figure" and exits 1.
BENCH_SINCE := $(shell date +%s)
BENCH_QUICK = $(filter --quick,$(BENCH_ARGS))
bench: $(DEV_STAMP) ui
	bash scripts/ensure-test-deps.sh
	@$(ENSURE_WRK)
	$(BIN)/python -m bench.gate $(if $(BENCH_QUICK),--requests 1000)
	-$(BIN)/python -m bench.gateway $(BENCH_ARGS)  # gateway, streaming, cache hit path, RSS, soak
	-$(BIN)/python -m bench.chat $(if $(BENCH_QUICK),--seconds 4)  # the web chat path, open loop
	-$(BIN)/python -m bench.pageload  # cold and warm chat page in headless Chromium, median of 5
	$(BIN)/python -m bench.summary --since $(BENCH_SINCE)

# The loopback cluster of tests/cluster, for people: prints the balancer's URL and the replicas'
# ports, restarts a replica that exits, stops everything on Ctrl-C or after DEMO_MINUTES.
DEMO_MINUTES ?= 120
cluster-demo: $(DEV_STAMP) ui
	bash scripts/ensure-test-deps.sh
	$(BIN)/python -m bench.cluster_demo --minutes $(DEMO_MINUTES) $(DEMO_ARGS)

bench-cache: $(DEV_STAMP)
	bash scripts/ensure-test-deps.sh
	@$(ENSURE_WRK)
	$(BIN)/python -m bench.cache $(BENCH_CACHE_ARGS)  # BENCH_CACHE_ARGS=--quick: about 3 minutes

lint: $(DEV_STAMP) $(FE_DEPS)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy
	cd frontend && npx --no-install tsc --noEmit

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov
