"""Near-duplicates: a page holding the same report several times gives one whole report; the
same report in two files is flagged and left out from tokens onward unless kept."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from conftest import RAW

from analysis.corpus import ingest
from analysis.corpus.clean import count_han
from analysis.corpus.split import drop_repeated_copies, sentences
from analysis.pipeline import run_ingest, run_tokens
from analysis.results import Results
from analysis.tokens.cache import DROPPED_COLUMNS, select_paragraphs

REPORTS = {
    "jiaxing": ("local/000_6877723c31c16b66.txt", "2022年嘉兴市政府工作报告"),
    "national": ("wikisource-national/national_2016.txt", "2016年政府工作报告"),
    "national_titled": ("wikisource-national/national_2016.txt", "2016年国务院政府工作报告"),
}


def _page(body: str, title: str, k: int) -> str:
    """One saved web page: navigation, title, source/time/editor lines, font menu, the report,
    print controls and related links."""
    return (
        f"首页 > 政务公开 > 规划计划\n{title}\n来源：市政府办公室  发布时间：2023-01-1{k}\n"
        f"【字号：大 中 小】\n{body}\n打印本页 关闭窗口\n责任编辑：王五\n"
        "相关链接：\n中国政府网 浙江省人民政府\n"
    )


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_three_copies_in_one_file_give_one_whole_report(cfg, tmp_path, name):
    rel, title = REPORTS[name]
    body = (RAW / rel).read_text(encoding="utf-8")
    one, three = tmp_path / "one", tmp_path / "three"
    one.mkdir()
    three.mkdir()
    (one / "report.txt").write_text(body, encoding="utf-8")
    (three / "report.txt").write_text(
        "\n".join(_page(body, title, k) for k in range(3)), encoding="utf-8"
    )
    single = ingest([one], config=cfg, metadata=[], results=tmp_path / "r1").documents
    got = ingest([three], config=cfg, metadata=[], results=tmp_path / "r3")
    kept = got.documents[got.documents["duplicate_of"].isna()]
    assert len(kept) == 1
    n_one, n_kept = single["n_han"].item(), kept["n_han"].item()
    assert abs(n_kept - n_one) <= 0.03 * n_one, (n_kept, n_one)
    # the kept report holds every sentence of the single copy
    assert sentences(single["text"].item()) <= sentences(kept["text"].item())
    rules = got.rules.set_index("rule")["chars"]
    assert rules["repeated_copy"] >= 1.9 * count_han(body)


def test_repeated_copies_leave_compilations_alone():
    a = "\n".join(f"第{i}条关于推进高质量发展的重要措施必须坚决落实到位" for i in range(30))
    b = "\n".join(f"第{i}项有关生态环境保护的工作安排需要认真组织实施" for i in range(30))
    shared = "现在，我代表市人民政府向大会报告工作，请予审议。"
    text = f"{shared}\n{a}\n{shared}\n{b}"
    assert drop_repeated_copies(text) == (text, "")
    kept, removed = drop_repeated_copies(f"{a}\n导航 首页\n{a}\n{b}")
    assert kept == f"{a}\n导航 首页\n{b}" and removed == a


@pytest.fixture(scope="module")
def two_files(cfg, tmp_path_factory):
    """The same report in two files (different bytes): ingested, then tokenized by the stage."""
    tmp = tmp_path_factory.mktemp("two_files")
    d = tmp / "mine"
    d.mkdir()
    text = (RAW / "provincial-2025-docx/hebei_2025.txt").read_text(encoding="utf-8")
    (d / "a_hebei.txt").write_text(text, encoding="utf-8")
    (d / "b_hebei_copy.txt").write_text("转载\n" + text.replace("\n", "\r\n"), encoding="utf-8")
    results = Results(tmp / "results")
    run_ingest(cfg, results, paths=[d], metadata=[])
    return results


def test_same_report_in_two_files_is_flagged(two_files):
    docs = two_files.documents()
    first = docs[docs["source_file"].str.endswith("a_hebei.txt")].iloc[0]
    second = docs[docs["source_file"].str.endswith("b_hebei_copy.txt")].iloc[0]
    assert len(docs) == 2 and pd.isna(first["duplicate_of"])
    assert second["duplicate_of"] == first["doc_id"]
    report = pd.read_csv(two_files.corpus_dir / "ingest_report.csv")
    reason = report.loc[report["file"].str.endswith("b_hebei_copy.txt"), "reason"].item()
    assert "duplicate_of" in reason and "keep_duplicates" in reason


def test_duplicates_left_out_from_tokens_by_default(cfg, two_files):
    docs = two_files.documents()
    copy_id = docs.loc[docs["duplicate_of"].notna(), "doc_id"].item()
    outcome = run_tokens(cfg, two_files)
    assert "1 duplicate report(s) left out" in outcome.summary
    tokens = two_files.tokens()
    assert copy_id not in set(tokens["doc_id"]) and tokens["doc_id"].nunique() == 1
    dropped = pd.read_csv(two_files.tokens_dir / "dropped_reports.csv")
    assert list(dropped.columns) == DROPPED_COLUMNS
    assert dropped["doc_id"].tolist() == [copy_id]
    assert dropped["paragraphs"].item() == (two_files.paragraphs()["doc_id"] == copy_id).sum()
    assert "near-duplicate of" in dropped["reason"].item()
    skipped = two_files.skipped()
    assert (skipped["analysis"] == f"report {copy_id}").sum() == 1


def test_keep_duplicates_keeps_them(cfg, two_files):
    keep = dataclasses.replace(cfg, tokens=dataclasses.replace(cfg.tokens, keep_duplicates=True))
    paragraphs, dropped = select_paragraphs(
        two_files.paragraphs(), two_files.documents(), keep_duplicates=True
    )
    assert dropped.empty and len(paragraphs) == len(two_files.paragraphs())
    outcome = run_tokens(keep, two_files)
    assert outcome.status == "ran"  # the setting is part of the tokens stamp
    assert two_files.tokens()["doc_id"].nunique() == 2
    assert pd.read_csv(two_files.tokens_dir / "dropped_reports.csv").empty
