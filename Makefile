# Technopolis Warehouse. `make demo` builds the warehouse from the bundled samples;
# `make test` runs the whole suite. Both install what they need first (uv + uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
# Byte-compile at install: this machine sets PYTHONDONTWRITEBYTECODE, so without .pyc files every
# process (tpw, dbt, each test worker) would compile ~1,600 modules from source, ~2 s each time.
export UV_COMPILE_BYTECODE := 1
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DO_NOT_TRACK := 1
DBT_FILES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
MANIFEST := dbt_project/target/manifest.json

.PHONY: help install demo docs test eval bench ui ui-demo lint check-defs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/tpw: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet --python $(PYTHON)
	@touch $@

# Parsed with the build path `tpw` will use, so that dbt's partial parsing applies to the first
# run too (the profile reads the path from TPW_BUILD_WAREHOUSE; another value means a full parse).
$(MANIFEST): $(BIN)/tpw $(DBT_FILES)
	build=$$($(BIN)/python -c 'from extract.settings import load_settings; print(load_settings().build_warehouse)') && \
	cd dbt_project && TPW_BUILD_WAREHOUSE=$$build ../$(BIN)/dbt parse --quiet --profiles-dir . --target-path target
	@touch $@

# The gazetteer's tables (every place name declined by pymorphy2, ~0.5 s) are cached in the
# environment; the file is keyed by what they are made of, so a stale one is rebuilt, not used.
GAZETTEER_CACHE := $(VENV)/share/tpw/gazetteer.json
$(GAZETTEER_CACHE): $(BIN)/tpw extract/facts/places.py
	$(BIN)/python -c 'from extract.facts.places import write_cache; write_cache()'

install: $(BIN)/tpw $(MANIFEST) $(GAZETTEER_CACHE)  ## install the locked environment, prepare the dbt manifest and the gazetteer's cache

demo: install  ## build data/warehouse.duckdb offline from the bundled samples
	$(BIN)/tpw demo

docs: install  ## docs/warehouse.md and the dbt docs site from a fresh demo in a temporary folder (offline, ~2 min)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && set -ex && \
	TPW_WAREHOUSE=$$tmp/warehouse.duckdb TPW_BUILD_WAREHOUSE=$$tmp/build/warehouse.duckdb \
		TPW_ARTICLES_DIR=data/articles TPW_CURRENCIES=USD,EUR,CNY DAGSTER_HOME=$$tmp/dagster_home \
		$(BIN)/tpw demo --quiet >$$tmp/demo.log 2>&1 || { cat $$tmp/demo.log; exit 1; } && \
	$(BIN)/python scripts/make_warehouse_docs.py --warehouse $$tmp/warehouse.duckdb --out docs/warehouse.md && \
	cd dbt_project && TPW_BUILD_WAREHOUSE=$$tmp/build/warehouse.duckdb \
		../$(BIN)/dbt docs generate --static --quiet --profiles-dir . --target-path target
	@echo "dbt docs: dbt_project/target/static_index.html opens from disk (index.html + catalog.json: dbt docs serve)"

test: install  ## run the whole test suite (offline), lint first; one test file per core
	$(BIN)/ruff check extract orchestration reports tests scripts
	$(BIN)/pytest -n 2 --dist loadfile

eval: install  ## precision and recall of fact extraction on the hand-made corpora
	$(BIN)/python -m extract.evaluation
	@echo "--- held-out set (written without looking at the extractor)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/heldout/articles --gold data/eval/heldout/gold.jsonl
	@echo "--- blind set (written without seeing the extractor, after issue 11's rules)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/blind/articles --gold data/eval/blind/gold.jsonl
	@echo "--- second blind set (written without seeing the extractor)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/blind2/articles --gold data/eval/blind2/gold.jsonl
	@echo "--- third blind set (written without seeing the extractor)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/blind3/articles --gold data/eval/blind3/gold.jsonl
	@echo "--- fourth blind set (never tuned on: the measure of generalization)"
	$(BIN)/python -m extract.evaluation --corpus data/eval/blind4/articles --gold data/eval/blind4/gold.jsonl

# The lake benchmark (issue 14, bench/lake.py) starts a PostgreSQL of its own (Debian's postgresql
# package; skipped without it) and adds about 20 minutes at 3 runs. The others alone:
# .venv/bin/python -m bench.run_all --only backfill,nightly,extraction,scale
bench: install  ## benchmarks with their baselines (see BENCHMARKS.md); about 30 minutes
	$(BIN)/python -m bench.run_all

check-defs: install  ## load the Dagster definitions the way `dg dev` does
	$(BIN)/dg check defs

ui: install  ## the Dagster UI with a persistent DAGSTER_HOME under data/ (runs in PostgreSQL with TPW_DAGSTER_PG_URL)
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c 'import sys; from pathlib import Path; from orchestration.runner import install_instance_config as i; i(Path(sys.argv[1]))' $(DAGSTER_HOME)
	$(BIN)/dg dev

ui-demo: install  ## the Dagster UI wired to the bundled samples (offline): materialize 2020-05..10 days
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c 'import sys; from pathlib import Path; from orchestration.runner import install_instance_config as i; i(Path(sys.argv[1]))' $(DAGSTER_HOME)
	$(BIN)/tpw serve-samples --port 8765 & trap "kill $$!" EXIT; \
	TPW_CBR_URL=http://127.0.0.1:8765 $(BIN)/dg dev

lint: install  ## ruff
	$(BIN)/ruff check extract orchestration reports tests scripts
	$(BIN)/ruff format --check extract orchestration tests scripts

clean:  ## remove generated files (the warehouse, Dagster home, dbt target, environments)
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs data/warehouse.duckdb data/.build data/dagster_home
