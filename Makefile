# The two commands of the README: `make demo` runs the main job, `make test` the tests.
# Each creates the virtual environment it needs on first use.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Corpora are read from $XLNER_DATA; inside the team's checkout they sit in ../shared/data.
XLNER_DATA ?= $(if $(wildcard ../shared/data/README.md),$(abspath ../shared/data),)
export XLNER_DATA

.PHONY: demo test lint benchmark-europarl clean

$(BIN)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,encoder]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/xlner demo

test: $(BIN)/.installed lint
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

benchmark-europarl: $(BIN)/.installed
	$(BIN)/python benchmarks/europarl.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
