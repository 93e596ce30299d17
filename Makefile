# policyshift: `make all` builds everything from the bundled corpus; `make test` checks it.
# Only Python >= 3.10 and make are needed: the first target creates .venv and installs into it.
# Each stage is a file target, so `make all` reruns only the stages whose inputs changed
# (the token stage also keeps its own content-addressed cache).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RESULTS ?= results
CONFIG ?= params.toml
PS     := $(BIN)/policyshift
ARGS   := --results $(RESULTS) --config $(CONFIG)

CORPUS   := $(RESULTS)/corpus/corpus_hash.txt
TOKENS   := $(RESULTS)/tokens/tokens.parquet
MEASURES := $(RESULTS)/tables/concept_panel.parquet
TOPICS   := $(RESULTS)/topics/topics.csv
CODE     := $(wildcard analysis/*.py)

.PHONY: all install ingest tokens measures topics figures test lint format bench clean

all: figures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(CORPUS): $(STAMP) $(CONFIG) data/metadata.csv data/gazetteer.csv $(shell find data/raw -type f)
	$(PS) ingest $(ARGS)

$(TOKENS): $(CORPUS) data/lexicon/policy_terms.txt $(wildcard stopwords/*.txt)
	$(PS) tokens $(ARGS)
	$(PS) lexicon-check $(ARGS)

$(MEASURES): $(TOKENS) data/concepts.toml $(CODE)
	$(PS) measures $(ARGS)

$(TOPICS): $(TOKENS) $(CODE)
	$(PS) topics $(ARGS)

ingest: $(CORPUS)
tokens: $(TOKENS)
measures: $(MEASURES)
topics: $(TOPICS)

# figures are always redrawn (under a minute) from the saved tables
figures: $(MEASURES) $(TOPICS)
	$(PS) figures $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The notebooks run top to bottom on the results of the small config tests/fast.toml
# (built here with the same file targets, under build/fast/).
FAST := tests/fast.toml

test: lint
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory all RESULTS=build/fast CONFIG=$(FAST)
	POLICYSHIFT_CONFIG=$(CURDIR)/$(FAST) POLICYSHIFT_QUIET=1 $(BIN)/python -m pytest --nbmake notebooks -p no:cacheprovider

bench: $(STAMP)
	@ls benchmarks/bench_*.py >/dev/null 2>&1 || { echo "no benchmarks yet"; exit 0; }
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(RESULTS) .pytest_cache .ruff_cache
