# dbskit — `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install dbskit with its test tools

serve: $(STAMP) ## Run the Market emulator on the embedded SQLite (./.dbskit)
	$(BIN)/dbskit serve

test: $(STAMP) ## Run the whole test suite
	$(BIN)/pytest

test-fast: $(STAMP) ## Run the unit tests only
	$(BIN)/pytest tests/unit -q

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

fmt: $(STAMP) ## Format the code
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: $(STAMP) ## mypy --strict on the package
	$(BIN)/mypy src

docs-rules: $(STAMP) ## Regenerate docs/rules.md from the tests' rule markers
	$(BIN)/python scripts/rules_doc.py

bench: $(STAMP) ## Run the benchmarks (loopback only) and print the results table
	$(BIN)/python -m benchmarks

.PHONY: help install serve test test-fast lint fmt typecheck docs-rules bench
