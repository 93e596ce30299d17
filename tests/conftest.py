"""Shared fixtures: the bundled corpus ingested once per test session into a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analysis import config as config_mod
from analysis.corpus import Corpus, ingest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
os.environ.setdefault("POLICYSHIFT_QUIET", "1")


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
def measures(cfg, tokens, results_dir) -> Path:
    """``<results_dir>/tables`` built by the measures stage on the bundled corpus."""
    from analysis.measures import build_measures

    build_measures(cfg, results=results_dir)
    return results_dir / "tables"
