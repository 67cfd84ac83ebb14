# Dealflow developer commands. `make run` and `make test` work on a fresh machine
# (Python and pip only): they install what they need first.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MYPY_PACKAGES := dealflow_libs dealflow_schemas ingest meetings deals attribution dealflow_emulators crm_push notifications console

.PHONY: run test chromium lint format install bench-ingest bench-pipeline bench-latency bench-attribution bench-leads bench-crm bench-notifications bench-queries bench-queries-meetings bench-queries-logs bench-queries-writes bench-queries-attribution clean

$(UV):
	@echo "==> installing uv $(UV_VERSION) into .uv/"
	@$(PYTHON) -m venv .uv && .uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml libs/pyproject.toml schemas/pyproject.toml $(wildcard services/*/pyproject.toml)
	@echo "==> creating $(VENV) and installing the locked dependencies"
	@UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

## Install everything, start PostgreSQL, the broker and every service; Ctrl-C stops it all.
run: install
	@$(PY) -m dealflow_libs.devstack run

## Debian's Chromium for the console's browser tests (Playwright drives it; no download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "==> installing Chromium (apt-get) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## The whole suite against a real PostgreSQL and broker it starts itself.
test: install chromium
	@$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy $(foreach p,$(MYPY_PACKAGES),-p $(p))

format: install
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench-ingest: install
	@$(PY) bench/ingest/run.py $(BENCH_ARGS)

bench-pipeline: install
	@$(PY) bench/pipeline/run.py $(BENCH_ARGS)

## One booking at a time on an idle system: meeting and deal visible after the 202, idle CPU.
bench-latency: install
	@$(PY) bench/latency/run.py $(BENCH_ARGS)

## 100,000 won deals x 10 touches seeded into PostgreSQL: recompute per model, markov, report p99.
bench-attribution: install
	@$(PY) bench/attribution/run.py $(BENCH_ARGS)

## 100,000 leads seeded into PostgreSQL: the read model derived, GET /v1/leads p50/p99 per filter.
bench-crm: install
	@$(PY) bench/crm/run.py $(BENCH_ARGS)

bench-notifications: install
	@$(PY) bench/notifications/run.py $(BENCH_ARGS)

bench-queries: install
	@$(PY) bench/queries/run.py $(BENCH_ARGS)

bench-queries-meetings: install
	@$(PY) bench/queries/run_meetings.py $(BENCH_ARGS)

## Deliveries, CRM pushes and push log, notification sends: every list filter, deep cursor, detail.
bench-queries-logs: install
	@$(PY) bench/queries/run_logs.py $(BENCH_ARGS)

bench-queries-writes: install
	@$(PY) bench/queries/writes.py $(BENCH_ARGS)

bench-queries-attribution: install
	@$(PY) bench/queries/run_attribution.py $(BENCH_ARGS)

bench-leads: install
	@$(PY) bench/attribution/leads.py $(BENCH_ARGS)

clean:
	rm -rf .venv .uv .data .pytest_cache .mypy_cache .ruff_cache
