# The README's first two commands: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# Demo size: make demo ROWS=1000000
ROWS ?= 200000
SEED ?= 42
# Break tag coverage on purpose (share of usage cost left untagged): make demo UNTAGGED=0.4
UNTAGGED ?= 0

.PHONY: install demo test lock benchmark dev clean

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

test: install
	$(BIN)/python -m pytest

dev: install
	$(BIN)/dagster dev

benchmark: install
	$(BIN)/python benchmarks/pipeline_benchmark.py --rows $(ROWS)

# Re-pin every transitive dependency after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) target dbt_packages logs data
