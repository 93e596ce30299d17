"""Metadata tables: user values over inference, place fields re-derived, users' own doc_types,
source names and doc_ids of collections that never collide with the bundled corpus."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import RAW, ROOT

from analysis.corpus import MetadataError, ingest
from analysis.corpus.metadata import read_metadata

ZHEJIANG = RAW / "provincial-2025-docx" / "zhejiang_2025.txt"


def _folder(tmp_path, name: str, files: dict[str, str]):
    folder = tmp_path / name
    folder.mkdir()
    for dest, src in files.items():  # one more newline: not the bundled file's bytes
        (folder / dest).write_bytes((RAW / src).read_bytes() + b"\n")
    return folder


def _table(tmp_path, rows: list[dict[str, str]]):
    path = tmp_path / "user_metadata.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_user_place_replaces_the_old_place_fields(cfg, tmp_path):
    folder = _folder(
        tmp_path,
        "mine",
        {
            "a.txt": "provincial-2025-docx/zhejiang_2025.txt",
            "b.txt": "provincial-2025-docx/hebei_2025.txt",
        },
    )
    table = _table(
        tmp_path,
        [
            {"source_file": "a.txt", "place": "全国"},  # relative to its own folder
            {"source_file": "mine/b.txt", "place": "嘉兴市"},  # or with the collection
        ],
    )
    docs = ingest([folder], config=cfg, metadata=[table], results=tmp_path / "r").documents
    a, b = (docs.set_index("source_file").loc[f"mine/{n}.txt"] for n in "ab")
    assert a["place"] == "全国" and a["place_source"] == "user" and a["level"] == "national"
    assert pd.isna(a["province"]) and pd.isna(a["region"]) and a["province_source"] == "missing"
    assert (b["place"], b["level"], b["province"], b["prefecture"], b["region"]) == (
        "嘉兴市",
        "prefecture",
        "浙江省",
        "嘉兴市",
        "east",
    )
    assert b["year"] == 2025 and b["year_source"] == "inferred"  # fields not given stay


def test_user_level_alone_clears_a_province_it_contradicts(cfg, tmp_path):
    folder = _folder(tmp_path, "mine", {"a.txt": "provincial-2025-docx/zhejiang_2025.txt"})
    table = _table(tmp_path, [{"source_file": "a.txt", "level": "national"}])
    doc = ingest([folder], config=cfg, metadata=[table], results=tmp_path / "r").documents.iloc[0]
    assert doc["level"] == "national" and pd.isna(doc["province"]) and pd.isna(doc["region"])


def test_doc_type_accepts_a_users_own_identifier(cfg, tmp_path):
    folder = _folder(tmp_path, "mine", {"a.txt": "wikisource-national/national_1955.txt"})
    table = _table(tmp_path, [{"source_file": "a.txt", "doc_type": "fyp_outline"}])
    doc = ingest([folder], config=cfg, metadata=[table], results=tmp_path / "r").documents.iloc[0]
    assert doc["doc_type"] == "fyp_outline" and doc["doc_type_source"] == "user"
    bad = _table(tmp_path, [{"source_file": "a.txt", "doc_type": "Party Congress"}])
    with pytest.raises(
        MetadataError, match=r"row 2: doc_type='Party Congress' is not an identifier"
    ):
        read_metadata(bad)
    assert (
        read_metadata(ROOT / "data" / "metadata.csv")["doc_type"]
        .isin({"work_report", "committee_report", "plan_proposal", "other"})
        .all()
    )


def test_collections_never_take_bundled_rows_or_ids(cfg, tmp_path):
    # a user folder named like a bundled one, holding a bundled file name with other content
    folder = tmp_path / "local"
    folder.mkdir()
    shutil.copy(ZHEJIANG, folder / "000_6877723c31c16b66.txt")
    shutil.copy(RAW / "wikisource-national" / "national_2024.txt", folder / "报告.txt")
    alone = ingest([folder], config=cfg, results=tmp_path / "r1").documents
    both = ingest([RAW / "local", folder], config=cfg, results=tmp_path / "r2").documents
    assert alone["doc_id"].iloc[0] == "local__000_6877723c31c16b66"
    assert re.fullmatch(r"local__[0-9a-f]{6}", alone["doc_id"].iloc[1])  # 报告.txt: a hash
    mine = both[both["collection"] == "local"]
    assert mine["doc_id"].tolist() == alone["doc_id"].tolist()
    assert mine["source_file"].tolist() == ["local/000_6877723c31c16b66.txt", "local/报告.txt"]
    # data/metadata.csv describes the bundled file of that name, not the user's copy
    assert (mine["place"].tolist(), mine["place_source"].tolist()) == (
        ["浙江省", "全国"],
        ["inferred", "inferred"],
    )
    bundled = both[both["collection"] == "bundled"]
    assert len(bundled) == 28 and (bundled["place_source"] == "table").all()
    assert "jiaxing_2022" in set(bundled["doc_id"]) and both["doc_id"].is_unique


def test_a_doc_id_given_twice_is_an_error(cfg, tmp_path):
    folder = _folder(
        tmp_path,
        "mine",
        {
            "a.txt": "provincial-2025-docx/zhejiang_2025.txt",
            "b.txt": "provincial-2025-docx/hebei_2025.txt",
        },
    )
    table = _table(
        tmp_path, [{"source_file": "a.txt", "doc_id": "x"}, {"source_file": "b.txt", "doc_id": ""}]
    )
    ingest([folder], config=cfg, metadata=[table], results=tmp_path / "r")
    clash = _table(tmp_path, [{"source_file": "a.txt", "doc_id": "zhejiang_2025"}])
    with pytest.raises(MetadataError, match="doc_id 'zhejiang_2025' is given to two reports"):
        ingest(
            [RAW / "provincial-2025-docx", folder],
            config=cfg,
            metadata=[ROOT / "data" / "metadata.csv", clash],
            results=tmp_path / "r2",
        )
