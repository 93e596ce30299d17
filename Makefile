# policyshift: `make all` builds everything from the bundled corpus; `make test` checks it.
# Only Python >= 3.10 and make are needed: the first target creates .venv and installs into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RESULTS ?= results

.PHONY: all install ingest tokens test lint format bench clean

all: tokens

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

ingest: $(STAMP)
	$(BIN)/policyshift ingest --results $(RESULTS)

tokens: ingest
	$(BIN)/policyshift tokens --results $(RESULTS)
	$(BIN)/policyshift lexicon-check --results $(RESULTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	@ls benchmarks/bench_*.py >/dev/null 2>&1 || { echo "no benchmarks yet"; exit 0; }
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(RESULTS) .pytest_cache .ruff_cache
