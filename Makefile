# Two commands for a fresh machine with Python 3.11, git and make:
#   make demo   -- venv, install, and run init/validate/plan/apply/drift on examples/
#   make test   -- venv with dev extras, and the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := .demo

.PHONY: demo test install install-dev lint schema docs bench clean azurite

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml terraform-provider/pyproject.toml pulumi/pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]" -e ./terraform-provider -e ./pulumi
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	@bash scripts/demo.sh $(BIN)/finopsmetrics $(DEMO)

AZURITE := .cache/azurite/node_modules/.bin/azurite-blob

# Azurite (Azure Storage emulator) for the blob tests; 3.35.0 runs on Node 20.
# Without npm the tests that need it are skipped with that reason.
azurite:
	@if command -v npm >/dev/null 2>&1 && [ ! -x $(AZURITE) ]; then \
	  npm install --prefix .cache/azurite --no-audit --no-fund --silent azurite@3.35.0; fi

test: $(VENV)/.installed-dev azurite
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q tests terraform-provider/tests pulumi/tests; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# Regenerate everything derived from the models: JSON Schema, file-format and
# error-code references, Pulumi classes and docs, Terraform resource pages.
schema: $(VENV)/.installed-dev
	$(BIN)/python -m finopsmetrics_cli.tools.generate
	$(BIN)/python -m finopsmetrics_cli.config.errors_doc
	$(BIN)/python -m pulumi_finopsmetrics._codegen
	$(BIN)/python -m terraform_provider_finopsmetrics.docs

# Benchmarks print figures; they are not tests. Run on an idle machine.
bench: $(VENV)/.installed-dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
