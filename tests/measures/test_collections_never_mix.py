"""Adding a folder of one's own reports to the bundled corpus changes no bundled table.

The bundled national and provincial reports are ingested alone and together with a folder
``extra`` of three reports that a metadata table files as national work reports of 2015-2017
(so that, without the ``collection == 'bundled'`` selection, they would enter the national
comparison and the national year series). Every bundled row must come out byte-identical.
"""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
from conftest import RAW, ROOT

from analysis.corpus import ingest
from analysis.measures.build import compute_measures
from analysis.tokens import build_tokens

BUNDLED = [RAW / "wikisource-national", RAW / "provincial-2025-docx", RAW / "provincial-2026-csv"]
EXTRA = {
    "000_6877723c31c16b66.txt": 2015,
    "001_47fa1e553b699edb.txt": 2016,
    "003_2ae2d6b944143d98.txt": 2017,
}


def _measures(cfg, tmp, paths, metadata):
    corpus = ingest([str(p) for p in paths], config=cfg, results=tmp, metadata=metadata)
    tokens = build_tokens(
        corpus.paragraphs, config=cfg.tokens, root=cfg.root, cache_dir=tmp / "tokens"
    )
    return compute_measures(corpus.paragraphs, tokens, cfg)


@pytest.fixture(scope="module")
def pair(cfg, tmp_path_factory):
    small = dataclasses.replace(cfg, measures=dataclasses.replace(cfg.measures, n_boot=20))
    tmp = tmp_path_factory.mktemp("mix")
    extra = tmp / "extra"
    extra.mkdir()
    rows = []
    for name, year in EXTRA.items():
        shutil.copy(RAW / "local" / name, extra / name)
        rows.append(
            {"source_file": name, "place": "全国", "level": "national", "year": year}
            | {"doc_type": "work_report"}
        )
    table = tmp / "extra_metadata.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    meta = [ROOT / "data" / "metadata.csv"]
    alone = _measures(small, tmp / "alone", BUNDLED, meta)
    mixed = _measures(small, tmp / "mixed", [*BUNDLED, extra], [*meta, table])
    return alone, mixed


def _bundled_bytes(table: pd.DataFrame) -> bytes:
    part = table[table["collection"] == "bundled"] if "collection" in table else table
    return part.reset_index(drop=True).to_csv(index=False).encode()


def test_the_extra_folder_is_its_own_collection(pair):
    _, mixed = pair
    docs = mixed.panel.drop_duplicates("doc_id")
    extra = docs[docs["collection"] == "extra"]
    assert len(extra) == 3 and set(extra["level"]) == {"national"}
    series = mixed.tables["year_series.csv"]
    assert set(series.loc[series["collection"] == "extra", "series"]) == {
        "extra/national/work_report"
    }


def test_bundled_tables_are_byte_identical(pair):
    alone, mixed = pair
    assert _bundled_bytes(alone.panel) == _bundled_bytes(mixed.panel)
    province = alone.panel[alone.panel["level"] == "province"]
    assert province["doc_id"].nunique() == 62
    for name in (
        "year_series.csv",
        "term_panel.csv",
        "concept_section_shift.csv",
        "tfidf_top_terms.csv",
        "group_term_counts.csv",
    ):
        assert _bundled_bytes(alone.tables[name]) == _bundled_bytes(mixed.tables[name]), name
    national = alone.tables["year_series.csv"]
    assert national["series"].str.startswith("bundled/national/").all()
    index = alone.tables["keyness/index.csv"].set_index("comparison")
    bundled = [c for c in index.index if c in {"national_2013_2022_vs_2003_2012"}]
    bundled += [c for c in index.index if c.startswith("bundled.")]
    bundled += ["provinces_2026_vs_2025", "review_vs_plan"]
    for cid in bundled:
        a = alone.tables[f"keyness/{cid}.csv"].to_csv(index=False)
        b = mixed.tables[f"keyness/{cid}.csv"].to_csv(index=False)
        assert a == b, cid
    # 2013-2022 less 2020, whose report is bundled in tmx-bilingual-national (not read here)
    assert index.loc["national_2013_2022_vs_2003_2012", "n_target_docs"] == 9
    assert index.loc["national_2013_2022_vs_2003_2012", "n_reference_docs"] == 10
