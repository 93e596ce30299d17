"""Stated rules (issue 14, build 5): every figure caption and every rate, score or interval table
says its counting rule, denominator and interval method; and the intervals say their unit."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.figures import REGISTRY
from analysis.measures.rules import PER_ROW, RULE_COLUMNS, RULES_FILE

METHOD = re.compile(r"^counting: (?P<c>.+); denominator: (?P<d>.+); interval: (?P<i>.+)$")
#: Columns that make a table one with a rate, a score or an interval.
RATE_LIKE = re.compile(r"^(rate|ci_low|ci_high|diff_ci_low|score|g2)(_tokens)?$")


def test_every_figure_states_counting_denominator_and_interval(fast_config):
    for fig_id, spec in REGISTRY.items():
        line = spec.caption(fast_config)
        m = METHOD.match(line)
        assert m, f"{fig_id}: method line {line!r} is not 'counting: ...; denominator: ...; ...'"
        assert all(";" not in part for part in m.groups()), f"{fig_id}: {line!r}"
        interval = m["i"]
        assert "bootstrap" in interval or interval.startswith("no interval"), (fig_id, interval)
        assert "{" not in line, f"{fig_id}: unfilled placeholder in {line!r}"
    shift = REGISTRY["review_plan_shift"].caption(fast_config)
    assert "95% paired report-cluster bootstrap (percentile) of plan minus review" in shift


def _rate_tables(root) -> dict[str, pd.DataFrame]:
    out = {}
    for path in sorted([*root.tables_dir.rglob("*.csv"), *root.topics_dir.rglob("*.csv")]):
        table = pd.read_csv(path, nrows=50)
        if any(RATE_LIKE.match(c) for c in table.columns):
            out[str(path.relative_to(root.root))] = table
    return out


def test_every_rate_table_states_its_rules(fast_build):
    tables = _rate_tables(fast_build)
    expected = {
        "tables/concept_section_shift.csv",
        "tables/concept_section_diff.csv",
        "tables/year_series.csv",
        "tables/term_panel.csv",
        "tables/tfidf_top_terms.csv",
        "tables/concept_panel.csv",
        "topics/prevalence_groups.csv",
        "topics/prevalence_effects.csv",
        "topics/prevalence_national_years.csv",
        "topics/prevalence_years.csv",
    }
    assert expected <= set(tables)
    assert sum(name.startswith("tables/keyness/") for name in tables) >= 10
    # tables/: every rate table has its row in table_rules.csv; topics/: the columns
    stated = pd.read_csv(fast_build.tables_dir / RULES_FILE).set_index("table")
    assert list(stated.columns) == list(RULE_COLUMNS) and stated.index.is_unique
    assert stated.notna().all().all() and (stated != "").all().all()
    in_tables = {n.removeprefix("tables/") for n in tables if n.startswith("tables/")}
    assert in_tables == set(stated.index)
    for name, table in tables.items():
        has_columns = list(table.columns[-3:]) == list(RULE_COLUMNS)
        if name.startswith("topics/"):
            assert has_columns, name
        elif has_columns:  # the columns and the table of rules agree
            full = pd.read_csv(fast_build.root / name, usecols=list(RULE_COLUMNS))
            for col in RULE_COLUMNS:
                values = set(full[col])
                assert stated.loc[name.removeprefix("tables/"), col] in (
                    {PER_ROW} | values if len(values) > 1 else values
                ), (name, col)
        else:  # per-term tables state them once
            assert not set(RULE_COLUMNS) & set(table.columns), name
        if has_columns and len(table):
            for col in RULE_COLUMNS:
                assert table[col].notna().all() and (table[col].astype(str) != "").all(), (
                    name,
                    col,
                )
    for name in ("concept_panel", "concept_section_shift", "concept_section_diff", "year_series"):
        table = tables[f"tables/{name}.csv"]
        assert table["counting_rule"].str.startswith("longest-match dictionary count").all()
        assert table["denominator"].str.contains("characters").all()
        assert table["ci_method"].str.contains("bootstrap, percentile").all()
    keyness = stated.loc[[n for n in stated.index if n.startswith("keyness/")]]
    assert (keyness["counting_rule"] == "token count (segmented tokens of the token table)").all()
    assert keyness["ci_method"].str.contains("Mann-Whitney rank-sum").all()
    assert stated.loc["term_panel.csv", "denominator"].startswith("characters")


def test_intervals_say_their_unit(fast_build):
    tables = fast_build.tables_dir
    panel = pd.read_parquet(tables / "concept_panel.parquet", columns=["n_reports", "ci_method"])
    assert set(panel["ci_method"]) == {"paragraph bootstrap, percentile"}
    assert (panel["n_reports"] == 1).all()
    shift = pd.read_csv(tables / "concept_section_shift.csv")
    assert set(shift["ci_method"]) == {"report-cluster bootstrap, percentile"}
    assert (shift["n_reports"] > 1).all()
    series = pd.read_csv(tables / "year_series.csv")
    several = series["n_reports"] > 1
    assert several.any() and (~several).any()
    assert (series.loc[several, "ci_method"] == "report-cluster bootstrap, percentile").all()
    assert (series.loc[~several, "ci_method"] == "paragraph bootstrap, percentile").all()


def test_the_paired_difference_uses_reports_with_both_sections(fast_build):
    tables = fast_build.tables_dir
    diff = pd.read_csv(tables / "concept_section_diff.csv")
    shift = pd.read_csv(tables / "concept_section_shift.csv")
    assert set(diff["ci_method"]) == {"report-cluster bootstrap, percentile"}
    n_section = shift.groupby(["group", "section"])["n_reports"].first().unstack()
    n_both = diff.groupby("group")["n_reports"].first()
    assert (n_both <= n_section.min(axis=1)).all()
    assert set(diff["group"]) == {"all", "national", "province", "local"}
    # diff is plan minus review of the paired rates, and the interval says whether 0 is in it
    pd.testing.assert_series_equal(
        diff["diff"], diff["plan_rate"] - diff["review_rate"], check_names=False
    )
    inside = (diff["diff_ci_low"] <= 0) & (diff["diff_ci_high"] >= 0)
    assert (diff["zero_in_ci"] == inside).all()


@pytest.mark.parametrize("name", ["review_plan_shift", "concept_trends_national"])
def test_manifest_and_report_show_the_method(fast_build, fast_config, name):
    import json

    manifest = json.loads((fast_build.figures_dir / "manifest.json").read_text(encoding="utf-8"))
    line = REGISTRY[name].caption(fast_config)
    assert manifest["figures"][name]["method"] == line
    page = (fast_build.root / "report" / "index.html").read_text(encoding="utf-8")
    assert line.replace("'", "&#x27;") in page


def test_section_diff_view(fast_build):
    from analysis.views import NotApplicable, section_diff

    national = section_diff(fast_build.root, group="national")
    assert len(national) == 29 and national["diff"].is_monotonic_decreasing
    assert (national["n_reports"] == national["n_reports"].iloc[0]).all()
    assert list(national.columns[-5:]) == [
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "zero_in_ci",
        "ci_method",
    ]
    with pytest.raises(NotApplicable, match="no report with both"):
        section_diff(fast_build.root, group="nowhere")
