# The README's first two commands: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# The BigQuery emulator gets an environment of its own (it pins an older sqlglot than the project).
EMULATOR_LOCK  := tests/bigquery/emulator-requirements.lock
EMULATOR_VENV  := .venv-bigquery-emulator
EMULATOR_STAMP := $(EMULATOR_VENV)/.installed-$(shell cat $(EMULATOR_LOCK) | cksum | cut -d' ' -f1)
# A DuckDB 1.4 (long-term support, what BI drivers bundle) of its own, to open the published warehouse.
LTS_LOCK  := tests/duckdb_lts/requirements.lock
LTS_VENV  := .venv-duckdb-lts
LTS_STAMP := $(LTS_VENV)/.installed-$(shell cat $(LTS_LOCK) | cksum | cut -d' ' -f1)
# Headless Chromium opens the HTML report in the tests (tests/python/test_report_site.py):
# Debian's package, installed by `make test` when missing (as root, or through sudo).
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

# Demo size: make demo ROWS=1000000
ROWS ?= 200000
SEED ?= 42
# Break tag coverage on purpose (share of usage cost left untagged): make demo UNTAGGED=0.4
UNTAGGED ?= 0

.PHONY: install demo test lint format test-bigquery lock benchmark dev clean chromium

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

demo: install
	$(BIN)/chargeback demo --rows $(ROWS) --seed $(SEED) --untagged-share $(UNTAGGED)

test: install lint $(LTS_STAMP) $(CHROMIUM)
	DUCKDB_LTS_PYTHON=$(CURDIR)/$(LTS_VENV)/bin/python $(BIN)/python -m pytest

chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(LTS_STAMP): $(LTS_LOCK)
	$(PYTHON) -m venv $(LTS_VENV)
	$(LTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(LTS_LOCK)
	rm -f $(LTS_VENV)/.installed-*
	touch $@

# Ruff on the Python; SQLFluff (dbt templater, .sqlfluff) on the models and singular tests. dbt
# renders them against a scratch DuckDB file, never the warehouse.
SQLFLUFF_ENV := CHARGEBACK_DBT_TARGET=duckdb CHARGEBACK_DUCKDB_PATH=$(CURDIR)/$(VENV)/sqlfluff.duckdb
lint: install
	@mkdir -p $(VENV)/sqlfluff.duckdb.work  # the working copy's folder (profiles.yml), which dbt cannot create
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(SQLFLUFF_ENV) $(BIN)/sqlfluff lint models tests/dbt

format: install
	@mkdir -p $(VENV)/sqlfluff.duckdb.work
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(SQLFLUFF_ENV) $(BIN)/sqlfluff fix models tests/dbt

$(EMULATOR_STAMP): $(EMULATOR_LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version}"'
	$(PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(EMULATOR_LOCK)
	rm -f $(EMULATOR_VENV)/.installed-*
	touch $@

# chargeback build on the bigquery target against a local BigQuery emulator, compared with DuckDB
# (tests/bigquery; what it proves and what only a real BigQuery proves: docs/bigquery.md).
test-bigquery: install $(EMULATOR_STAMP)
	BQ_EMULATOR_PYTHON=$(CURDIR)/$(EMULATOR_VENV)/bin/python $(BIN)/python -m pytest tests/bigquery

dev: install
	$(BIN)/dagster dev

benchmark: install
	$(BIN)/python benchmarks/pipeline_benchmark.py --rows $(ROWS)

# Re-pin every transitive dependency after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile tests/bigquery/emulator-requirements.in --python-version 3.11 -o $(EMULATOR_LOCK)
	$(BIN)/uv pip compile tests/duckdb_lts/requirements.in --python-version 3.11 -o $(LTS_LOCK)

clean:
	rm -rf $(VENV) $(EMULATOR_VENV) $(LTS_VENV) target dbt_packages logs data
