"""Year series on the bundled corpus: every place with ten or more years has one, the
management-committee years of a district continue its work-report series."""

from __future__ import annotations

import pandas as pd

from analysis.measures.series import series_members


def _years(members: pd.DataFrame, documents: pd.DataFrame) -> pd.Series:
    years = members.merge(documents[["doc_id", "year"]], on="doc_id")
    return years.groupby("series")["year"].agg(lambda y: sorted({int(v) for v in y}))


def test_every_place_with_ten_years_has_a_series_of_all_of_them(corpus):
    documents, _ = corpus
    members, _ = series_members(documents)
    years = _years(members, documents)
    per_place = documents.groupby("place")["year"].nunique()
    long = sorted(per_place[per_place >= 10].index.drop("全国"))
    assert long == sorted(
        ["深圳市", "驻马店市", "广东省", "罗湖区", "宝安区", "龙岗区", "坪山区", "盐田区", "南山区"]
    )
    for place in long:
        mine = [s for s in years.index if f"/place={place}/" in s]
        assert max(len(years[s]) for s in mine) == per_place[place], place
    assert years["bundled/place=深圳市/work_report"] == list(range(2001, 2027))
    assert years["bundled/place=驻马店市/work_report"] == list(range(2002, 2027))
    # Guangdong 2014-2024 from the Shenzhen folder, 2025 and 2026 from the provincial folders
    assert years["bundled/place=广东省/work_report"] == list(range(2014, 2027))


def test_committee_reports_continue_the_district_series(corpus):
    documents, _ = corpus
    members, skips = series_members(documents)
    years = _years(members, documents)
    pooled = "bundled/place=坪山区/committee_report+work_report"
    assert years[pooled] == list(range(2014, 2026))  # 坪山新区管委会 2014-2016, then 坪山区
    assert years["bundled/place=坪山区/work_report"] == list(range(2017, 2026))
    assert years["bundled/place=光明区/committee_report+work_report"] == [
        2016,
        2017,
        *range(2019, 2026),
    ]
    row = members[members["series"] == pooled].iloc[0]
    assert (row["kind"], row["place"], row["doc_type"]) == (
        "place",
        "坪山区",
        "committee_report+work_report",
    )
    # the national "other" reports are not continued into the work-report series
    assert not any("全国/other+" in s or "+other" in s for s in years.index)
    # two reports of a 换届 year are both in the year
    baoan = members[members["series"] == "bundled/place=宝安区/work_report"]
    assert {"shenzhen_baoan_2016", "shenzhen_baoan_2016_2"} <= set(baoan["doc_id"])
    assert not [s for s in skips if "坪山区" in s.analysis]


def test_a_year_with_both_types_is_no_continued_series():
    reports = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(5)],
            "collection": "mine",
            "level": "county-level",
            "place": "某区",
            "doc_type": [
                "committee_report",
                "committee_report",
                "work_report",
                "work_report",
                "work_report",
            ],
            "year": [2014, 2015, 2015, 2016, 2017],
        }
    )
    members, skips = series_members(reports)
    # the place's work reports are those of the level series, so only that one is kept
    assert set(members["series"]) == {"mine/county-level/work_report"}
    skip = {s.analysis: s.reason for s in skips}[
        "year_series/mine/place=某区/committee_report+work_report"
    ]
    assert skip == "both a committee_report and a work_report in year(s) 2015"
