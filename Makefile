# Technopolis Warehouse. `make demo` builds the warehouse from the bundled samples;
# `make test` runs the whole suite. Both install what they need first (uv + uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DO_NOT_TRACK := 1
DBT_FILES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
MANIFEST := dbt_project/target/manifest.json

.PHONY: help install demo test eval bench ui ui-demo lint check-defs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/tpw: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet --python $(PYTHON)
	@touch $@

$(MANIFEST): $(BIN)/tpw $(DBT_FILES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --target-path target
	@touch $@

install: $(BIN)/tpw $(MANIFEST)  ## install the locked environment and prepare the dbt manifest

demo: install  ## build data/warehouse.duckdb offline from the bundled samples
	$(BIN)/tpw demo

test: install  ## run the whole test suite (offline), lint first; one test file per core
	$(BIN)/ruff check extract orchestration reports tests scripts
	$(BIN)/pytest -n 2 --dist loadfile

eval: install  ## precision and recall of fact extraction on the hand-made corpora
	$(BIN)/python -m extract.evaluation
	@echo "--- held-out set (written without looking at the extractor)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/heldout/articles --gold data/eval/heldout/gold.jsonl

bench: install  ## benchmarks with their baselines (see BENCHMARKS.md); about 7 minutes
	$(BIN)/python -m bench.run_all

check-defs: install  ## load the Dagster definitions the way `dg dev` does
	$(BIN)/dg check defs

ui: install  ## the Dagster UI with a persistent DAGSTER_HOME under data/
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg dev

ui-demo: install  ## the Dagster UI wired to the bundled samples (offline): materialize 2020-05..10 days
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/tpw serve-samples --port 8765 & trap "kill $$!" EXIT; \
	TPW_CBR_URL=http://127.0.0.1:8765 $(BIN)/dg dev

lint: install  ## ruff
	$(BIN)/ruff check extract orchestration reports tests scripts
	$(BIN)/ruff format --check extract orchestration tests scripts

clean:  ## remove generated files (the warehouse, Dagster home, dbt target, environments)
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs data/warehouse.duckdb data/.build data/dagster_home
