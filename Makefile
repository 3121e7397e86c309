# nhigraph developer commands. `make demo` and `make test` are the two Quickstart commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-fast docs bench clean system-deps

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## Install, then generate the demo estate, ingest it and print what is found.
demo: install
	$(BIN)/nhigraph demo

## Install, then run every test (a real Neo4j dev server is built and started by the tests; the
## browser tests drive Debian's headless Chromium).
test: install system-deps
	$(BIN)/python -m pytest

## Debian's Chromium for the browser tests (needs root; elsewhere install it yourself or the tests skip).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and not root: browser tests will be skipped"; fi; }

## Every test but the Neo4j ones.
test-fast: install
	$(BIN)/python -m pytest -m "not neo4j"

## Refresh the generated sections of README.md (model table, inventory format).
docs: install
	$(BIN)/python -c "from pathlib import Path; from nhigraph.docs import update_readme; update_readme(Path('README.md'))"

bench: install
	$(BIN)/python tests/benchmarks/run.py

clean:
	rm -rf $(VENV) nhigraph-demo nhigraph-workspace test-artifacts
