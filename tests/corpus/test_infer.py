"""Metadata inference on the real corpus with data/metadata.csv withheld, on user folders, and
the metadata template round trip (warnings, --metadata, --strict-metadata)."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from conftest import RAW

from analysis.cli import main
from analysis.corpus import ingest
from analysis.corpus.infer import infer_metadata, load_gazetteer
from analysis.corpus.ingest import compute_corpus
from analysis.corpus.split import is_truncated, is_truncated_start

# A report that names no place and no year, mentioning 上海 often (never taken as its place).
BODY = (
    "各位代表：\n现在，我代表政府向大会报告工作，请予审议。\n"
    + "一、过去一年的工作\n"
    + "我们学习上海的经验，同上海开展合作，上海的企业来投资，和上海共建园区。" * 6
    + "\n"
    + "推动经济社会高质量发展，持续改善民生，扎实推进生态文明建设，全面深化改革开放。" * 5
    + "\n让我们团结一心，为完成全年目标任务而努力奋斗！\n"
)


# the folders of the 143 reports before issue 12; the Shenzhen and Zhumadian series are
# inferred in test_local_series.py
FOLDERS = (
    "local",
    "provincial-2025-docx",
    "provincial-2026-csv",
    "tmx-bilingual-national",
    "wikisource-national",
)


@pytest.fixture(scope="module")
def inferred(cfg):
    """The national, provincial and local reports ingested with no metadata table."""
    return compute_corpus([RAW / f for f in FOLDERS], config=cfg, metadata=[])


def test_bundled_year_and_place_inferred_without_the_table(inferred, metadata):
    docs = inferred.documents
    truth = metadata.assign(part=metadata["part"].astype(int))
    merged = docs.merge(truth, on=["source_file", "part"], suffixes=("", "_t"), validate="1:1")
    assert len(merged) == 143
    assert (merged["year_source"] == "inferred").all()
    wrong = merged[
        (merged["year"].astype("string") != merged["year_t"])
        | (merged["place"] != merged["place_t"])
    ]
    # The issue allows two local exceptions; today there are none.
    assert wrong.empty, wrong[["doc_id_t", "year", "place"]]
    for col in ("level", "province", "region"):
        assert (merged[col].fillna("") == merged[f"{col}_t"]).all(), col
    national = merged[merged["level_t"] == "national"]
    assert (national["place"] == "全国").all() and len(national) == 53


def test_only_uncertain_reports_go_to_the_template(inferred):
    template = inferred.metadata_template
    # place from a newspaper source line (湖州日报) or a name in the body only (low confidence)
    assert sorted(template["source_file"]) == [
        "local/003_2ae2d6b944143d98.txt",
        "wikisource-national/national_1964.txt",
        "wikisource-national/national_1985.txt",
    ]
    assert template["issue"].str.startswith("place ").all()
    assert set(template["place"]) == {"湖州市", "全国"}  # the inferred value, ready to confirm


def test_confidence_and_evidence_per_field(inferred):
    docs = inferred.documents.set_index("source_file")
    conf = docs["inference_confidence"].map(json.loads)
    evidence = docs["inference_evidence"].map(json.loads)
    row = "provincial-2026-csv/guangdong_2026.txt"  # title 政府工作报告; date line on two lines
    assert conf[row]["place"] == "high" and "date line" in evidence[row]["place"]
    assert docs.loc[row, "date"] == "2026-01-26"
    row = "wikisource-national/national_1955.txt"  # 第一届全国人民代表大会第二次会议 -> 1955
    assert evidence[row]["year"].startswith("session line") and conf[row]["year"] == "high"
    row = "wikisource-national/national_2013.txt"  # "第十一届…第一次会议以来" is not its session
    assert docs.loc[row, "year"] == 2013 and evidence[row]["year"].startswith("file name")


def test_truncated_only_where_the_text_stops(inferred):
    docs = inferred.documents
    assert docs.loc[docs["truncated"], "source_file"].tolist() == [
        "local/001_47fa1e553b699edb.txt"  # haining_2023, which stops at "规范政"
    ]
    assert not is_truncated(["……为全面建设社会主义现代化国家而努力奋斗", "谢谢"])
    assert not is_truncated(["让我们更加紧密地团结起来，奋勇前进", "(完)", "2024年1月"])
    assert is_truncated(["规范政"])
    # a list appended after the closing is not the speech; without a closing it does not help
    body = "推动经济社会高质量发展，持续改善民生。" * 20
    annex = ["附件1", "2016年省十件民生实事", "一、巩固提升底线民生保障水平"]
    assert not is_truncated([body, "让我们团结一心，为完成全年目标任务而努力奋斗！", *annex])
    assert is_truncated([body, "全面推进乡村振兴，加快建设", *annex])


def test_truncated_start_only_for_a_speech_that_begins_mid_way():
    opening = [
        "各位代表：",
        "现在，我代表市人民政府，向大会报告工作，请予审议。",
        "一、2013年工作回顾",
    ]
    assert not is_truncated_start(opening)
    assert not is_truncated_start(["政府工作报告", *opening])
    assert is_truncated_start(
        ["各位代表！过去一年，面对转型升级的挑战和考验，我们积极争取。", "二、…"]
    )
    # an address on its own line mid-speech (各位代表！) after the opening is not a start
    assert not is_truncated_start([*opening, "各位代表！一年来的成绩来之不易。"])


def test_year_only_in_the_file_name(cfg, tmp_path):
    folder = tmp_path / "national_docs"
    folder.mkdir()
    for year in (1955, 1956, 1958):
        text = (RAW / "wikisource-national" / f"national_{year}.txt").read_text(encoding="utf-8")
        text = re.sub(r"第一届全国人民代表大会第[一二三四五]次会议", "大会", text)
        assert "全国人民代表大会第" not in text  # no session line; no title or date line either
        (folder / f"report_{year}.txt").write_text(text, encoding="utf-8")
    docs = ingest([folder], config=cfg, metadata=[], results=tmp_path / "r").documents
    assert docs["year"].tolist() == [1955, 1956, 1958]
    assert (docs["place"] == "全国").all() and (docs["level"] == "national").all()
    assert (docs["collection"] == "national_docs").all()
    assert docs["source_file"].tolist() == [
        f"national_docs/report_{y}.txt" for y in (1955, 1956, 1958)
    ]
    assert docs["doc_id"].tolist() == [f"national_docs__report_{y}" for y in (1955, 1956, 1958)]
    assert (docs["doc_type"] == "other").all()


def test_place_is_never_taken_from_mention_counts(cfg, tmp_path, capsys):
    gazetteer = load_gazetteer(cfg.root / "data" / "gazetteer.csv")
    alone = infer_metadata(BODY, BODY, "", gazetteer, file_name="a.txt")
    assert BODY.count("上海") >= 20 and "place" not in alone and "province" not in alone
    zj = "2024年浙江省政府工作报告\n" + BODY
    titled = infer_metadata(zj, zj, "2024年浙江省政府工作报告", gazetteer)
    assert titled["place"].value == "浙江省" and titled["region"].value == "east"
    assert titled["year"].value == 2024 and titled["year"].confidence == "high"

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "a.txt").write_text(BODY, encoding="utf-8")
    (folder / "b.txt").write_text(zj, encoding="utf-8")
    c = ingest([folder], config=cfg, metadata=[], results=tmp_path / "r")
    docs = c.documents.set_index("source_file")
    assert pd.isna(docs.loc["mine/a.txt", "place"]) and docs.loc["mine/b.txt", "place"] == "浙江省"
    err = capsys.readouterr().err
    assert "warning: mine/a.txt: year missing; place missing" in err
    assert "mine/b.txt" not in err
    template = pd.read_csv(tmp_path / "r" / "corpus" / "metadata_template.csv", dtype=str)
    assert template["source_file"].tolist() == ["mine/a.txt"]


def test_template_round_trip(cfg, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    zj = "浙江省人民政府工作报告\n" + BODY  # place from the title, no year anywhere
    (folder / "report.txt").write_text(zj, encoding="utf-8")
    results = tmp_path / "r"
    assert main(["ingest", str(folder), "--results", str(results)]) == 0
    template_path = results / "corpus" / "metadata_template.csv"
    err = capsys.readouterr().err
    assert "mine/report.txt: year missing" in err and "--metadata FILE" in err
    template = pd.read_csv(template_path, dtype=str, keep_default_na=False)
    assert template[["source_file", "place", "year"]].values.tolist() == [
        ["mine/report.txt", "浙江省", ""]
    ]
    # a template inside the results folder would be replaced by the ingest that reads it
    assert (
        main(["ingest", str(folder), "--metadata", str(template_path), "--results", str(results)])
        == 2
    )
    filled = tmp_path / "my_metadata.csv"
    template.assign(year="2021").to_csv(filled, index=False)
    assert main(["ingest", str(folder), "--metadata", str(filled), "--results", str(results)]) == 0
    docs = pd.read_parquet(results / "corpus" / "documents.parquet")
    assert docs["year"].tolist() == [2021] and docs["year_source"].tolist() == ["user"]
    assert docs["place"].tolist() == ["浙江省"] and docs["province"].tolist() == ["浙江省"]
    assert not template_path.exists()
    assert "warning" not in capsys.readouterr().err


def test_strict_metadata_fails_with_a_line_per_file(cfg, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("one.txt", "two.txt"):
        (folder / name).write_text(BODY.replace("工作", f"{name}工作"), encoding="utf-8")
    shutil.copy(RAW / "provincial-2025-docx" / "hebei_2025.txt", folder / "hebei.txt")
    results = str(tmp_path / "r")
    assert main(["ingest", str(folder), "--results", results, "--strict-metadata"]) == 2
    err = capsys.readouterr().err.strip().split("\n")
    assert err[0].startswith("policyshift ingest: 2 report(s) lack a reliable year or place")
    assert err[1:] == [
        "mine/one.txt: year missing; place missing",
        "mine/two.txt: year missing; place missing",
    ]
    assert not (tmp_path / "r" / "corpus").exists()
    assert main(["ingest", str(folder), "--results", results]) == 0  # warns, writes a template
    capsys.readouterr()
    assert main(["ingest", str(folder), "--results", results, "--strict-metadata"]) == 2
