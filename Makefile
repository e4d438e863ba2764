# The two commands a newcomer runs: `make demo` and `make test`.
# Both create or refresh .venv from pyproject.toml first; a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := $(VENV)/node/.installed

.PHONY: demo test lint types pytest serve schema readme bench clean browser screenshots

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

# Debian's chromium for the browser tests (tests/browser, driven by Playwright), installed
# when missing and we are root with apt; never a browser downloaded by `playwright install`.
# Without it those tests are skipped with a message (under CI=true they fail).
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
		echo "chromium could not be installed: the browser tests will be skipped"; \
	else echo "chromium not found: the browser tests will be skipped (sudo apt-get install chromium)"; fi

# One pytest worker per core: most tests wait on sockets and child processes, not the CPU.
# loadgroup: the browser tests (xdist_group "browser") all go to one worker, which starts one
# stack and one chromium for them; every other test is balanced as with the default "load".
pytest: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/pytest -n auto --dist loadgroup

# The README's pictures of Min side's four sections, taken by the browser test.
screenshots: $(STAMP) $(NODE_STAMP) browser
	MINSIDE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
		tests/browser -k four_sections

schema: $(STAMP)
	$(BIN)/minside export-schema > schema.graphql

readme: $(STAMP)
	$(BIN)/python -m minside.settings_doc

bench: $(STAMP)
	$(BIN)/minside bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
