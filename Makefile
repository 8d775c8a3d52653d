# dbskit — `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN    := .venv/bin
# .venv is made and filled by one script, under a lock: targets started together wait in turn.
VENV_BASE := $(PYTHON) scripts/environment.py
VENV_DEV  := $(PYTHON) scripts/environment.py dev
CODE   := src tests benchmarks scripts

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: ## Create .venv with dbskit, both extras and the development tools
	@$(VENV_DEV)

serve: ## Run the Market emulator on the embedded SQLite (./.dbskit); installs only what serving needs
	@$(VENV_BASE)
	$(BIN)/dbskit serve

test: ## Run the whole test suite
	@$(VENV_DEV)
	$(BIN)/pytest

test-fast: ## Run the unit tests only
	@$(VENV_DEV)
	$(BIN)/pytest tests/unit -q

check: ## Every check CI runs, each timed: lint, format, types, import contracts, rules doc, tests
	@$(VENV_DEV)
	@scripts/check.sh

lint: ## ruff check and format check
	@$(VENV_DEV)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

fmt: ## Format the code
	@$(VENV_DEV)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

typecheck: ## mypy --strict on the package, the tests, the benchmarks and the scripts
	@$(VENV_DEV)
	$(BIN)/mypy $(CODE)

imports: ## Check the import contracts (pyproject.toml [tool.importlinter])
	@$(VENV_DEV)
	$(BIN)/lint-imports

docs-rules: ## Regenerate docs/rules.md from the tests' rule and decision markers
	@$(VENV_DEV)
	$(BIN)/python scripts/rules_doc.py

bench: ## Run the benchmarks (loopback only) and print the results table
	@$(VENV_DEV)
	$(BIN)/python -m benchmarks

.PHONY: help install serve test test-fast check lint fmt typecheck imports docs-rules bench
