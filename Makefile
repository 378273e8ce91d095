# The two commands of the README: `make demo` runs the main job, `make test` the tests.
# Each creates the virtual environment it needs on first use.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Corpora are read from $XLNER_DATA; inside the team's checkout they sit in ../shared/data.
XLNER_DATA ?= $(if $(wildcard ../shared/data/README.md),$(abspath ../shared/data),)
export XLNER_DATA

.PHONY: demo test lint typecheck benchmark-europarl clean

$(BIN)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,encoder,pipeline,hub,ray,parquet,places]'
	# Apertium and its English-Spanish pair for the translate-test pipeline (Debian package;
	# skipped where there is no apt-get or no root, and the Apertium tests then skip).
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
			&& [ ! -f /usr/share/apertium/modes/spa-eng.mode ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq apertium apertium-eng-spa >/dev/null) \
			|| echo "warning: could not install apertium-eng-spa; its tests will skip"; \
	fi
	# The study report test drives a real headless Chromium (selenium + chromedriver).
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
			&& ! { command -v chromium && command -v chromedriver; } >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium chromium-driver >/dev/null) \
			|| echo "warning: could not install chromium; the browser test will skip"; \
	fi
	touch $@

demo: $(BIN)/.installed
	$(BIN)/xlner demo

test: $(BIN)/.installed lint typecheck
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks docs/examples
	$(BIN)/ruff format --check src tests benchmarks docs/examples

# mypy on src/ (its settings: pyproject.toml [tool.mypy]).
typecheck: $(BIN)/.installed
	$(BIN)/mypy

benchmark-europarl: $(BIN)/.installed
	$(BIN)/python benchmarks/europarl.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
