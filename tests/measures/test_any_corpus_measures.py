"""Measures and topics on sub-corpora cut from the bundled data: what does not apply is skipped
with its reason, what applies runs, and adding a folder leaves every bundled table unchanged."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import RAW, ROOT

from analysis.corpus import ingest
from analysis.measures.applicability import safe_part
from analysis.measures.build import compute_measures
from analysis.skips import skip_table
from analysis.tokens import build_tokens
from analysis.topics.build import compute_topics

META = pd.read_csv(ROOT / "data" / "metadata.csv", dtype=str, keep_default_na=False)


def small(cfg):
    """The repo config with few bootstrap replicates and a one-cell topic grid."""
    topics = dataclasses.replace(
        cfg.topics,
        k_grid=(2,),
        seeds=(1,),
        passes=1,
        gibbs_iterations=20,
        chosen_k=0,
        n_stability_seeds=1,
        n_boot=4,
        workers=1,
    )
    return dataclasses.replace(
        cfg, measures=dataclasses.replace(cfg.measures, n_boot=20), topics=topics
    )


def build(cfg, tmp: Path, paths, *, collection=None, metadata=None):
    """Ingest ``paths`` into ``tmp``, tokenize, and compute the measures (not written)."""
    corpus = ingest(
        [str(p) for p in paths], config=cfg, results=tmp, collection=collection, metadata=metadata
    )
    tokens = build_tokens(
        corpus.paragraphs, config=cfg.tokens, root=cfg.root, cache_dir=tmp / "tokens"
    )
    return corpus, tokens, compute_measures(corpus.paragraphs, tokens, cfg)


def copy_files(tmp: Path, folder: str, names: list[str]) -> Path:
    out = tmp / folder
    out.mkdir()
    for name in names:
        shutil.copy(RAW / name, out / Path(name).name)
    return out


def skips_of(result) -> pd.DataFrame:
    return skip_table(result.skips).set_index("analysis")


@pytest.fixture(scope="module")
def national(cfg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national_only")
    # the curated table as a user's own (data/metadata.csv applies to bundled files only), so
    # doc_type is the curated one whatever inference says
    table = tmp / "metadata.csv"
    shutil.copy(ROOT / "data" / "metadata.csv", table)
    return build(
        small(cfg),
        tmp,
        [RAW / "wikisource-national"],
        collection="national_only",
        metadata=[table],
    )


@pytest.fixture(scope="module")
def provinces(cfg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("provinces")
    return build(small(cfg), tmp, [RAW / "provincial-2025-docx"])


@pytest.fixture(scope="module")
def local(cfg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    return build(small(cfg), tmp, [RAW / "local"])


@pytest.fixture(scope="module")
def one_report(cfg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one")
    folder = copy_files(tmp, "one_report", ["wikisource-national/national_2018.txt"])
    return build(small(cfg), tmp, [folder])


OTHER3 = [f"wikisource-national/national_{y}.txt" for y in (1955, 1956, 1958)]


@pytest.fixture(scope="module")
def other3(cfg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("other3")
    return build(small(cfg), tmp, [copy_files(tmp, "other3", OTHER3)])


def test_national_only_skips_the_provincial_comparison_and_derives_its_own(national):
    corpus, _, result = national
    skips = skips_of(result)
    row = skips.loc["keyness/provinces_2026_vs_2025"]
    assert row["setting"] == '[[measures.comparisons]] id = "provinces_2026_vs_2025"'
    assert "target condition" in row["reason"] and "matches none" in row["reason"]
    # the bundled comparisons select collection == 'bundled': none applies to this collection
    assert "keyness/national_2013_2022_vs_2003_2012" in skips.index
    assert skips.loc["keyness/region_*_vs_rest", "setting"] == '[measures] one_vs_rest = "region"'
    index = result.tables["keyness/index.csv"].set_index("comparison")
    docs = corpus.documents
    work = docs[(docs["level"] == "national") & (docs["doc_type"] == "work_report")]
    assert len(work) == 46  # 2020 is bundled from another source (tmx-bilingual-national)
    years = sorted(work["year"].astype(int))
    late = sum(y >= 2002 for y in years)  # the median of the 46 distinct years is 2001.5
    cid = "national_only.national.work_report.years_2002_2025_vs_1954_2001"
    assert index.loc[cid, "origin"] == "derived"
    assert (index.loc[cid, "n_target_docs"], index.loc[cid, "n_reference_docs"]) == (
        late,
        len(work) - late,
    )
    assert set(index["origin"]) == {"derived"}
    series = result.tables["year_series.csv"]
    mine = series[series["series"] == "national_only/national/work_report"]
    assert mine["year"].nunique() == len(work)
    assert (mine["n_reports"] == 1).all() and (mine["kind"] == "level").all()
    assert set(series["collection"]) == {"national_only"}


def test_year_series_counts_are_the_report_counts(national):
    _, _, result = national
    panel = result.panel[(result.panel["section"] == "all") & (result.panel["year"] == 2018)]
    series = result.tables["year_series.csv"]
    row = series[
        (series["series"] == "national_only/national/work_report")
        & (series["year"] == 2018)
        & (series["concept"] == "rural")
    ].iloc[0]
    report = panel[panel["concept"] == "rural"].iloc[0]
    assert (row["count"], row["chars"]) == (report["count"], report["chars"])
    assert row["count"] > 0 and row["ci_low"] <= row["rate"] <= row["ci_high"]


def test_provinces_of_one_year(provinces):
    corpus, _, result = provinces
    assert len(corpus.documents) == 31
    skips = skips_of(result)
    assert "year_series/bundled/province/work_report" in skips.index
    assert (
        "1 distinct year(s) (2025)"
        in skips.loc["year_series/bundled/province/work_report", "reason"]
    )
    assert "keyness/provinces_2026_vs_2025" in skips.index
    assert skips.loc["tfidf/bundled/level", "setting"] == '[measures] tfidf_scopes[3] = "level"'
    assert result.tables["year_series.csv"].empty
    index = result.tables["keyness/index.csv"].set_index("comparison")
    assert "review_vs_plan" in index.index and index.loc["review_vs_plan", "origin"] == "config"
    p2025 = META[(META["level"] == "province") & (META["year"] == "2025")]
    assert index.loc["region_east_vs_rest", "n_target_docs"] == (p2025["region"] == "east").sum()


def test_local_reports_only(local):
    corpus, _, result = local
    assert len(corpus.documents) == 28
    index = result.tables["keyness/index.csv"].set_index("comparison")
    loc = META[META["source_file"].str.startswith("local/")]
    n_zj = int((loc["province"] == "浙江省").sum())
    assert index.loc["zhejiang_local_vs_other_local", "n_target_docs"] == n_zj
    assert index.loc["zhejiang_local_vs_other_local", "n_reference_docs"] == len(loc) - n_zj
    skips = skips_of(result)
    for cid in ("provinces_2026_vs_2025", "national_2013_2022_vs_2003_2012"):
        assert skips.loc[f"keyness/{cid}", "setting"] == f'[[measures.comparisons]] id = "{cid}"'
    assert result.tables["year_series.csv"].empty
    assert any(a.startswith("year_series/bundled/place=*") for a in skips.index)


def test_one_report(one_report):
    corpus, _, result = one_report
    assert len(corpus.documents) == 1
    assert corpus.documents["collection"].iloc[0] == "one_report"
    index = result.tables["keyness/index.csv"]
    assert set(index["origin"]) <= {"derived"}
    top = result.tables["tfidf_top_terms.csv"]
    assert set(top["scope"]) <= {"report", "section"}
    skips = skips_of(result)
    assert "tfidf/one_report/place" in skips.index
    assert result.panel["doc_id"].nunique() == 1


def test_three_national_documents_that_are_not_work_reports(other3):
    corpus, _, result = other3
    assert sorted(corpus.documents["year"].astype(int)) == [1955, 1956, 1958]
    series = result.tables["year_series.csv"]
    assert sorted(series.loc[series["series"] == "other3/national/other", "year"].unique()) == [
        1955,
        1956,
        1958,
    ]
    index = result.tables["keyness/index.csv"].set_index("comparison")
    cid = "other3.national.other.years_1958_vs_1955_1956"
    assert (index.loc[cid, "n_target_docs"], index.loc[cid, "n_reference_docs"]) == (1, 2)


@pytest.mark.parametrize("name", ["national", "provinces", "local", "one_report", "other3"])
def test_topics_run_or_skip_with_a_reason(name, request, cfg):
    _, tokens, _ = request.getfixturevalue(name)
    output = compute_topics(tokens, small(cfg))
    skipped = output.files["skipped.csv"]
    assert list(skipped.columns) == ["stage", "analysis", "setting", "reason"]
    assert output.result is not None and output.result.selection["k"] == 2
    assert "doc_topics.parquet" in output.files
    if name in ("national", "one_report", "other3"):
        # no region: national reports have none
        assert "prevalence_groups/region" in set(skipped["analysis"])
    if name == "national":
        years = output.files["prevalence_years.csv"]
        assert "national_only/national/work_report" in set(years["series"])
        assert "prevalence_national_years" in set(skipped["analysis"])


def test_topics_too_few_units_skip_instead_of_crashing(one_report, cfg):
    _, tokens, _ = one_report
    tiny = small(cfg)
    tiny = dataclasses.replace(tiny, topics=dataclasses.replace(tiny.topics, unit="report"))
    output = compute_topics(tokens, tiny)
    assert output.result is None
    reason = output.files["skipped.csv"]["reason"].iloc[0]
    assert "training unit(s)" in reason and "needs 2+ units" in reason
    big = dataclasses.replace(small(cfg).topics, k_grid=(2, 500))
    output = compute_topics(tokens, dataclasses.replace(cfg, topics=big))
    skipped = output.files["skipped.csv"].set_index("analysis")
    assert skipped.loc["model_selection/k=500", "setting"] == "[topics] k_grid[1] = 500"


def test_safe_ids():
    assert safe_part("east") == "east" and safe_part("county-level") == "county-level"
    # 深圳市 in UTF-8, SHA-1: echo -n 深圳市 | sha1sum
    assert safe_part("深圳市") == "v" + hashlib.sha1("深圳市".encode()).hexdigest()[:8]
    hostile = ["../x", ".hidden", "-rf", "a/b", "a\nb", "x" * 65, "", "深圳市", "深圳"]
    parts = [safe_part(v) for v in hostile]
    assert all(re.fullmatch(r"v[0-9a-f]{8}", p) for p in parts)
    assert len(set(parts)) == len(parts)  # distinct values, distinct names
    assert safe_part("x" * 64) == "x" * 64
