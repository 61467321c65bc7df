# seascout — one-command dev loop.  `make` = lint + tests.
# uv is installed on first use (from PyPI) and then runs everything from the lockfile.

# The interpreter uv lives in: the base one, also after `source .venv/bin/activate` (whose
# python3 has neither uv nor pip). `uv run` then finds the project's .venv itself.
PYTHON  := $(shell python3 -c 'import sys; print(getattr(sys, "_base_executable", "") or sys.executable)')
UV      := $(PYTHON) -m uv
RUN     := $(UV) run --frozen
export PREFECT_HOME                     ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK                     ?= 1
export LITELLM_LOCAL_MODEL_COST_MAP     ?= True

.DEFAULT_GOAL := check
.PHONY: check setup weekly demo test test-e2e test-all lint typecheck bench serve clean

check: lint test

setup:  ## install uv (if missing) and the locked environment in .venv
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen

weekly: setup  ## the main job: seed → crawl → triage → digest → deliver, once, now
	$(RUN) seascout weekly

demo: setup  ## the whole weekly pipeline offline, against recorded responses
	$(RUN) seascout demo

test: setup  ## the fast suite (no internet; loopback servers only; e2e tests deselected)
	$(RUN) pytest -n 2 -q

test-e2e: setup  ## the end-to-end suite: demo and weekly processes, Prefect server, crash trials
	$(RUN) pytest -n 2 -q -m e2e

test-all: setup  ## both suites in one run
	$(RUN) pytest -n 2 -q -m "e2e or not e2e"

lint: setup
	$(RUN) ruff check .
	$(RUN) mypy

bench: setup  ## benchmarks; figures printed, see README "Performance"
	$(RUN) python bench/run_all.py

serve: setup  ## serve the weekly and backfill deployments (Ctrl-C to stop)
	$(RUN) seascout serve

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache
