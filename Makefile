# policyshift: `make all` builds everything from the bundled corpus; `make test` checks it.
# Only Python >= 3.10 and make are needed: the first target creates .venv and installs into it
# (with uv, which installs the same packages as pip in about a quarter of the time, compiled to
# bytecode at install: where PYTHONDONTWRITEBYTECODE is set, as on our CI machines, Python would
# otherwise compile pandas, matplotlib and the rest again in every process, about 3 s each, and
# the pipeline and the tests start hundreds of processes).
# Every stage decides itself whether it is up to date (its stamp.json records the inputs, config
# sections, code and package versions it was made from), so `make all` reruns exactly the stages
# downstream of what changed, and nothing when nothing did.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RESULTS ?= results
CONFIG ?= params.toml
PS     := $(BIN)/policyshift
ARGS   := --results $(RESULTS) --config $(CONFIG)

.PHONY: all install run ingest tokens measures topics figures test lint format bench clean chromium

all: run

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test,report,dask]'
	touch $(STAMP)

install: $(STAMP)

run ingest tokens measures topics figures: $(STAMP)
	$(PS) $@ $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The notebooks run top to bottom on the results of the small config tests/fast.toml
# (built here with the same file targets, under build/fast/). pytest reuses that build as its
# session build of the bundled corpus (POLICYSHIFT_TEST_BUILD, see tests/conftest.py), so it is
# made once, and runs in PYTEST_WORKERS processes (pytest-xdist; the tests of a module stay in
# one worker, see tests/conftest.py).
FAST := tests/fast.toml
PYTEST_WORKERS ?= 2
PYTEST_XDIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The report page is tested in headless Chromium from Debian's packages (tests/report/): installed
# here when missing, as root (CI runs as root on a fresh machine); otherwise say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the report page test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: 'sudo apt-get update && sudo apt-get install -y chromium'" \
	      "(tests/report/test_report_browser.py fails without it)"; \
	  fi; }

test: lint chromium
	$(BIN)/python -m compileall -q analysis  # its bytecode too (see the install), for this checkout
	$(MAKE) --no-print-directory all RESULTS=build/fast CONFIG=$(FAST)
	$(PS) lexicon-check --results build/fast --config $(FAST)
	POLICYSHIFT_TEST_BUILD=build/fast $(BIN)/python -m pytest $(PYTEST_XDIST)
	POLICYSHIFT_CONFIG=$(CURDIR)/$(FAST) POLICYSHIFT_QUIET=1 $(BIN)/python -m pytest --nbmake notebooks -p no:cacheprovider -n $(PYTEST_WORKERS)

bench: $(STAMP)
	@ls benchmarks/bench_*.py >/dev/null 2>&1 || { echo "no benchmarks yet"; exit 0; }
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(RESULTS) .pytest_cache .ruff_cache
