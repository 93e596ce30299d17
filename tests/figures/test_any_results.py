"""Figures on any results folder: what a corpus does not support is skipped with its reason, a
failing figure never stops the others, ``--results DIR`` keeps every figure inside ``DIR``.

The results folders are the synthetic tables of ``test_figures.py`` cut down to a sub-corpus
(national reports only), or with a user collection added next to the bundled one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from test_figures import FAST_DPI, write_synthetic_results

from analysis import config as config_mod
from analysis import io
from analysis.cli import main
from analysis.figures import REGISTRY, build_figures, make_figure
from analysis.figures.draw import group_color, groups_by_collection
from analysis.figures.keyness_bars import choose
from analysis.figures.render import figure_texts
from analysis.pipeline import results_of, run_figures

NATIONAL_ONLY_SKIPPED = {
    "concept_heatmap_local": "0 prefecture or county-level report(s)",
    "concept_heatmap_provinces": "province reports of 0 province(s)",
    "year_series": "no series other than bundled/national/work_report",
    "province_change_2025_2026": "no province has work reports of both 2025 and 2026",
    "tfidf_places": "no place of the levels prefecture, county-level",
    "topic_prevalence_groups": "fewer than 2 groups of region and of level",
    "wordclouds_region": "0 region group(s)",
    "wordclouds_level": "1 level group(s)",
    "concept_trends_local": "none of the places 深圳市, 驻马店市 has a year series of work reports",
    "district_panel_shenzhen": "0 county-level place(s) with reports of 3+ years under the "
    "prefecture 深圳市",
    "city_vs_national": "no prefecture work-report series (3+ years) of tables/year_series.csv",
}


def _config(tmp_path: Path, *, workers: int = 0, pdf: bool = True) -> Path:
    """A config extending the repo's params.toml at a low dpi (fast), as a user would write;
    ``pdf=False`` draws PNGs only."""
    path = tmp_path / "fast_figures.toml"
    formats = '["png", "pdf"]' if pdf else '["png"]'
    path.write_text(
        f'extends = "{(ROOT / "params.toml").as_posix()}"\n\n[figures]\n'
        f"dpi = {FAST_DPI}\nwordcloud_size = [120, 80]\nworkers = {workers}\n"
        f"formats = {formats}\n",
        encoding="utf-8",
    )
    return path


def _national_only(root: Path) -> Path:
    """The synthetic results cut down to its national reports (what a user's folder of national
    reports gives): one level, no region, no place series, one keyness comparison."""
    write_synthetic_results(root)
    national = "level == 'national'"
    for rel, query in (
        ("corpus/documents.parquet", national),
        ("corpus/paragraphs.parquet", national),
        ("tables/concept_panel.parquet", national),
        ("tables/concept_section_shift.csv", "group in ['all', 'national']"),
        ("tables/concept_section_diff.csv", "group in ['all', 'national']"),
        ("tables/year_series.csv", "series == 'bundled/national/work_report'"),
        ("tables/tfidf_top_terms.csv", "group == '全国'"),
        ("tables/group_term_counts.csv", "docvar == 'level' and group == 'national'"),
        ("topics/prevalence_groups.csv", "docvar == 'level' and group == 'national'"),
        ("tables/keyness/index.csv", "comparison == 'national_2013_2022_vs_2003_2012'"),
    ):
        path = root / rel
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        table = table.query(query)
        (io.write_parquet if path.suffix == ".parquet" else io.write_csv)(table, path)
    return root


@pytest.fixture(scope="module")
def national_only(tmp_path_factory) -> Path:
    return _national_only(tmp_path_factory.mktemp("national") / "results")


def test_national_only_draws_what_applies_and_names_the_rest(national_only, tmp_path, capsys):
    cfg_path = _config(tmp_path)
    results = tmp_path / "results"
    shutil.copytree(national_only, results)
    code = main(["figures", "--results", str(results), "--config", str(cfg_path)])
    err = capsys.readouterr().err
    assert code == 1  # every drawable figure drawn, then non-zero because some were skipped
    out = results / "figures"
    drawn = set(REGISTRY) - set(NATIONAL_ONLY_SKIPPED)
    assert {p.stem for p in out.glob("*.png")} == drawn
    assert {p.stem for p in out.glob("*.pdf")} == drawn
    skipped = pd.read_csv(out / "skipped.csv", dtype=str, keep_default_na=False)
    assert skipped["stage"].unique().tolist() == ["figures"]
    assert dict(zip(skipped["analysis"], skipped["reason"], strict=True)).keys() == set(
        NATIONAL_ONLY_SKIPPED
    )
    for fig_id, reason in NATIONAL_ONLY_SKIPPED.items():
        row = skipped[skipped["analysis"] == fig_id].iloc[0]
        assert reason in row["reason"], (fig_id, row["reason"])
        assert f"figures: skipped {fig_id}" in err  # named on the console
    assert not (out / "errors.log").exists()
    assert "Traceback" not in err
    # the skips are part of the up-to-date state: a second call draws nothing and says the same
    again = main(["figures", "--results", str(results), "--config", str(cfg_path)])
    err2 = capsys.readouterr().err
    assert again == 1 and sorted(err2.splitlines()) == sorted(err.splitlines())


def test_keyness_bars_falls_back_to_the_comparisons_of_the_index(national_only, tmp_path):
    cfg = config_mod.load(_config(tmp_path))
    fig = make_figure("keyness_bars", results=national_only, cfg=cfg)
    texts = figure_texts(fig)
    assert "组A national_2013_2022_vs_2003_2012 vs 组B" in texts  # the one comparison it has
    (title,) = [t for t in texts if t.startswith("Keyness: top")]
    assert "not in this corpus's comparisons (not drawn): review_vs_plan, " in title
    index = pd.DataFrame({"comparison": [f"derived_{i}" for i in range(6)]})
    assert choose(index, ("derived_5", "missing")) == (["derived_5"], ["missing"])
    assert choose(index, ("missing",)) == ([f"derived_{i}" for i in range(4)], ["missing"])


def test_a_failing_figure_never_stops_the_others(national_only, tmp_path, monkeypatch, capsys):
    from analysis.figures import review_plan_shift

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero in a figure")

    monkeypatch.setattr(review_plan_shift, "read_table", broken)
    cfg_path = _config(tmp_path, workers=1, pdf=False)  # one process: the patched module is used
    results = tmp_path / "results"
    shutil.copytree(national_only, results)
    code = main(["figures", "--results", str(results), "--config", str(cfg_path)])
    err = capsys.readouterr().err
    assert code == 1
    out = results / "figures"
    drawn = set(REGISTRY) - set(NATIONAL_ONLY_SKIPPED) - {"review_plan_shift"}
    assert {p.stem for p in out.glob("*.png")} == drawn
    assert (
        "figures: failed review_plan_shift: ZeroDivisionError: division by zero in a figure" in err
    )
    log = (out / "errors.log").read_text(encoding="utf-8")
    assert log.startswith("== review_plan_shift: ZeroDivisionError: division by zero in a figure")
    assert "test_any_results.py" in log and str(tmp_path) not in log
    # the failed figure is retried by the next build (and drawn once it is fixed)
    cfg = config_mod.load(cfg_path)
    outcome = run_figures(cfg, results_of(cfg, results))
    assert outcome.status == "ran"
    assert outcome.failed == ("review_plan_shift: ZeroDivisionError: division by zero in a figure",)
    monkeypatch.undo()
    built = build_figures(cfg, results=results, out=out)
    assert built.drawn == ("review_plan_shift",) and built.failed == ()
    assert not (out / "errors.log").exists()
    # what `policyshift run` gets: skips listed (it exits 0 on them), no failure left
    outcome = run_figures(cfg, results_of(cfg, results))
    assert outcome.status == "up to date" and outcome.failed == ()
    assert {s.analysis for s in outcome.skipped} == set(NATIONAL_ONLY_SKIPPED)
    assert outcome.summary == f"{len(NATIONAL_ONLY_SKIPPED)} skipped"


def test_results_dir_keeps_the_figures_inside_it(national_only, tmp_path, capsys):
    repo_figures = ROOT / "figures"
    before = sorted(p.name for p in repo_figures.iterdir()) if repo_figures.is_dir() else None
    cfg = config_mod.load(ROOT / "params.toml")
    assert results_of(cfg).figures_dir == ROOT / "figures"  # the bundled default
    assert results_of(cfg, ROOT / "results").figures_dir == ROOT / "figures"
    assert results_of(cfg, tmp_path / "mine").figures_dir == tmp_path / "mine" / "figures"
    fast = config_mod.load(ROOT / "tests" / "fast.toml")
    assert results_of(fast).figures_dir == ROOT / "build" / "fast" / "figures"
    results = tmp_path / "mine"
    shutil.copytree(national_only, results)
    main(["figures", "--results", str(results), "--config", str(_config(tmp_path, pdf=False)),
          "--only", "corpus_overview"])  # fmt: skip
    capsys.readouterr()
    assert (results / "figures" / "corpus_overview.png").is_file()
    after = sorted(p.name for p in repo_figures.iterdir()) if repo_figures.is_dir() else None
    assert after == before
    out = tmp_path / "elsewhere"
    main(["figures", "--results", str(results), "--config", str(_config(tmp_path)),
          "--out", str(out), "--only", "corpus_overview"])  # fmt: skip
    assert (out / "corpus_overview.png").is_file()


def test_figures_are_byte_identical_for_the_same_inputs(national_only, tmp_path):
    cfg = config_mod.load(_config(tmp_path, pdf=False))  # PDFs: test_figures.py
    first = build_figures(cfg, results=national_only, out=tmp_path / "a", force=True)
    second = build_figures(cfg, results=national_only, out=tmp_path / "b", force=True)
    names = sorted(p.name for p in first.written)
    assert names == sorted(p.name for p in second.written)
    for name in [*names, "skipped.csv"]:
        assert io.sha256_file(tmp_path / "a" / name) == io.sha256_file(tmp_path / "b" / name)


def _add_user_collection(root: Path) -> None:
    """Add a user's folder ``my_reports`` of national party-congress reports of three years
    (same years as bundled reports) to every table the national trend reads."""
    panel_path = root / "tables" / "concept_panel.parquet"
    panel = pd.read_parquet(panel_path)
    user = panel[panel["level"] == "national"].copy()
    user["doc_id"] = "my_" + user["doc_id"]
    user["collection"] = "my_reports"
    user["doc_type"] = "party_congress"
    user["count"] = user["count"] * 3 + 1
    user["rate"] = user["count"] / user["chars"] * 1e4
    io.write_parquet(pd.concat([panel, user], ignore_index=True), panel_path)
    series_path = root / "tables" / "year_series.csv"
    series = pd.read_csv(series_path)
    mine = series[series["series"] == "bundled/national/work_report"].copy()
    mine["series"], mine["collection"] = "my_reports/national/party_congress", "my_reports"
    mine["doc_type"], mine["rate"] = "party_congress", mine["rate"] * 2 + 1
    io.write_csv(pd.concat([series, mine], ignore_index=True), series_path)


@pytest.mark.parametrize("with_series_table", [True, False], ids=["year_series", "panel"])
def test_a_user_collection_never_changes_the_bundled_national_trend(tmp_path, with_series_table):
    cfg = config_mod.load(_config(tmp_path, workers=1))
    plain = write_synthetic_results(tmp_path / "plain")
    mixed = write_synthetic_results(tmp_path / "mixed")
    _add_user_collection(mixed)
    if not with_series_table:  # older results: the series comes from the concept panel
        for root in (plain, mixed):
            (root / "tables" / "year_series.csv").unlink()
    only = ["concept_trends_national"]
    a = build_figures(cfg, results=plain, out=tmp_path / "fa", only=only)
    b = build_figures(cfg, results=mixed, out=tmp_path / "fb", only=only)
    assert a.drawn == b.drawn == ("concept_trends_national",)
    for ext in ("png", "pdf"):
        name = f"concept_trends_national.{ext}"
        assert io.sha256_file(tmp_path / "fa" / name) == io.sha256_file(tmp_path / "fb" / name)
    if with_series_table:  # the user's series is drawn by the year-series figure instead
        texts = figure_texts(make_figure("year_series", results=mixed, cfg=cfg))
        assert any("my_reports/national/party_congress" in t for t in texts)


def test_year_series_draws_every_series_but_the_bundled_national(tmp_path):
    cfg = config_mod.load(_config(tmp_path))
    results = write_synthetic_results(tmp_path / "results")
    texts = figure_texts(make_figure("year_series", results=results, cfg=cfg))
    titles = [t for t in texts if t.startswith("bundled/")]
    assert titles == [
        "bundled/province/work_report (6 reports)",
        "bundled/place=浙江省/work_report (3 reports)",
        "bundled/place=深圳市/work_report (3 reports)",
    ]
    assert not any(t.startswith("bundled/national/") for t in texts)
    legend = {"New energy (新能源)", "Rural development (乡村发展)", "Epidemic (疫情防控)"}
    assert legend <= set(texts)  # the top concepts (all three here)


def test_groups_of_several_collections_are_kept_apart():
    table = pd.DataFrame(
        {
            "collection": ["bundled", "bundled", "my_reports", "bundled"],
            "group": ["west", "east", "east", "national"],
        }
    )
    one, order = groups_by_collection(table[table["collection"] == "bundled"], ("east", "west"))
    assert order == ["east", "west", "national"] and one["group"].tolist() == ["west", "east", "national"]  # fmt: skip
    two, order = groups_by_collection(table, ("east", "west"))
    assert order == ["bundled: east", "bundled: west", "bundled: national", "my_reports: east"]
    assert two["group"].tolist() == ["bundled: west", "bundled: east", "my_reports: east", "bundled: national"]  # fmt: skip
    assert group_color("my_reports: east") == group_color("east") != group_color("other")


def test_review_plan_shift_and_clouds_draw_each_collection_apart(tmp_path):
    cfg = config_mod.load(_config(tmp_path))
    results = write_synthetic_results(tmp_path / "results")
    for rel in (
        "tables/concept_section_shift.csv",
        "tables/concept_section_diff.csv",
        "tables/group_term_counts.csv",
    ):
        table = pd.read_csv(results / rel)
        mine = table.assign(collection="my_reports")
        io.write_csv(pd.concat([table.assign(collection="bundled"), mine]), results / rel)
    texts = figure_texts(make_figure("review_plan_shift", results=results, cfg=cfg))
    assert {"bundled: All reports", "my_reports: National"} <= set(texts)
    texts = figure_texts(make_figure("wordclouds_level", results=results, cfg=cfg))
    assert any(t.startswith("my_reports: county-level: ") for t in texts)
