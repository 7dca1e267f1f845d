# Thin wrappers over named tasks; README.md documents them. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
PORT ?= 8000
# Extra index for the CPU build of torch, e.g. https://download.pytorch.org/whl/cpu
# (the GitHub workflows set it). Empty here: these machines take torch from local disk.
TORCH_INDEX ?=
TORCH_VERSION := $(shell sed -n 's/^torch==//p' $(LOCK))

export NO_MKDOCS_2_WARNING := 1
export MPLBACKEND := Agg

.PHONY: help setup browser serve build test lint typecheck workflows pytest bench clean

help:  ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

setup: $(VENV)/.installed node_modules/.installed  ## create .venv (CPU torch, locked versions) and install KaTeX

$(VENV)/.installed: pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python >= 3.11 or run 'make PYTHON=/path/to/python3.x'"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: dlbasics needs Python >= 3.11, $(PYTHON) is $$($(PYTHON) -V 2>&1)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing torch $(TORCH_VERSION) (CPU build) and the locked dependencies into $(VENV) ..."
	$(BIN)/python -m pip install -q -c $(LOCK) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install -q -c $(LOCK) -e ".[docs,test]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js (it provides KaTeX, which renders the formulas)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

browser:  ## install Debian's chromium for the browser tests (when root and missing)
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "note: chromium not found and not root: the browser tests will be skipped (install Debian's 'chromium')"; \
	fi

serve: setup  ## serve the site on http://127.0.0.1:$(PORT) with live reload
	@$(BIN)/python tools/check_port.py $(PORT)
	$(BIN)/mkdocs serve --dirty --dev-addr 127.0.0.1:$(PORT)

build: setup  ## build the site into site/ (strict)
	$(BIN)/mkdocs build --strict

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup  ## mypy on src/
	$(BIN)/mypy

workflows: setup  ## check the GitHub workflows offline
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress .github/workflows

pytest: setup  ## run the test suite (site checks need `make build` first)
	$(BIN)/pytest

test: lint typecheck workflows build browser  ## every check: lint, types, workflows, strict build, tests, site checks
	DLBASICS_REQUIRE_SITE=1 $(BIN)/pytest

bench: setup  ## run every benchmark and print one table
	$(BIN)/python benchmarks/run_all.py

clean:  ## remove the built site, caches and build products (keeps .venv and node_modules)
	rm -rf site build .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
