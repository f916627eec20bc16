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

export NEXT_TELEMETRY_DISABLED := 1

.PHONY: run dev test lint fmt bench migrate migration clean help

help:
	@echo "make run      - install and start Lockgate on http://$(HOST):$(PORT) (SQLite, simulated provider)"
	@echo "make dev      - the same with auto-reload"
	@echo "make test     - install test dependencies and run every suite"
	@echo "make lint     - ruff + mypy strict"
	@echo "make fmt      - format the code"
	@echo "make bench    - benchmarks (prints figures, writes bench/results/*.json)"
	@echo "make migration m='what changed' - write a new Alembic migration"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/lockgate serve --host $(HOST) --port $(PORT)

dev: $(DEV_STAMP)
	LOCKGATE_LOG_FORMAT=console $(BIN)/lockgate serve --host $(HOST) --port $(PORT) --reload

migrate: $(RUN_STAMP)
	$(BIN)/lockgate migrate

migration: $(DEV_STAMP)
	@test -n "$(m)" || (echo "usage: make migration m='what changed'"; exit 2)
	$(BIN)/python scripts/new_migration.py "$(m)"

test: $(DEV_STAMP)
	bash scripts/ensure-test-deps.sh
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	bash scripts/ensure-test-deps.sh
	$(BIN)/python -m bench.gate

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
