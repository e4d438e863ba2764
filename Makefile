# The two commands a newcomer runs: `make demo` and `make test`.
# Both create or refresh .venv from pyproject.toml first; a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint types pytest serve schema readme bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/minside demo

serve: $(STAMP)
	$(BIN)/minside serve

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy

# One pytest worker per core: most tests wait on sockets and child processes, not the CPU.
pytest: $(STAMP)
	$(BIN)/pytest -n auto

schema: $(STAMP)
	$(BIN)/minside export-schema > schema.graphql

readme: $(STAMP)
	$(BIN)/python -m minside.settings_doc

bench: $(STAMP)
	$(BIN)/minside bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
