"""Topic prevalence by year of every year series of the bundled corpus (the units and series are
real, the doc-topic proportions random: no model is fitted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.topics.build import _series_years


@pytest.fixture(scope="module")
def series_years(tokens) -> tuple[pd.DataFrame, list]:
    units = tokens.drop(columns="tokens").reset_index(drop=True)
    rng = np.random.default_rng(0)
    runs = [rng.dirichlet(np.ones(3), size=len(units)) for _ in range(2)]
    weights = np.maximum(tokens["tokens"].map(len).to_numpy(dtype=np.float64), 1.0)
    return _series_years(runs=runs, units=units, weights=weights, n_boot=4, seed=1)


def test_every_place_with_ten_years_has_rows_with_intervals(series_years, tokens):
    table, _ = series_years
    years = table.groupby(["series", "place"])["year"].nunique().reset_index()
    places = years[(years["year"] >= 10) & (years["place"] != "")].groupby("place")["year"].max()
    assert places.to_dict() == {
        "深圳市": 26,
        "驻马店市": 25,
        "广东省": 13,
        "坪山区": 12,  # committee_report+work_report: 2014-2016 and 2017-2025
        "盐田区": 12,
        "罗湖区": 12,
        "龙岗区": 12,
        "宝安区": 11,
        "南山区": 10,
    }
    assert table[["mean", "ci_low", "ci_high"]].notna().all().all()
    assert (table["ci_low"] <= table["ci_high"]).all()
    shenzhen = table[table["series"] == "bundled/place=深圳市/work_report"]
    assert len(shenzhen) == 26 * 3  # years x topics
    # 宝安区 2016 and 2021: the paragraphs of both reports of the 换届 year are in the year
    baoan = table[(table["series"] == "bundled/place=宝安区/work_report") & (table["topic"] == 0)]
    n = baoan.set_index("year")["n_docs"]
    paragraphs = tokens["doc_id"].value_counts()
    for year in (2016, 2021):
        both = paragraphs[f"shenzhen_baoan_{year}"] + paragraphs[f"shenzhen_baoan_{year}_2"]
        assert n[year] == both
    # a year of two reports resamples them, a year of one report its paragraphs
    method = baoan.set_index("year")["ci_method"]
    runs = ", with a model run drawn per replicate"
    assert method[2016] == "report-cluster bootstrap, percentile" + runs
    assert method[2017] == "paragraph bootstrap, percentile" + runs


def test_the_places_with_fewer_years_are_listed_with_the_reason(series_years):
    _, skips = series_years
    reasons = {s.analysis: s.reason for s in skips}
    assert all(s.stage == "topics" for s in skips)
    short = "prevalence_years/bundled/place=*/work_report (province)"
    assert reasons[short].startswith("30 place(s) of level province with fewer than 3")
    same = "prevalence_years/bundled/place=全国/work_report"
    assert reasons[same] == "the same reports as series bundled/national/work_report"
