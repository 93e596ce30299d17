"""The local-trend figures (issue 12): concept_trends_local, district_panel_shenzhen and
city_vs_national, on the bundled results (the session's measures) and on the synthetic tables of
``test_figures.py`` cut down to what a corpus lacks.

Facts checked on the bundled corpus come from ``data/raw/shenzhen-districts-txt/SOURCE.md``: 福田区
has no report of 2015 or 2024, 南山区 none of 2019 or 2020, 宝安区 two reports in 2016 and 2021
(换届), 坪山区 2014-2016 are 坪山新区 management-committee (管委会) reports.
"""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_figures import FAST_DPI, write_synthetic_results

from analysis import io
from analysis.config import Config
from analysis.figures import FigureSkipped, make_figure
from analysis.figures.base import concept_label
from analysis.figures.city_vs_national import city_pairs
from analysis.figures.concept_trends_local import local_series
from analysis.figures.district_panel_shenzhen import (
    choose_prefecture,
    district_grid,
    read_local_panel,
)
from analysis.figures.fonts import resolve_font
from analysis.figures.render import figure_texts, render
from analysis.figures.series import read_series
from analysis.figures.style import figure_style

LOCAL = ("concept_trends_local", "district_panel_shenzhen", "city_vs_national")


@pytest.fixture(scope="module")
def fast(cfg) -> Config:
    return dataclasses.replace(cfg, figures=dataclasses.replace(cfg.figures, dpi=FAST_DPI))


@pytest.fixture(scope="module")
def bundled(measures) -> Path:
    """The session's results folder of the bundled corpus (corpus, tokens, tables)."""
    return measures.parent


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return write_synthetic_results(tmp_path_factory.mktemp("local") / "results")


def _with(cfg: Config, **figures) -> Config:
    return dataclasses.replace(cfg, figures=dataclasses.replace(cfg.figures, **figures))


@pytest.fixture(scope="module")
def drawn(bundled, fast) -> dict[str, Figure]:
    """The three figures drawn from the bundled results (not rendered)."""
    return {fig_id: make_figure(fig_id, results=bundled, cfg=fast) for fig_id in LOCAL}


def test_the_three_figures_render_with_every_glyph_on_the_bundled_results(drawn, fast):
    font = resolve_font(fast)
    for fig_id, fig in drawn.items():
        with warnings.catch_warnings(record=True) as caught, figure_style(font):
            warnings.simplefilter("always")
            png = render(fig, font, dpi=FAST_DPI, formats=("png",))["png"]  # checks glyphs too
        assert png[:4] == b"\x89PNG", fig_id
        assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    texts = figure_texts(drawn["district_panel_shenzhen"])
    assert "管" in texts and "×2" in texts and "宝安区" in texts and "大鹏新区" in texts


def test_local_trends_draw_shenzhen_and_zhumadian_on_the_national_grid(drawn, bundled):
    fig = drawn["concept_trends_local"]
    texts = figure_texts(fig)
    assert "深圳市: 26 reports, 2001-2026" in texts and "驻马店市: 25 reports, 2002-2026" in texts
    titles = [ax.get_title("left") for ax in fig.axes if ax.get_title("left")]
    concepts = pd.read_csv(bundled / "tables" / "concepts.csv")
    assert len(concepts) == 29  # trend_concepts = []: every concept, as the national figure
    assert titles == [  # the panel titles of concept_trends_national, in its order
        concept_label(c.label_en, c.label_zh, width=34) for c in concepts.itertuples()
    ]
    table = read_series(bundled)
    # [] = the 3 local series with the most years: 26, 25, then the first of the 12-year ones
    assert local_series(table, ()) == (
        ["bundled/place=深圳市/work_report", "bundled/place=驻马店市/work_report",
         "bundled/place=盐田区/work_report"],
        [],
    )  # fmt: skip
    assert local_series(table, ("驻马店市", "无此市")) == (
        ["bundled/place=驻马店市/work_report"],
        ["无此市"],
    )


def test_district_panel_shows_gaps_as_gaps_and_pools_the_two_reports_of_a_year(bundled):
    panel = read_local_panel(bundled)
    assert choose_prefecture(panel, "") == "深圳市"  # "" = the one with the most districts
    grid = district_grid(panel, "深圳市", ["new_energy", "rural"])
    assert list(grid.n_reports.columns) == list(range(2010, 2026))  # 盐田区 2010 .. 2025
    assert len(grid.n_reports) == 10
    for district, years in (("福田区", (2015, 2024)), ("南山区", (2019, 2020))):
        for year in years:
            assert grid.n_reports.at[district, year] == 0
            assert grid.rates.loc[(slice(None), district), year].isna().all(), (district, year)
    assert grid.rates.loc[("rural", "福田区"), 2014] >= 0  # a report year: a rate, maybe 0
    assert grid.rates.loc[("new_energy", "南山区"), [2018, 2021]].notna().all()
    baoan = panel[(panel["place"] == "宝安区") & (panel["year"] == 2016)]
    assert sorted(baoan["doc_id"].unique()) == ["shenzhen_baoan_2016", "shenzhen_baoan_2016_2"]
    ne = baoan[baoan["concept"] == "new_energy"]
    pooled = ne["count"].sum() / ne["chars"].sum() * 1e4
    assert grid.rates.loc[("new_energy", "宝安区"), 2016] == pytest.approx(pooled)
    assert grid.n_reports.at["宝安区", 2016] == grid.n_reports.at["宝安区", 2021] == 2
    assert grid.marks.at["宝安区", 2016] == "×2" and grid.marks.at["宝安区", 2017] == ""
    assert grid.marks.loc["坪山区", [2014, 2015, 2016, 2017]].tolist() == ["管", "管", "管", ""]
    assert (grid.marks.loc["大鹏新区"][grid.n_reports.loc["大鹏新区"] > 0] == "管").all()


def test_city_vs_national_draws_the_years_of_both_series(bundled, drawn):
    table = read_series(bundled)
    pairs, unpaired = city_pairs(table)
    assert unpaired == []
    assert [(p.place, p.national) for p in pairs] == [
        ("深圳市", "bundled/national/work_report"),
        ("驻马店市", "bundled/national/work_report"),
    ]
    national = set(table.loc[table["series"] == "bundled/national/work_report", "year"])
    for pair in pairs:
        city = set(table.loc[table["series"] == pair.city, "year"])
        assert pair.years == tuple(sorted(city & national))
    assert pairs[0].years == tuple(range(2001, 2026))  # 深圳市 2026 has no national report yet
    assert pairs[1].years == tuple(range(2002, 2026))
    texts = figure_texts(drawn["city_vs_national"])
    assert "New energy (新能源): 深圳市 vs national, 2001-2025" in texts


def test_the_synthetic_district_panel_and_city_pairs(synthetic):
    grid = district_grid(read_local_panel(synthetic), "深圳市", ["rural"])
    assert grid.n_reports.to_dict("index") == {
        "大鹏新区": {2020: 1, 2021: 1, 2022: 1, 2023: 0},
        "福田区": {2020: 1, 2021: 2, 2022: 0, 2023: 1},
    }
    assert pd.isna(grid.rates.loc[("rural", "福田区"), 2022])
    assert grid.marks.loc["福田区"].tolist() == ["", "×2", "", ""]
    (pair,), _ = city_pairs(read_series(synthetic))
    assert pair.years == (2020, 2021)  # 深圳市 2020, 2021, 2025; national ... 2020, 2021


def test_each_figure_is_skipped_with_its_reason_where_the_corpus_lacks_it(
    synthetic, fast, tmp_path
):
    with pytest.raises(FigureSkipped, match=r"none of the places 驻马店市 has a year series") as e:
        make_figure("concept_trends_local", results=synthetic, cfg=_with(fast, local_series=("驻马店市",)))  # fmt: skip
    assert e.value.setting == "[figures] local_series"
    results = tmp_path / "results"
    shutil.copytree(synthetic, results)
    panel_path = results / "tables" / "concept_panel.parquet"
    panel = pd.read_parquet(panel_path)
    io.write_parquet(panel[panel["place"] != "大鹏新区"], panel_path)  # one district is left
    with pytest.raises(FigureSkipped, match=r"1 county-level place\(s\) with reports of 3\+ years"):
        make_figure("district_panel_shenzhen", results=results, cfg=fast)
    series_path = results / "tables" / "year_series.csv"
    series = pd.read_csv(series_path)
    io.write_csv(series[series["level"] != "national"], series_path)
    with pytest.raises(
        FigureSkipped, match=r"bundled/place=深圳市/work_report \(no national series\)"
    ):
        make_figure("city_vs_national", results=results, cfg=fast)


def test_a_user_city_is_compared_with_its_own_national_series_else_the_bundled_one():
    rows = [
        ("bundled/national/work_report", "level", "bundled", "national", ""),
        ("mine/national/work_report", "level", "mine", "national", ""),
        ("mine/place=甲市/work_report", "place", "mine", "prefecture", "甲市"),
        ("other/place=乙市/work_report", "place", "other", "prefecture", "乙市"),
    ]
    table = pd.DataFrame(
        [(*r, "work_report", y) for r in rows for y in (2020, 2021, 2022)],
        columns=["series", "kind", "collection", "level", "place", "doc_type", "year"],
    ).assign(concept="new_energy")
    table = table[~((table["collection"] == "other") & (table["year"] == 2020))]
    pairs, unpaired = city_pairs(table)
    assert [(p.city, p.national, p.years) for p in pairs] == [
        ("mine/place=甲市/work_report", "mine/national/work_report", (2020, 2021, 2022)),
        ("other/place=乙市/work_report", "bundled/national/work_report", (2021, 2022)),
    ]
    assert unpaired == []


def test_a_configured_concept_the_dictionary_lacks_is_named_not_an_error(synthetic, fast):
    texts = figure_texts(make_figure("district_panel_shenzhen", results=synthetic, cfg=fast))
    (title,) = [t for t in texts if t.startswith("Concept emphasis by district")]
    assert (
        "not in the concept dictionary (left out): innovation, digital, ecology_environment"
        in title
    )
    assert {"New energy (新能源)", "Rural development (乡村发展)"} <= set(texts)
