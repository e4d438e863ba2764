# The two commands a newcomer runs: `make demo` and `make test`.
# Both create or refresh .venv from pyproject.toml first; a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := $(VENV)/node/.installed

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

# The JavaScript clients some tests run (graphql-http audit, Apollo Client, urql), when npm is
# here; without npm those tests are skipped with a message.
$(NODE_STAMP): tests/node/package.json
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(VENV)/node && cp tests/node/package.json $(VENV)/node/package.json && \
		npm install --prefix $(VENV)/node --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the graphql-http audit and real-client tests will be skipped"; fi

# One pytest worker per core: most tests wait on sockets and child processes, not the CPU.
pytest: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n auto

schema: $(STAMP)
	$(BIN)/minside export-schema > schema.graphql

readme: $(STAMP)
	$(BIN)/python -m minside.settings_doc

bench: $(STAMP)
	$(BIN)/minside bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
