"""The city and district series (issue 12): the Shenzhen folder (深圳市 2001-2026, ten districts,
广东省 2014-2024) and the Zhumadian folder (驻马店市 2002-2026), 169 reports.

Ingested with the curated table (the session fixtures) and, once per module, with the table
withheld on the two folders alone. Every count here can be checked with a text search in
``data/raw``.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import RAW

from analysis.corpus.ingest import compute_corpus

FOLDERS = ("shenzhen-districts-txt", "zhumadian-city-txt")
TRUNCATED_START = [
    "shenzhen-districts-txt/shenzhen-dapeng_2022.txt",
    "shenzhen-districts-txt/shenzhen-dapeng_2023.txt",
    "shenzhen-districts-txt/shenzhen-longgang_2014.txt",
]
# page chrome of the Zhumadian portal and link text the two folders bring (after normalization:
# full-width ：，（ are ASCII in the clean text)
CHROME = (
    "中国政府网河南省人民政府繁简登录注册驻马店市人民政府豫州之腹地天下之最",  # navigation menu
    "首页>政务公开>",
    "扫一扫在手机打开当前页",
    "【关闭当前页面】",
    ".footer {display",
    "发布时间:2003-02-21",
    "信息来源:驻马店市情网",
    "打印分享到",
    "来源:驻马店市情网朗读",
    "图解",
    "一图读懂",
    "视频解读",
    "下载、打印",
    ".doc",
)
HEADER_LINE = re.compile(r"^(?:标题|年份)[:：]|^={10,}$", re.MULTILINE)


def _new(docs: pd.DataFrame) -> pd.DataFrame:
    return docs[docs["source_file"].str.startswith(FOLDERS)]


@pytest.fixture(scope="module")
def withheld(cfg) -> pd.DataFrame:
    """The documents of the two folders ingested with no metadata table (inference alone)."""
    return compute_corpus([RAW / f for f in FOLDERS], config=cfg, metadata=[]).documents


def _with_truth(docs: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    truth = metadata.assign(part=metadata["part"].astype(int))
    return docs.merge(truth, on=["source_file", "part"], suffixes=("", "_t"), validate="1:1")


def test_report_count_and_curated_fields(corpus, metadata):
    docs, _ = corpus
    assert len(docs) == 312
    new = _with_truth(_new(docs), metadata)
    assert len(new) == 169
    for col in ("place", "level", "doc_type"):
        assert (new[col].fillna("") == new[f"{col}_t"]).all(), col
    assert (new["year"].astype(str) == new["year_t"]).all()
    assert new.groupby("place").size().to_dict() == {
        "广东省": 11, "深圳市": 26, "驻马店市": 25, "罗湖区": 13, "福田区": 10, "南山区": 10,
        "宝安区": 13, "龙岗区": 12, "龙华区": 7, "坪山区": 12, "光明区": 9, "盐田区": 12,
        "大鹏新区": 9,
    }  # fmt: skip
    assert (new["doc_type"] == "committee_report").sum() == 14  # 大鹏 9, 坪山新区 3, 光明新区 2


def test_no_crawler_header_or_portal_chrome_left(corpus):
    docs, _ = corpus
    for d in docs.itertuples():
        assert not HEADER_LINE.search(d.text), d.doc_id
        for s in CHROME:
            assert s not in d.text, (d.doc_id, s)


def test_the_sentences_next_to_the_chrome_survive(corpus):
    by_id = corpus[0].set_index("doc_id")
    text = by_id["text"]
    # the first sentence after the three header lines; the title kept from 标题：
    assert text["zhumadian_2002"].startswith("各位代表:现在,我代表市人民政府,向大会作政府工作报告")
    assert by_id.loc["zhumadian_2012", "title"] == "二O一二年政府工作报告"
    # after the navigation menu and the publication line; before 扫一扫… run into the last line
    assert text["zhumadian_2003"].startswith("一、2002年工作完成情况\n")
    assert text["zhumadian_2003"].endswith("凝聚全市人民的力量,圆满完成今年的各项任务。")
    assert text["zhumadian_2004"].startswith("一、2003年政府工作情况2003年,市人民政府在省委")
    assert text["zhumadian_2008"].startswith("各位代表:现在我代表市人民政府,向大会作工作报告")
    assert text["zhumadian_2012"].endswith("以优异成绩迎接党的十八大胜利召开!")
    # the closing sentence that 图解/相关解读 link text was run into
    assert text["zhumadian_2020"].endswith("为打造全国一流地级市、实现高质量跨越发展而努力奋斗!")
    assert text["zhumadian_2021"].endswith("为实现高质量跨越发展、打造全国一流地级市而努力奋斗!")
    assert text["zhumadian_2023"].endswith("奋力谱写全面建设现代化驻马店更加出彩的绚丽篇章!")
    assert text["zhumadian_2024"].endswith("奋力书写新时代驻马店更加出彩的绚丽篇章!")
    assert text["zhumadian_2025"].endswith("谱写现代化驻马店建设的华彩乐章!")
    # before the 图解 / 一图读懂 lines, the attachment file names and 下载、打印
    assert text["shenzhen_baoan_2020"].endswith(
        "为深圳经济特区建立40周年奋力谱写宝安精彩的时代华章!"
    )
    assert text["shenzhen_baoan_2022"].endswith("以优异成绩迎接党的二十大胜利召开!")
    assert text["shenzhen_nanshan_2014"].endswith(
        "创造无愧于南山人民的崭新业绩,谱写无愧于时代的壮丽篇章!"
    )
    assert text["shenzhen_2025"].endswith("为推进强国建设、民族复兴伟业作出新的更大贡献!")


def test_each_cleaning_rule_is_counted(ingested):
    rules = ingested.rules
    new = rules[rules["source_file"].str.startswith(FOLDERS)]
    per_rule = new.groupby("rule")["doc_id"].agg(lambda s: sorted(set(s)))
    assert len(per_rule["crawler_header"]) == 25  # every Zhumadian file
    chrome = ["zhumadian_2003", "zhumadian_2004", "zhumadian_2008", "zhumadian_2012"]
    assert per_rule["breadcrumb"] == per_rule["trailing_chrome"] == chrome
    assert per_rule["trailing_links"] == [
        "shenzhen_baoan_2020", "shenzhen_baoan_2022", "shenzhen_baoan_2023", "zhumadian_2020",
        "zhumadian_2021", "zhumadian_2023", "zhumadian_2024", "zhumadian_2025",
    ]  # fmt: skip
    assert len(per_rule["attachment_names"]) == 13  # the 13 files SOURCE.md names
    assert per_rule["chrome_line"] == ["shenzhen_2025"]  # 下载、打印
    # 主办:区教育局 in shenzhen-baoan_2017's project list is report text, not a site footer
    assert "copyright_icp" not in per_rule


def test_truncated_start_exactly_for_the_three_files(corpus):
    docs, _ = corpus
    assert docs.loc[docs["truncated_start"], "source_file"].tolist() == TRUNCATED_START
    new = _new(docs)
    # no new report is flagged as ending early: appended glossaries, tables and attachment
    # lists after the closing do not count
    assert new.loc[new["truncated"], "source_file"].tolist() == TRUNCATED_START


def test_two_reports_of_a_term_change_year(corpus):
    docs, paras = corpus
    baoan = docs[(docs["place"] == "宝安区") & docs["year"].isin([2016, 2021])]
    assert baoan.set_index("doc_id")["session"].to_dict() == {
        "shenzhen_baoan_2016": "term_end",
        "shenzhen_baoan_2016_2": "term_start",
        "shenzhen_baoan_2021": "term_end",
        "shenzhen_baoan_2021_2": "term_start",
    }
    assert set(baoan["doc_id"]) <= set(paras["doc_id"])  # both reports of a year in the series


def test_inference_with_the_table_withheld(withheld, metadata):
    merged = _with_truth(withheld, metadata)
    assert len(merged) == 169
    year_right = merged["year"].astype("string") == merged["year_t"]
    assert year_right.sum() >= 160, merged.loc[~year_right, ["source_file", "year"]]
    place = merged["place"].fillna("")
    wrong = merged[(place != "") & (place != merged["place_t"])]
    assert wrong.empty, wrong[["source_file", "place", "place_t"]]  # never a wrong place
    assert (place == merged["place_t"]).sum() >= 110
    # the two reports of one year keep apart without the table, and no session is made up
    assert withheld["doc_id"].is_unique
    assert withheld["session"].isna().all() and (withheld["session_source"] == "missing").all()
    by_file = merged.set_index("source_file")
    evidence = by_file["inference_evidence"].map(json.loads)
    # the crawler title: 二O一二年政府工作报告 (the file was published in 2014, 年份：2014)
    z = "zhumadian-city-txt/zhumadian_2012.txt"
    assert by_file.loc[z, "year"] == 2012 and evidence[z]["year"].startswith("title '二O一二年")
    # 坪山新区 in the opening (我代表坪山新区管委会) is 坪山区, the district it became
    p = "shenzhen-districts-txt/shenzhen-pingshan_2014.txt"
    assert by_file.loc[p, "place"] == "坪山区" and "坪山新区管委会" in evidence[p]["place"]
    # the review heading 一、2013年工作回顾 -> 2014 agrees with the file name (medium + medium)
    d = "shenzhen-districts-txt/shenzhen-dapeng_2014.txt"
    confidence = by_file["inference_confidence"].map(json.loads)
    assert by_file.loc[d, "year"] == 2014 and confidence[d]["year"] == "high"


def test_rural_revitalization_and_new_energy_vehicles(corpus):
    docs, _ = corpus
    local = docs[(docs["prefecture"] == "深圳市") | (docs["place"] == "驻马店市")]
    has = local["text"].str.contains("乡村振兴")
    assert not has[local["year"] < 2018].any()
    after = has[local["year"] >= 2018]
    assert after.sum() == 61 and len(after) == 92  # most: 61 of 92
    city = docs[docs["place"] == "深圳市"].set_index("year")["text"].str.count("新能源汽车")
    assert (city.loc[:2010] == 0).all() and city.loc[2011] == 2
    # as `grep -o 新能源汽车 data/raw/shenzhen-districts-txt/shenzhen_2023.txt | wc -l` gives
    assert city.loc[2023:].to_dict() == {2023: 7, 2024: 8, 2025: 7, 2026: 8}
    for year, n in city.loc[2023:].items():
        raw = (RAW / FOLDERS[0] / f"shenzhen_{year}.txt").read_text(encoding="utf-8")
        assert raw.count("新能源汽车") == n
