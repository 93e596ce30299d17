"""Measures on the bundled corpus: concept counts, rates and intervals, keyness, TF-IDF, KWIC."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy import sparse

from analysis import cli
from analysis.bootstrap import Resampler
from analysis.measures import build_measures, count_paragraph_concepts
from analysis.measures.concepts import (
    ConceptMatcher,
    bootstrap_rates,
    concept_rates,
    load_concepts,
)
from analysis.measures.dtm import build_dtm, group_dtm, trim_dtm
from analysis.measures.keyness import (
    DISPERSION_COLUMNS,
    KEYNESS_COLUMNS,
    keyness,
    keyness_counts,
)
from analysis.measures.kwic import KWIC_COLUMNS, kwic
from analysis.measures.rules import RULES_FILE
from analysis.measures.tfidf import tfidf_top_terms

ZHEJIANG_LOCAL = "province == '浙江省' and level in ['prefecture', 'county-level']"
OTHER_LOCAL = "province != '浙江省' and level in ['prefecture', 'county-level']"


@pytest.fixture(scope="module")
def dictionary():
    return load_concepts(ROOT / "data" / "concepts.toml")


@pytest.fixture(scope="module")
def matcher(dictionary):
    return ConceptMatcher(dictionary.terms["term"].tolist())


@pytest.fixture(scope="module")
def panel(measures) -> pd.DataFrame:
    return pd.read_parquet(measures / "concept_panel.parquet")


def scan_longest(text: str, terms: set[str], lengths: list[int]) -> dict[str, int]:
    """Reference implementation of the documented rule, one position at a time."""
    out: dict[str, int] = {}
    i = 0
    while i < len(text):
        for n in lengths:
            if text[i : i + n] in terms:
                out[text[i : i + n]] = out.get(text[i : i + n], 0) + 1
                i += n
                break
        else:
            i += 1
    return out


def search_positions(text: str, term: str) -> list[int]:
    """Start of every occurrence of ``term`` (overlapping), as a text search lists them."""
    out, i = [], text.find(term)
    while i >= 0:
        out.append(i)
        i = text.find(term, i + 1)
    return out


def test_dictionary_has_the_issue_concepts(dictionary):
    ids = set(dictionary.concepts["concept"])
    assert len(ids) >= 15
    assert {"rural", "new_energy", "green_lowcarbon", "digital", "common_prosperity"} <= ids
    terms = dictionary.term_to_concept
    assert terms["乡村振兴"] == terms["新农村建设"] == terms["美丽乡村"] == "rural"
    assert terms["光伏"] == terms["充电桩"] == terms["新能源汽车"] == "new_energy"
    assert terms["碳达峰"] == "green_lowcarbon"
    assert terms["互联网+"] == terms["数字经济"] == "digital"


def test_term_counts_equal_text_search_on_every_report(corpus, dictionary, matcher):
    """Every term x report: count = search hits minus hits inside a taken longer/earlier term."""
    terms = set(dictionary.terms["term"])
    lengths = sorted({len(t) for t in terms}, reverse=True)
    paragraphs = corpus[1]
    checked = plain_equal = 0
    for doc_id, paras in paragraphs.groupby("doc_id", sort=False):
        text = "\n".join(paras["text"])
        got = matcher.count(text)
        assert got == scan_longest(text, terms, lengths), doc_id
        taken = {m.start(): m.group() for m in matcher.finditer(text)}
        cover = np.full(len(text), -1)  # start of the taken match covering each character
        for s, t in taken.items():
            cover[s : s + len(t)] = s
        for term in dictionary.terms["term"]:
            hits = search_positions(text, term)
            if not hits:
                assert term not in got
                continue
            # a hit is lost to another term when a taken match other than itself covers it
            inside = sum(
                taken.get(h) != term and (cover[h : h + len(term)] >= 0).any() for h in hits
            )
            assert got.get(term, 0) == len(hits) - inside, (doc_id, term)
            checked += 1
            plain_equal += inside == 0
    assert checked > 10_000
    assert plain_equal / checked > 0.7  # most term x report counts are plain search counts


def test_known_counts_a_reader_can_verify(corpus, matcher):
    documents = corpus[0].set_index("doc_id")
    text = documents.loc["national_2021", "text"]
    assert matcher.count(text)["碳达峰"] == text.count("碳达峰") > 0
    # 新能源 inside 新能源汽车 counts only for the longer term
    text = documents.loc["national_2024", "text"]
    got = matcher.count(text)
    assert got["新能源汽车"] == text.count("新能源汽车") > 0
    assert got.get("新能源", 0) <= text.count("新能源") - text.count("新能源汽车")


def test_panel_counts_are_paragraph_sums(panel, corpus, matcher, dictionary):
    assert set(panel["section"]) == {
        "all",
        "review",
        "plan",
        "conduct",
        "livelihood_projects",
        "other",
    }
    whole = panel[panel["section"] == "all"]
    assert whole["doc_id"].nunique() == 312
    assert len(whole) == 312 * len(dictionary.concepts)
    by_section = panel[panel["section"] != "all"].groupby(["doc_id", "concept"])["count"].sum()
    assert (
        whole.set_index(["doc_id", "concept"])["count"].sort_index().equals(by_section.sort_index())
    )
    text = corpus[0].set_index("doc_id").loc["national_2024", "text"]
    counts = matcher.count(text)
    rural = dictionary.terms.loc[dictionary.terms["concept"] == "rural", "term"]
    row = whole[(whole["doc_id"] == "national_2024") & (whole["concept"] == "rural")].iloc[0]
    assert row["count"] == sum(counts.get(t, 0) for t in rural)
    assert row["chars"] == len(re.sub(r"\s", "", text))
    assert row["rate"] == pytest.approx(1e4 * row["count"] / row["chars"])


def test_panel_covers_national_provincial_and_local(panel):
    whole = panel[(panel["section"] == "all") & (panel["concept"] == "rural")]
    national = whole[whole["level"] == "national"]
    assert national["year"].min() == 1954 and national["year"].max() == 2025
    assert len(national) == 53
    provinces = whole[whole["level"] == "province"]
    # 广东省 2014-2024 (shenzhen-districts-txt), 31 provinces in 2025 and 2026
    assert provinces.groupby("year").size().to_dict() == {
        **dict.fromkeys(range(2014, 2025), 1),
        2025: 31,
        2026: 31,
    }
    local = whole[whole["level"].isin(["prefecture", "county-level"])]
    assert len(local) == 28 + 26 + 107 + 25  # local/, 深圳市, its districts, 驻马店市
    assert local.set_index("doc_id").loc["jiaxing_2022", "place"] == "嘉兴市"


def test_rural_revitalization_absent_before_2017_present_from_2018(measures):
    terms = pd.read_csv(measures / "term_panel.csv")
    panel = pd.read_parquet(measures / "concept_panel.parquet")
    national_years = set(panel.loc[panel["level"] == "national", "year"])
    hits = terms[(terms["term"] == "乡村振兴") & (terms["level"] == "national")]
    years = set(hits.loc[hits["count"] > 0, "year"])
    assert not {y for y in years if y < 2017}
    assert {y for y in national_years if y >= 2018} <= years
    assert min(years) == 2018


def test_estimate_outside_interval_is_flagged_exactly_and_rarely(panel, measures):
    """Intervals are raw percentiles (never widened to hold the rate): the flag says exactly
    where the rate lies outside, and that is rare (bundled corpus: none of 19,198 rows)."""
    shift = pd.read_csv(measures / "concept_section_shift.csv")
    for table in (panel, shift):
        for suffix in ("", "_tokens"):
            rate, flag = table[f"rate{suffix}"], table[f"estimate_outside_ci{suffix}"]
            outside = (rate < table[f"ci_low{suffix}"]) | (rate > table[f"ci_high{suffix}"])
            assert flag.dtype == bool
            assert (flag == outside).all()
            assert flag.mean() < 0.001
    rated = panel[panel["chars"] > 0]
    hit = rated[rated["count"] > 0]
    assert (hit["ci_high"] > hit["ci_low"]).mean() > 0.95
    # one paragraph: every resample is the paragraph, so the interval is the rate, exactly
    single = panel[(panel["n_paragraphs"] == 1) & (panel["chars"] > 0)]
    assert len(single) > 100
    assert (single["ci_low"] == single["rate"]).all() and (
        single["ci_high"] == single["rate"]
    ).all()


def test_intervals_narrow_as_text_grows():
    rng = np.random.default_rng(7)
    counts = rng.poisson(0.5, size=(40, 3))
    chars = rng.integers(100, 400, size=40)
    widths = []
    for times in (1, 4, 16):
        c, d = np.tile(counts, (times, 1)), np.tile(chars, times)
        w = Resampler.build(len(d)).draw(np.random.default_rng(1), 2000).astype(float)
        _, low, high = bootstrap_rates(c, d, w)
        widths.append(high - low)
    assert (widths[1] < widths[0]).all() and (widths[2] < widths[1]).all()
    # sqrt(n) scaling: 4x the text, about half the width
    assert np.allclose(widths[1] / widths[0], 0.5, atol=0.1)


def test_intervals_identical_for_the_same_seed(measures, dictionary):
    table = pd.read_parquet(measures.parent / "tokens" / "tokens.parquet")
    paras = pd.read_parquet(measures.parent / "corpus" / "paragraphs.parquet")
    pc = count_paragraph_concepts(paras, table, dictionary)
    ids = dictionary.concepts["concept"].tolist()
    sub = pc.table[pc.table["doc_id"].isin(["national_2024", "jiaxing_2022"])]
    a = concept_rates(sub, ids, ["doc_id"], n_boot=300, seed=5)
    b = concept_rates(sub, ids, ["doc_id"], n_boot=300, seed=5)
    c = concept_rates(sub, ids, ["doc_id"], n_boot=300, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_low"], c["ci_low"])
    # a unit's interval does not depend on which other units are in the table
    alone = concept_rates(sub[sub["doc_id"] == "jiaxing_2022"], ids, ["doc_id"], n_boot=300, seed=5)
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        a[a["doc_id"] == "jiaxing_2022"].reset_index(drop=True),
    )


def test_pooled_review_plan_intervals_are_narrower(measures, panel):
    shift = pd.read_csv(measures / "concept_section_shift.csv")
    assert set(shift["group"]) == {"all", "national", "province", "local"}
    assert set(shift["section"]) == {"review", "plan"}
    pooled = shift[(shift["group"] == "all") & (shift["section"] == "plan")].set_index("concept")
    single = panel[(panel["doc_id"] == "national_2024") & (panel["section"] == "plan")]
    single = single.set_index("concept")
    width_pooled = pooled["ci_high"] - pooled["ci_low"]
    width_single = (single["ci_high"] - single["ci_low"]).reindex(width_pooled.index)
    hit = single["count"].reindex(width_pooled.index) > 0  # no hit: [0, 0] in one report
    assert hit.sum() >= 20
    assert (width_pooled[hit] < width_single[hit]).all()


def test_stata_panel_round_trips(measures, panel):
    back = pd.read_stata(measures / "concept_panel.dta")
    assert len(back) == len(panel)
    assert list(back.columns) == list(panel.columns)
    assert (back["estimate_outside_ci"].astype(bool) == panel["estimate_outside_ci"]).all()
    assert back["label_zh"].iloc[0] == panel["label_zh"].iloc[0]
    assert (back["count"].to_numpy() == panel["count"].to_numpy()).all()
    assert np.allclose(back["rate"], panel["rate"], equal_nan=True)


def test_dtm_keeps_docvars_aligned(tokens):
    dtm = build_dtm(tokens, unit="report")
    assert dtm.shape[0] == 312
    lengths = tokens.assign(n=tokens["tokens"].map(len)).groupby("doc_id", sort=False)["n"].sum()
    assert (dtm.doc_lengths() == lengths.reindex(dtm.docvars["doc_id"]).to_numpy()).all()
    assert dtm.docvars.set_index("doc_id").loc["huzhou_2023", "year"] == 2023
    by_province = group_dtm(dtm, "province")
    assert by_province.docvars.set_index("province").loc["浙江省", "n_docs"] == 9
    assert by_province.counts.sum() == dtm.counts[dtm.docvars["province"].notna().to_numpy()].sum()
    trimmed, dropped = trim_dtm(dtm, min_df=2, max_df=0.99)
    assert trimmed.shape[1] + len(dropped) == dtm.shape[1]
    assert set(dropped["reason"]) == {"min_df", "max_df"}
    assert (dropped.loc[dropped["reason"] == "min_df", "df"] < 2).all()
    para = build_dtm(tokens, unit="paragraph")
    assert para.shape[0] == len(tokens)
    assert para.docvars["section"].tolist() == tokens["section"].tolist()


def test_planted_term_tops_tfidf():
    rng = np.random.default_rng(0)
    vocab = np.array([f"词{i}" for i in range(50)] + ["新质生产力"])
    counts = rng.poisson(3, size=(6, 51))
    counts[:, 50] = 0
    counts[2, 50] = 12
    docvars = pd.DataFrame({"doc_id": [f"d{i}" for i in range(6)]})
    from analysis.measures.dtm import Dtm

    dtm = Dtm(sparse.csr_matrix(counts), vocab, docvars)
    dtm = Dtm(dtm.counts, vocab, docvars)
    top = tfidf_top_terms(dtm, "doc_id", n=5, min_df=1)
    first = top[top["rank"] == 1].set_index("group")["term"]
    assert first["d2"] == "新质生产力"
    assert (top.groupby("group")["rank"].max() == 5).all()


def test_tfidf_table_names_places(measures):
    top = pd.read_csv(measures / "tfidf_top_terms.csv")
    assert list(top.columns) == [
        "collection", "scope", "group", "rank", "term", "score", "count",
        "group_reports", "reports", "top_share", "robust",
    ]  # fmt: skip
    stated = pd.read_csv(measures / RULES_FILE).set_index("table")
    assert stated.loc["tfidf_top_terms.csv", "ci_method"] == "no interval"
    assert set(top["collection"]) == {"bundled"}
    assert {"report", "place", "province", "region", "level", "section"} <= set(top["scope"])
    jiaxing = top[(top["scope"] == "report") & (top["group"] == "jiaxing_2022")]
    assert "嘉兴" in set(jiaxing.nsmallest(5, "rank")["term"])
    assert not top["term"].str.startswith("<").any()


def test_keyness_statistics_match_scipy():
    from scipy.stats import chi2_contingency

    table = keyness_counts(np.array([30, 5, 100]), np.array([10, 40, 300]), ["甲", "乙", "丙"])
    row = table.set_index("term").loc["甲"]
    obs = np.array([[30, 10], [105, 340]])
    g2, p, _, _ = chi2_contingency(obs, correction=False, lambda_="log-likelihood")
    chi2, _, _, _ = chi2_contingency(obs, correction=False)
    assert row["g2"] == pytest.approx(g2) and row["p"] == pytest.approx(p)
    assert row["chi2"] == pytest.approx(chi2)
    assert row["log_ratio"] == pytest.approx(np.log2((30 / 135) / (10 / 350)))
    assert row["direction"] == "target"
    assert table.set_index("term").loc["乙", "direction"] == "reference"


def test_keyness_recovers_zhejiang_vocabulary(tokens):
    dtm = build_dtm(tokens, unit="report")
    table = keyness(dtm, ZHEJIANG_LOCAL, OTHER_LOCAL).set_index("term")
    from analysis.measures.keyness import select

    zj, other = select(dtm.docvars, ZHEJIANG_LOCAL), select(dtm.docvars, OTHER_LOCAL)
    # 7 Zhejiang reports of local/; the other 21 of local/ and the 158 of the 深圳市, 驻马店市 and
    # Shenzhen district series (26 + 25 + 107)
    assert zj.sum() == 7 and other.sum() == 21 + 158
    keep = ~np.char.startswith(dtm.vocab.astype(str), "<")
    a = np.asarray(dtm.counts[zj].sum(axis=0)).ravel()[keep]
    b = np.asarray(dtm.counts[other].sum(axis=0)).ravel()[keep]
    # the 30 terms (of those used at least 30 times) whose rates differ most, as a ratio
    diff = np.log((a + 0.5) / a.sum()) - np.log((b + 0.5) / b.sum())
    diff[(a + b) < 30] = 0
    vocab = dtm.vocab[keep]
    top = np.argsort(-np.abs(diff), kind="stable")[:30]
    assert {"嘉兴", "长三角"} <= set(vocab[top])
    for i in top:
        row = table.loc[vocab[i]]
        assert row["direction"] == ("target" if diff[i] > 0 else "reference"), vocab[i]
        assert row["q"] < 0.05, vocab[i]


def test_keyness_tables_sorted_and_indexed(measures):
    index = pd.read_csv(measures / "keyness" / "index.csv")
    expected = {
        "zhejiang_local_vs_other_local",
        "review_vs_plan",
        "provinces_2026_vs_2025",
        "national_2013_2022_vs_2003_2012",
    }
    assert expected <= set(index["comparison"])
    assert {"region_east_vs_rest", "region_west_vs_rest"} <= set(index["comparison"])
    row = index.set_index("comparison").loc["national_2013_2022_vs_2003_2012"]
    assert row["n_target_docs"] == 10 and row["n_reference_docs"] == 10
    for cid in index["comparison"]:
        table = pd.read_csv(measures / "keyness" / f"{cid}.csv")
        assert list(table.columns) == [*KEYNESS_COLUMNS, *DISPERSION_COLUMNS]
        for _, part in table.groupby("direction"):
            assert part["g2"].is_monotonic_decreasing
        assert table["direction"].iloc[0] == "target"
        assert ((table["q"] >= table["p"]) | np.isclose(table["q"], table["p"])).all()


def test_city_and_district_comparisons(measures, metadata):
    index = pd.read_csv(measures / "keyness" / "index.csv").set_index("comparison")
    row = index.loc["shenzhen_2020s_vs_2000s"]
    assert (row["n_target_docs"], row["n_reference_docs"]) == (7, 9)  # 2020-2026, 2001-2009
    row = index.loc["zhumadian_2020s_vs_2000s"]
    assert (row["n_target_docs"], row["n_reference_docs"]) == (7, 8)  # 2020-2026, 2002-2009
    table = pd.read_csv(measures / "keyness" / "shenzhen_2020s_vs_2000s.csv").set_index("term")
    for term in ("人工智能", "新能源汽车", "粤港澳大湾区", "高质量发展"):  # only in the 2020s
        assert table.loc[term, "direction"] == "target" and table.loc[term, "reference_count"] == 0
        assert table.loc[term, "q"] < 0.05
    for term in ("特区", "WTO", "三个代表"):  # the special zone and WTO years
        assert table.loc[term, "direction"] == "reference" and table.loc[term, "q"] < 0.05
    assert table.loc["WTO", "target_count"] == 0
    districts = metadata[
        (metadata["prefecture"] == "深圳市") & (metadata["level"] == "county-level")
    ]
    assert districts["place"].nunique() == 10 and len(districts) == 107
    rows = index[index.index.str.startswith("shenzhen_districts_")]
    assert len(rows) == 10 and (rows["origin"] == "config").all()
    for cid, row in rows.iterrows():
        place = re.search(r"place == '(.+?)'", row["target"]).group(1)
        assert row["n_target_docs"] == (districts["place"] == place).sum(), cid
        assert row["n_target_docs"] + row["n_reference_docs"] == 107, cid
    top = pd.read_csv(measures / "keyness" / "shenzhen_districts_yantian_vs_other_districts.csv")
    assert {"盐田", "沙头角", "盐田港"} <= set(top["term"].head(5))  # the port district


def test_keyness_conditions_fail_clearly(tokens):
    dtm = build_dtm(tokens, unit="report")
    with pytest.raises(ValueError, match="section"):
        keyness(dtm, "section == 'plan'", "rest")
    with pytest.raises(ValueError, match="matches no document"):
        keyness(dtm, "year == 1900", "rest")
    with pytest.raises(ValueError, match="share"):
        keyness(dtm, "level == 'national'", "year >= 2000")


def test_kwic_lists_every_occurrence(corpus, matcher):
    paragraphs = corpus[1]
    rows = kwic(paragraphs, "新能源", window=10, matcher=matcher)
    assert list(rows.columns[:7]) == KWIC_COLUMNS
    assert len(rows) == sum(t.count("新能源") for t in paragraphs["text"])
    inside = rows[rows["in_term"] != ""]
    assert (inside["in_term"].str.contains("新能源汽车")).any()
    assert (rows["left"].str.len() <= 10).all() and (rows["right"].str.len() <= 10).all()
    national = kwic(paragraphs, "乡村振兴", where="level == 'national' and year < 2018")
    assert national.empty
    sample = rows.iloc[0]
    para = paragraphs[
        (paragraphs["doc_id"] == sample["doc_id"])
        & (paragraphs["paragraph"] == sample["paragraph"])
    ]["text"].iloc[0]
    assert para[sample["offset"] - len(sample["left"]) :].startswith(
        sample["left"] + "新能源" + sample["right"]
    )


def test_cli_keyness_and_kwic_write_csv(measures, tmp_path, capsys):
    results = str(measures.parent)
    out = tmp_path / "k.csv"
    args = ["keyness", "--results", results, "--out", str(out), "--unit", "paragraph"]
    args += ["--target", "section == 'review'", "--reference", "section == 'plan'"]
    assert cli.main(args) == 0
    table = pd.read_csv(out)
    assert {"term", "target_count", "reference_count", "g2", "p", "q", "log_ratio"} <= set(
        table.columns
    )
    assert table.set_index("term").loc["增长", "direction"] == "target"
    out = tmp_path / "kwic.csv"
    args = ["kwic", "碳达峰", "--window", "8", "--where", "level == 'national'"]
    assert cli.main([*args, "--results", results, "--out", str(out)]) == 0
    rows = pd.read_csv(out)
    assert set(rows["year"]) == {2021, 2022, 2023, 2024, 2025}
    assert "national_2021" in capsys.readouterr().out
    assert cli.main(["kwic", "碳达峰", "--where", "nope == 1", "--results", results]) == 2


def test_measures_are_deterministic(fast_config, measures, tmp_path):
    for stage in ("corpus", "tokens"):
        shutil.copytree(measures.parent / stage, tmp_path / stage)
    build_measures(fast_config, results=tmp_path)  # the config ``measures`` was built with
    for path in sorted(measures.rglob("*")):
        if path.is_file():
            twin = tmp_path / "tables" / path.relative_to(measures)
            if path.name == "stamp.json":
                # all but the commit it names: ``measures`` may be an up-to-date build/fast made
                # at an earlier commit of the same code (`make test`)
                old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (path, twin))
                old["code"].pop("git"), new["code"].pop("git")
                assert new == old
            else:
                assert twin.read_bytes() == path.read_bytes(), path.name
