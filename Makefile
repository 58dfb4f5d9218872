# The two commands of the README: `make demo` (main job) and `make test` (whole suite).
# Each creates .venv on first use and installs what it needs; later runs reuse it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: demo test lint bench notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch is pinned first so sentence-transformers reuses the CPU build instead of pulling CUDA wheels.
$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[test]"
	touch $@

$(VENV)/.demo-deps: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e ".[langchain,agno]"
	touch $@

demo: $(VENV)/.demo-deps
	$(BIN)/python -m headroom_integrations.demo

# The gates first (lint, format, types: strict on the engine), then the whole suite.
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test-deps
	$(BIN)/python benchmarks/run_all.py ../shared/corpus

# Re-run the notebooks headless and save them with their outputs (they are committed executed).
notebooks: $(VENV)/.test-deps
	$(BIN)/python notebooks/execute.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
