"""Shared fixtures: the bundled corpus ingested once per test session into a temporary folder,
and one complete build of it with the fast test config (``fast_build``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analysis import config as config_mod
from analysis.corpus import Corpus, ingest
from analysis.results import Results

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FAST = ROOT / "tests" / "fast.toml"
# A results folder of tests/fast.toml to reuse as ``fast_build`` (relative to the repo root):
# `make test` builds build/fast for the notebooks before pytest and passes it here.
BUILD_ENV = "POLICYSHIFT_TEST_BUILD"
os.environ.setdefault("POLICYSHIFT_QUIET", "1")
# One cache of restoration's reference texts for the session's many results folders (and the
# subprocesses they start): cleaning the bundled reports again for each folder that holds a
# masked report cost about ten seconds each. Keyed by what it was made from; safe to share.
os.environ.setdefault("POLICYSHIFT_CACHE", str(ROOT / "build" / "test-cache"))
# `make test` runs pytest in two workers with ``--dist loadfile`` (pytest-xdist): the tests of a
# module stay in one worker, so a module-scoped fixture (a sub-corpus run, a results folder) is
# made once. (``--dist loadgroup`` would also keep the session builds of the bundled corpus in one
# worker, but xdist 3.8 marks the groups in ``item._nodeid``, which pytest 9.2 no longer reads, so
# its groups are silently ignored; so each worker that needs ``ingested`` ingests it itself, about
# half a minute.) The costliest modules, as measured, are handed out first so
# that none starts last; the others follow in collection order (--no-loadscope-reorder).
FIRST_MODULES = (
    "tests/test_pipeline.py",
    "tests/test_pipeline_kills.py",
    "tests/test_any_corpus.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker (the workers collect), the tests of :data:`FIRST_MODULES` first (a
    stable sort: the order within each module is kept). Nothing changes without xdist."""
    if hasattr(config, "workerinput"):
        rank = {m: i for i, m in enumerate(FIRST_MODULES)}
        items.sort(key=lambda item: rank.get(item.path.relative_to(ROOT).as_posix(), len(rank)))


@pytest.fixture(scope="session")
def cfg() -> config_mod.Config:
    """The repo's params.toml."""
    return config_mod.load(ROOT / "params.toml")


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    """Results folder of the session's ingest of the bundled corpus."""
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="session")
def ingested(cfg, results_dir) -> Corpus:
    """The bundled corpus ingested with the curated metadata table."""
    return ingest(config=cfg, results=results_dir)


@pytest.fixture(scope="session")
def corpus(ingested) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(documents, paragraphs)`` of the bundled corpus."""
    return ingested.documents, ingested.paragraphs


@pytest.fixture(scope="session")
def metadata() -> pd.DataFrame:
    """The curated ground truth, data/metadata.csv."""
    return pd.read_csv(ROOT / "data" / "metadata.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def tokens(cfg, ingested, results_dir) -> pd.DataFrame:
    """Token table of the bundled corpus, written to ``<results_dir>/tokens/`` like the CLI does."""
    from analysis.tokens import build_tokens

    return build_tokens(
        ingested.paragraphs, config=cfg.tokens, root=cfg.root, cache_dir=results_dir / "tokens"
    )


@pytest.fixture(scope="session")
def measures(fast_config, fast_results) -> Path:
    """``tables/`` built by the measures stage on the bundled corpus, in the folder of
    ``fast_build`` (tests/fast.toml: 200 bootstrap replicates instead of 1000; no check on the
    tables depends on their number), beside its ``corpus/`` and ``tokens/``. Only the stages up
    to measures run here (each unless up to date), so a module that needs no more waits for no
    more."""
    from analysis.pipeline import run_ingest, run_measures, run_tokens

    for step in (run_ingest, run_tokens, run_measures):
        step(fast_config, fast_results)
    return fast_results.tables_dir


@pytest.fixture(scope="session")
def fast_config() -> config_mod.Config:
    """The fast test config, tests/fast.toml (params.toml with a small topic grid and fewer
    bootstrap replicates)."""
    return config_mod.load(FAST)


@pytest.fixture(scope="session")
def fast_results(tmp_path_factory) -> Results:
    """The folder of ``fast_build``: ``$POLICYSHIFT_TEST_BUILD`` when set (relative to the repo
    root; `make test` sets build/fast, which it has just built with tests/fast.toml for the
    notebooks, so every stage is up to date here and nothing is computed twice), else a
    temporary one."""
    given = os.environ.get(BUILD_ENV)
    folder = ROOT / given if given else tmp_path_factory.mktemp("fast_build")
    return Results(folder, figures=folder / "figures")


@pytest.fixture(scope="session")
def fast_build(fast_config, fast_results) -> Results:
    """Every stage and the report page run on the bundled corpus with tests/fast.toml, once a
    session (each stage unless its stamp says it is up to date, so a stale folder is brought up
    to date first); tests only read it."""
    from analysis.pipeline import run_all

    outcomes = run_all(fast_config, fast_results)
    assert [o.failed for o in outcomes if o.failed] == []
    return fast_results
