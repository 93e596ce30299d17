"""The notebook views on the bundled corpus: local series, term counts and passages by place and
year, keyness overviews; a view that does not apply is a note."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.views import Note, Views

SHENZHEN = "place == '深圳市'"


@pytest.fixture(scope="module")
def v(fast_config, measures) -> Views:
    """Views of the tables the ``measures`` fixture built (tests/fast.toml, bundled corpus)."""
    return Views(fast_config, measures.parent)


def test_term_counts_of_a_place(v):
    counts = v.term_counts(["新能源汽车", "乡村振兴"], level=None, where=SHENZHEN)
    assert counts["year"].tolist() == list(range(2001, 2027))
    by_year = counts.set_index("year")
    assert by_year.loc[2023:2026, "新能源汽车"].tolist() == [7, 8, 7, 8]
    assert (by_year.loc[:2010, "新能源汽车"] == 0).all() and by_year.loc[2011, "新能源汽车"] > 0
    cities = v.term_counts(
        ["乡村振兴"], level="prefecture", where="place in ['深圳市', '驻马店市']"
    )
    before = cities[cities["year"] < 2018]
    after = cities[cities["year"] >= 2018]
    assert len(before) == 17 + 16 and (before["乡村振兴"] == 0).all()
    assert len(after) == 18 and (after["乡村振兴"] > 0).sum() == 17  # all but Shenzhen 2026
    assert v.term_counts(["乡村振兴"], where=SHENZHEN) == Note(
        f"the corpus has no national report where {SHENZHEN}"
    )


def test_evidence_behind_the_counts(v):
    where = f"{SHENZHEN} and year >= 2023"
    rows = v.evidence("新能源汽车", where=where, per_report=100)
    assert sorted(set(rows["year"])) == [2023, 2024, 2025, 2026]
    counted = rows[rows["in_term"] == ""].groupby("year").size()
    assert counted.tolist() == [7, 8, 7, 8]  # the occurrences a text search finds and counts
    first = v.evidence("新能源汽车", where=where)
    assert len(first) == 4 and set(first["place"]) == {"深圳市"}
    none = v.evidence("乡村振兴", where="place in ['深圳市', '驻马店市'] and year <= 2017")
    assert isinstance(none, Note) and "does not occur" in str(none)


def test_place_trend_with_the_national_series(v):
    trend = v.place_trend("new_energy", ["深圳市", "驻马店市", "嘉兴市", "某市"])
    assert trend.attrs["absent"] == ["嘉兴市", "某市"]  # 嘉兴市: a work report of 2022 only
    assert list(dict.fromkeys(trend["place"])) == ["深圳市", "驻马店市", "全国"]
    years = trend.groupby("place")["year"].agg(["min", "max", "count"])
    assert years.loc["深圳市"].tolist() == [2001, 2026, 26]
    assert years.loc["驻马店市"].tolist() == [2002, 2026, 25]
    assert years.loc["全国"].tolist() == [2001, 2025, 25]  # the national years in 2001-2026
    assert (trend["ci_low"] <= trend["ci_high"]).all()
    row = trend[(trend["place"] == "深圳市") & (trend["year"] == 2023)].iloc[0]
    report = v.concept_trend("new_energy", level="prefecture")
    assert row["count"] == report.set_index("doc_id").loc["shenzhen_2023", "count"]
    pingshan = v.place_trend(
        "new_energy", ["坪山区"], doc_type="committee_report+work_report", with_national=False
    )
    assert pingshan["year"].tolist() == list(range(2014, 2026))
    assert isinstance(v.place_trend("new_energy", ["某市"]), Note)
    assert isinstance(v.place_trend("no_such_concept", ["深圳市"]), Note)


def test_keyness_overview(v):
    rows = v.keyness_overview("shenzhen_districts_*", n=5)
    assert len(rows) == 10 and rows["comparison"].str.endswith("_vs_other_districts").all()
    yantian = rows.set_index("comparison").loc["shenzhen_districts_yantian_vs_other_districts"]
    assert yantian["target_terms"].split()[:3] == ["盐田", "沙头角", "盐田港"]
    assert isinstance(v.keyness_overview("nothing_*"), Note)


def test_figure_not_in_this_version_is_a_note(v):
    note = v.figure("no_such_figure")
    assert isinstance(note, Note) and "not a figure of this version" in str(note)
    assert isinstance(v.keyness_top("shenzhen_2020s_vs_2000s"), pd.DataFrame)
