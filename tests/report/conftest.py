"""Results folders for the report tests: the session's fast build of the bundled corpus and
hand-made folders with hostile strings."""

from __future__ import annotations

import io as stdio
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from analysis import config as config_mod
from analysis import io
from analysis.results import Results
from analysis.skips import Skip, skip_table

# the repo root, as in tests/conftest.py: a test module's `from conftest import ROOT` may find
# this module under the name ``conftest`` (the last conftest imported)
ROOT = Path(__file__).resolve().parents[2]
HOSTILE_ID = "<script>alert('id')</script>"
HOSTILE_PLACE = '<img src=x onerror="alert(1)">市'


@pytest.fixture(scope="session")
def built(fast_config, fast_build) -> tuple[config_mod.Config, Results]:
    """Every stage, then the report, run on the bundled corpus with tests/fast.toml: the
    session's ``fast_build`` (tests/conftest.py), shared with the other tests that read a
    complete build."""
    return fast_config, fast_build


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    buf = stdio.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _stamp(stage: str, outputs: dict[str, str]) -> dict[str, object]:
    return {
        "stage": stage,
        "config": {},
        "config_hash": f"hash-{stage}",
        "code": {"version": "0.1.0", "source_hash": "0" * 64, "git": "abc1234"},
        "versions": {"python": "3.11", "pandas": "2.2"},
        "upstream": {},
        "inputs": {},
        "corpus_hash": "c0ffee",
        "seed": 7,
        "outputs": outputs,
    }


@pytest.fixture
def hostile() -> tuple[str, str]:
    """The doc id and the place of the hand-made folder's report that hold markup."""
    return HOSTILE_ID, HOSTILE_PLACE


@pytest.fixture
def handmade(tmp_path) -> Results:
    """A results folder written by hand: 3 reports (one id and one place with markup), an
    ingest report, skips in two stages, two figures with a manifest, a keyness comparison."""
    res = Results(tmp_path / "res", figures=tmp_path / "res" / "figures")
    docs = pd.DataFrame(
        {
            "doc_id": [HOSTILE_ID, "national_2020", "hangzhou_2023"],
            "collection": ["mine", "bundled", "bundled"],
            "place": [HOSTILE_PLACE, "全国", "杭州市"],
            "level": ["prefecture", "national", "prefecture"],
            "year": [2024, 2020, 2023],
            "doc_type": ["speech", "work_report", "work_report"],
            "n_han": [1200, 20000, 15000],
            "n_paragraphs": [10, 80, 60],
            "truncated": [True, False, False],
            "abridged": [False, False, False],
            "masked_restored": [0, 3, 0],
            "masked_unresolved": [0, 1, 0],
            "numbers_deleted": [False, False, False],
            "duplicate_of": ["", "", ""],
            "place_source": ["inferred", "table", "table"],
            "year_source": ["missing", "table", "table"],
        }
    )
    io.write_parquet(docs, res.documents_path)
    report = pd.DataFrame(
        {
            "file": ["mine/<b>bold</b>.txt", "national/2020.txt", "local/x.txt", "notes.md"],
            "status": ["accepted", "accepted", "split into 2", "skipped"],
            "reason": ["", "", "", "not a .txt file"],
        }
    )
    io.write_csv(report, res.corpus_dir / "ingest_report.csv")
    io.write_json(res.corpus_dir / "stamp.json", _stamp("ingest", {"documents.parquet": "x"}))
    skips = [
        Skip(
            "measures",
            "keyness/zhejiang",
            "the target matches no report",
            "[[measures.comparisons]] id",
        ),
        Skip("measures", "year_series/mine/prefecture/speech", "fewer than 3 years (1)"),
    ]
    io.write_csv(skip_table(skips), res.tables_dir / "skipped.csv")
    io.write_csv(
        skip_table([Skip("figures", "concept_trends_national", "<no> national series")]),
        res.figures_dir / "skipped.csv",
    )
    for name, colour in (("corpus_overview", (200, 30, 30)), ("keyness_bars", (30, 30, 200))):
        (res.figures_dir / f"{name}.png").write_bytes(_png(colour))
        (res.figures_dir / f"{name}.pdf").write_bytes(b"%PDF-1.4\n")
    manifest = {
        "figures": {
            "keyness_bars": {"question": "Which terms <em>distinguish</em>?"},
            "corpus_overview": {"question": "Which reports?"},
        }
    }
    io.write_json(res.figures_dir / "manifest.json", manifest)
    index = pd.DataFrame({"comparison": ["mine_vs_rest"], "label": ["<i>mine</i>"]})
    io.write_csv(index, res.tables_dir / "keyness" / "index.csv")
    terms = pd.DataFrame(
        {
            "term": ["<script>", "发展", "改革"],
            "target_count": [5, 1, 9],
            "reference_count": [0, 20, 2],
            "g2": [12.5, 8.25, 3.0],
            "direction": ["target", "reference", "target"],
        }
    )
    io.write_csv(terms, res.tables_dir / "keyness" / "mine_vs_rest.csv")
    return res
