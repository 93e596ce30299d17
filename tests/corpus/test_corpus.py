"""Ingest of the bundled corpus: counts, metadata, cleaning, restoration, sections."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from conftest import RAW, ROOT

from analysis.corpus import ingest, load_corpus
from analysis.corpus.metadata import DOCVARS

LOCAL = {"prefecture", "county-level"}


def test_counts_by_level(corpus):
    docs, _ = corpus
    levels = docs["level"].value_counts()
    # local: 28 in local/, 深圳市 26, its districts 107, 驻马店市 25
    assert levels[levels.index.isin(LOCAL)].sum() == 28 + 26 + 107 + 25
    assert levels["national"] == 53
    assert levels["province"] == 62 + 11  # 31 provinces 2025 and 2026, 广东省 2014-2024
    assert sorted(docs.loc[docs.level == "national", "year"]) == sorted(
        [*range(1954, 1961), 1964, 1975, *range(1978, 1989), *range(1992, 1996), *range(1997, 2026)]
    )


def test_metadata_equals_curated_table(corpus, metadata):
    docs, _ = corpus
    merged = docs.merge(metadata, on="doc_id", suffixes=("", "_table"), validate="1:1")
    assert len(merged) == len(metadata) == 312
    for col in ("place", "doc_type", "level", "province", "region"):
        assert (merged[col].fillna("") == merged[f"{col}_table"]).all(), col
    assert (merged["year"].astype(str) == merged["year_table"]).all()
    assert (docs["place_source"] == "table").all()


def test_known_facts(corpus):
    docs, _ = corpus
    by_id = docs.set_index("doc_id")
    assert by_id.loc["wenzhou_2023", "place"] == "温州市"
    assert by_id.loc["haining_2023", "prefecture"] == "嘉兴市"
    assert by_id.loc["jiaxing_2022", "speaker"] == "李军"
    assert by_id.loc["national_1955", "doc_type"] == "other"
    compiled = docs[docs["source_file"] == "local/004_6b340ccef4bd5f14.txt"]
    assert len(compiled) == 24 and set(compiled["year"]) == {2023}


def test_docvars_travel_with_paragraphs(corpus):
    docs, paras = corpus
    assert list(docs.columns[: len(DOCVARS)]) == list(DOCVARS)
    assert set(DOCVARS) <= set(paras.columns)
    joined = paras.merge(docs[list(DOCVARS)], on="doc_id", suffixes=("", "_d"))
    for col in DOCVARS[1:]:
        left, right = joined[col].astype(object), joined[f"{col}_d"].astype(object)
        assert (left.fillna("").astype(str) == right.fillna("").astype(str)).all(), col
    # the clean text is exactly its paragraphs
    for d in docs.itertuples():
        assert d.text == "\n".join(paras.loc[paras.doc_id == d.doc_id, "text"])


def test_every_input_file_accounted_for(ingested):
    files = sorted(p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file())
    rep = ingested.report
    assert sorted(rep["file"]) == files
    assert set(rep.loc[rep.file.str.endswith(".md"), "status"]) == {"notes"}  # SOURCE.md etc.
    assert rep.loc[rep.file == "local/004_6b340ccef4bd5f14.txt", "status"].item() == "split into 24"
    assert (rep.loc[rep.file.str.endswith(".txt"), "status"] != "rejected").all()


REMOVED = [
    "mishugongzuo",
    "tizhisiri",
    "浙ICP备05051884号",
    "版权所有",
    "公网安备",
    "公有领域",
    "维基文库",
    "Public domain",
    "【字号",
    "字号:",
    "加大还原减小",
    "相关报道:",
    "扫一扫在手机",
    "打印本页",
    "信息来源:",
    "发布时间:",
    "当前位置",
    "预览时标签不可点",
    "编辑/木子",
]
SURVIVE = {
    "binzhou_2023": "现在,我代表市政府向大会报告工作,请予审议",
    "huzhou_2023": "让廉洁用权、干净干事在政府系统蔚然成风",
    "beijing_2026": "蓝图已经绘就,实干创造未来",
    "national_2024": "努力完成全年经济社会发展目标任务",
    "sichuan_2026": "施小琳",
}


def test_boilerplate_removed_and_body_kept(corpus):
    docs, _ = corpus
    text = "\n".join(docs["text"])
    for s in REMOVED:
        assert s not in text, s
    by_id = docs.set_index("doc_id")
    for doc_id, sentence in SURVIVE.items():
        assert sentence in by_id.loc[doc_id, "text"], doc_id


def test_cleaning_is_reported(ingested, results_dir):
    out = results_dir / "corpus"
    md = (out / "ingest_report.md").read_text(encoding="utf-8")
    assert "| local/004_6b340ccef4bd5f14.txt | split into 24 |" in md
    assert "| wikisource_footer | 52 |" in md
    assert "## Masked characters" in md
    rules = pd.read_csv(out / "cleaning.csv")
    by = rules.set_index(["doc_id", "rule"])["chars"]
    assert by[("haining_2023", "table_of_contents")] > 300
    assert by[("binzhou_2023", "advertisement")] == 54
    assert by[("huzhou_2023", "copyright_icp")] > 100
    assert (
        rules.loc[rules.rule == "font_menu", "source_file"].str.startswith("provincial-2026-csv/")
    ).sum() >= 23
    manifest = json.loads((results_dir / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["outputs"]["corpus/documents.parquet"]
    assert entry["corpus_hash"] == ingested.corpus_hash
    assert entry["config_hash"] in manifest["configs"]


def test_traditional_converted_only_where_needed(corpus):
    docs, _ = corpus
    by_id = docs.set_index("doc_id")
    assert by_id.loc["national_1954", "t2s_converted"] > 6000
    t1954 = by_id.loc["national_1954", "text"]
    assert "我们国家的根本法" in t1954 and not set("們國經濟會議於後") & set(t1954)
    assert by_id.loc["binzhou_2023", "t2s_converted"] == 0  # 乾县 is a place name, kept
    assert "乾县" in "\n".join(docs["text"])


def test_toc_and_glossary_kept_out_of_the_speech(corpus):
    docs, paras = corpus
    haining = paras[paras.doc_id == "haining_2023"]
    assert haining["text"].str.startswith("(一)经济运行恢复向好").sum() == 1
    assert not haining["text"].iloc[:3].str.fullmatch(r"\(.\).{2,12}").any()
    gd = docs.set_index("doc_id").loc["guangdong_2025"]
    assert "名词解释" in gd["glossary_text"] and "名词解释" not in gd["text"]


def test_lost_line_breaks_are_split(corpus):
    _, paras = corpus
    wz = paras[paras.doc_id == "wenzhou_2023"]
    assert len(wz) > 40
    assert set(wz["section"]) >= {"review", "plan", "conduct", "other"}


def test_flags_match_known_issues(corpus):
    docs, _ = corpus
    for flag in ("truncated", "abridged", "numbers_deleted"):
        expected = docs["known_issues"].fillna("").str.contains(flag)
        assert (docs[flag] == expected).all(), docs.loc[docs[flag] != expected, "doc_id"].tolist()


def test_censored_file_lists_its_restorations(ingested):
    docs = ingested.documents.set_index("doc_id")
    assert docs.loc["jiaxing_2020_proposal", "masked_restored"] >= 100
    assert docs.loc["jiaxing_2020_proposal", "numbers_deleted"]
    rest = ingested.restorations
    mine = rest[rest.source_file == "local/002_abc323c218ed7c44.txt"]
    assert len(mine) == 136 and set(mine["char"]) >= {"党", "政"}
    assert "中国共产党嘉兴市第八届委员会" in docs.loc["jiaxing_2020_proposal", "text"]


def test_masked_party_and_government_restored(cfg, corpus, tmp_path):
    """Mask every 党 and 政 in three clean reports; >= 98% come back right."""
    docs, _ = corpus
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    targets = [
        "wikisource-national/national_2024.txt",
        "provincial-2025-docx/zhejiang_2025.txt",
        "provincial-2026-csv/anhui_2026.txt",
    ]
    for rel in targets:
        p = raw / rel
        p.write_text(re.sub("[党政]", "*", p.read_text(encoding="utf-8")), encoding="utf-8")
    # a copy of data/raw is another collection, which data/metadata.csv does not describe
    masked = ingest([raw], config=cfg, results=tmp_path / "results", collection="bundled")
    masked = masked.documents.set_index("doc_id")
    truth = docs.set_index("doc_id")
    right = total = 0
    for doc_id in ("national_2024", "zhejiang_2025", "anhui_2026"):
        orig, got = truth.loc[doc_id, "text"], masked.loc[doc_id, "text"]
        assert len(orig) == len(got)
        pos = [i for i, c in enumerate(orig) if c in "党政"]
        total += len(pos)
        right += sum(got[i] == orig[i] for i in pos)
    assert total > 300
    assert right / total >= 0.98, (right, total)


def test_same_report_in_three_encodings(cfg, tmp_path):
    text = (RAW / "local" / "000_6877723c31c16b66.txt").read_text(encoding="utf-8")
    d = tmp_path / "enc"
    d.mkdir()
    (d / "a_gb18030.txt").write_bytes(text.encode("gb18030"))
    (d / "b_utf8bom_crlf.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    (d / "c_utf8.txt").write_bytes(text.encode("utf-8"))
    c = ingest([d], config=cfg, metadata=[], results=tmp_path / "results")
    assert len(set(c.documents["text"])) == 1
    assert list(c.report["encoding"]) == ["gb18030", "utf-8-sig", "utf-8"]
    assert c.documents["duplicate_of"].notna().sum() == 2


def test_bad_input_never_stops_the_rest(cfg, tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    good = (RAW / "provincial-2025-docx" / "hebei_2025.txt").read_bytes()
    (d / "good.txt").write_bytes(good)
    (d / "later_copy.txt").write_bytes(good)
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "garbage.txt").write_bytes(b"\xff" * 101)
    (d / "english.txt").write_text("This is not a Chinese report. " * 50)
    (d / "notes.md").write_text("not a report")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    c = ingest([d], config=cfg, metadata=[], results=tmp_path / "results")
    rep = c.report.set_index("file")  # files of a user folder are named <collection>/<file>
    assert rep.loc["bad/good.txt", "status"] == "accepted"
    assert rep.loc["bad/later_copy.txt", "reason"] == "duplicate of bad/good.txt (identical bytes)"
    assert rep.loc["bad/empty.txt", "reason"] == "empty file (0 bytes)"
    assert rep.loc["bad/binary.txt", "reason"].startswith("binary file")
    assert rep.loc["bad/garbage.txt", "reason"].startswith("undecodable bytes")
    assert rep.loc["bad/english.txt", "reason"].startswith("no Chinese text")
    assert rep.loc["bad/notes.md", "status"] == "skipped"
    assert len(c.documents) == 1
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # raw files never modified
    from analysis.cli import main

    assert (
        main(
            [
                "ingest",
                str(d),
                "--metadata",
                str(ROOT / "data/metadata.csv"),
                "--results",
                str(tmp_path / "r2"),
                "--strict",
            ]
        )
        == 1
    )
    assert main(["ingest", str(d / "good.txt"), "--results", str(tmp_path / "r3")]) == 0


def test_inference_alone_gets_local_place_and_year(cfg, metadata, tmp_path):
    c = ingest([RAW / "local"], config=cfg, metadata=[], results=tmp_path / "results")
    docs = c.documents
    assert (docs["place_source"].isin(["inferred", "missing"])).all()
    # a part of data/raw keeps the names data/metadata.csv gives its files (local/...)
    table = metadata.assign(part=metadata["part"].astype(int))
    merged = docs.merge(table, on=["source_file", "part"], suffixes=("", "_t"))
    assert len(merged) == 28
    right = (merged["place"] == merged["place_t"]) & (
        merged["year"].astype(str) == merged["year_t"]
    )
    assert right.sum() >= 26, merged.loc[~right, ["source_file", "part", "place", "year"]]


def test_section_labels_on_hand_checked_sample(corpus):
    _, paras = corpus
    sample = pd.read_csv(ROOT / "tests" / "data" / "section_sample.csv")
    assert len(sample) >= 40
    assert sample["section"].value_counts().min() >= 3
    wrong = []
    for r in sample.itertuples():
        hit = paras[(paras.doc_id == r.doc_id) & paras.text.str.contains(r.snippet, regex=False)]
        assert len(hit) == 1, (r.doc_id, r.snippet)
        if hit["section"].item() != r.section:
            wrong.append((r.doc_id, r.snippet, r.section, hit["section"].item()))
    assert not wrong


def test_load_corpus_roundtrip(ingested, results_dir, tmp_path):
    docs, paras = load_corpus(results_dir)
    assert list(docs["doc_id"]) == list(ingested.documents["doc_id"])
    assert len(paras) == len(ingested.paragraphs)
    assert (paras["section"] == ingested.paragraphs["section"]).all()
    loaded = load_corpus(results_dir)  # the same kind of object ingest returns
    assert type(loaded) is type(ingested) and loaded.corpus_hash == ingested.corpus_hash
    assert len(loaded.report) == len(ingested.report) == 296  # 289 .txt, 7 SOURCE(S).md
    with pytest.raises(FileNotFoundError, match="run `policyshift ingest`"):
        load_corpus(tmp_path)
