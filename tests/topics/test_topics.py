"""Topics stage: preprocessing, K selection, determinism, output tables, fold-in and term scores."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from analysis.config import ConfigError, TopicsConfig
from analysis.tokens.lexicon import read_lexicon
from analysis.topics import (
    build_corpus,
    corpus_from_config,
    frex,
    heldout_perplexity,
    infer_doc_topic,
    label_terms,
    make_units,
    read_stoplist,
    relevance,
    run_topics,
    select_k,
)

ROOT = Path(__file__).resolve().parents[2]
METRICS = ["c_v", "c_npmi", "u_mass", "perplexity", "diversity", "exclusivity"]


# ---------------------------------------------------------------------------------------------
# Preprocessing
# ---------------------------------------------------------------------------------------------
def test_corpus_filters_hold_and_docvars_stay_aligned(tokens):
    corpus = build_corpus(tokens, unit="paragraph", no_below=5, no_above=0.5, min_tokens=5)
    vocab = set(corpus.vocab)
    assert not any(re.fullmatch(r"<\w+>", t) for t in vocab)
    df = corpus.dtm.doc_freq()
    n_all = len(tokens)
    assert df.min() >= 1 and df.max() <= 0.5 * n_all
    assert (corpus.units["n_tokens"] >= 5).all()
    assert np.array_equal(corpus.dtm.doc_lengths(), corpus.units["n_tokens"])
    assert [len(d) for d in corpus.docs] == corpus.units["n_tokens"].tolist()
    # docvars and tokens of every kept unit are those of its paragraph in the token table
    src = tokens.set_index(["doc_id", "paragraph"])
    for i in np.random.default_rng(0).choice(len(corpus.units), 50, replace=False):
        row = corpus.units.iloc[i]
        orig = src.loc[(row["doc_id"], row["paragraph"])]
        assert row["year"] == orig["year"] and row["level"] == orig["level"]
        kept = [t for t in orig["tokens"] if t in vocab]
        assert corpus.vocab[corpus.docs[i]].tolist() == kept
    # every unit and term is kept or listed as dropped with its reason
    first, dropped = corpus.log.iloc[0], corpus.dropped
    assert len(corpus.units) + len(dropped.units) == first["units"] == n_all
    assert len(corpus.vocab) + len(dropped.terms) == first["terms"]
    assert set(dropped.terms["reason"]) == {"placeholder", "min_df", "unused"}
    assert set(dropped.terms.loc[dropped.terms["reason"] == "placeholder", "term"]) == {
        "<num>",
        "<pct>",
        "<year>",
    }
    assert (dropped.units["n_tokens"] < 5).all() and set(dropped.units["reason"]) == {"min_tokens"}
    # the log ends with the kept counts
    last = corpus.log.iloc[-1]
    assert (last["units"], last["terms"]) == (len(corpus.units), len(corpus.vocab))
    assert last["tokens"] == corpus.dtm.counts.sum()


def test_units_and_place_names(tokens, cfg):
    reports = make_units(tokens, "report")
    assert len(reports) == 312
    assert reports["tokens"].map(len).sum() == tokens["tokens"].map(len).sum()
    sections = make_units(tokens, "section")
    assert len(sections) == len(tokens[["doc_id", "section"]].drop_duplicates())
    places = read_stoplist(ROOT / "stopwords" / "places.txt")
    assert {"嘉兴", "浙江", "北京"} <= places and not any(p.startswith("#") for p in places)
    with_places = corpus_from_config(
        tokens, dataclasses.replace(cfg.topics, unit="report", drop_places=False), cfg.root
    )
    assert "嘉兴" in set(with_places.vocab)
    assert "place names" not in with_places.log["step"].tolist()
    no_places = corpus_from_config(tokens, dataclasses.replace(cfg.topics, unit="report"), cfg.root)
    assert cfg.topics.drop_places  # the default
    assert not (set(no_places.vocab) & places)
    assert "place names" in no_places.log["step"].tolist()


# ---------------------------------------------------------------------------------------------
# Selection rule
# ---------------------------------------------------------------------------------------------
def _table(means: dict[int, list[float]]) -> pd.DataFrame:
    rows = [
        {"k": k, "seed": s, "c_npmi": v} for k, vals in means.items() for s, v in enumerate(vals)
    ]
    return pd.DataFrame(rows)


def test_one_se_rule_and_best_rule():
    # K=20 is best (mean 0.10, se 0.01); K=10 (0.095) is within one SE, K=5 (0.05) is not.
    table = _table({5: [0.05, 0.05], 10: [0.095, 0.095], 20: [0.09, 0.11], 30: [0.08, 0.08]})
    k, summary = select_k(table, metric="c_npmi", rule="one_se")
    assert k == 10
    assert summary.set_index("k").loc[20, "se"] == pytest.approx(0.01)
    assert select_k(table, metric="c_npmi", rule="best")[0] == 20
    # K=10 falls outside once it is below 0.09
    table.loc[table["k"] == 10, "c_npmi"] = 0.089
    assert select_k(table, metric="c_npmi", rule="one_se")[0] == 20
    # ties in "best" go to the smaller K; perplexity is lower-is-better
    tie = _table({5: [0.1, 0.1], 10: [0.1, 0.1]})
    assert select_k(tie, rule="best")[0] == 5
    perp = pd.DataFrame({"k": [5, 10, 20], "seed": 1, "perplexity": [900.0, 800.0, 850.0]})
    assert select_k(perp, metric="perplexity", rule="best")[0] == 10


def test_select_k_leaves_out_nan_seeds_and_skips_nan_ks():
    nan = np.nan
    # K=20 would win on its one finite seed but K=30 is NaN everywhere: skipped with a reason
    table = _table({5: [0.05, 0.05], 10: [0.095, nan, 0.095], 20: [nan, 0.12], 30: [nan, nan]})
    k, summary = select_k(table, metric="c_npmi", rule="best")
    assert k == 20
    s = summary.set_index("k")
    assert s["n"].to_dict() == {5: 2, 10: 2, 20: 1, 30: 0}
    assert s.loc[10, "mean"] == pytest.approx(0.095) and s.loc[10, "se"] == 0.0
    assert s.loc[20, "se"] == 0.0  # one finite seed
    assert np.isnan(s.loc[30, "mean"]) and np.isnan(s.loc[30, "se"])
    assert s.loc[30, "skipped"] == "c_npmi is not finite in any of its 2 fits"
    assert (s.loc[[5, 10, 20], "skipped"] == "").all()
    # one SE of K=20 is 0, so one_se also picks 20; infinite values count as missing too
    assert select_k(table, rule="one_se")[0] == 20
    table.loc[(table["k"] == 20), "c_npmi"] = [np.inf, nan]
    k, summary = select_k(table, rule="best")
    assert k == 10 and summary.set_index("k").loc[20, "skipped"] != ""
    # no K with a finite value: the error names the metric
    perp = pd.DataFrame({"k": [5, 10], "seed": 1, "perplexity": [nan, nan]})
    with pytest.raises(ValueError, match="'perplexity'"):
        select_k(perp, metric="perplexity")


# ---------------------------------------------------------------------------------------------
# The whole stage on the real corpus with a small config
# ---------------------------------------------------------------------------------------------
def _small(cfg, **kw):
    base = {
        "unit": "report",
        "k_grid": (4, 6),
        "seeds": (1, 2),
        "passes": 2,
        "gibbs_iterations": 50,
        "chosen_k": 0,
        "n_stability_seeds": 3,
        "n_boot": 20,
        "workers": 2,
    }
    return dataclasses.replace(cfg, topics=dataclasses.replace(cfg.topics, **{**base, **kw}))


def _results_copy(results_dir: Path, dest: Path) -> Path:
    (dest / "corpus").mkdir(parents=True)
    (dest / "tokens").mkdir()
    for name in ("corpus_hash.txt", "paragraphs.parquet"):
        shutil.copy(results_dir / "corpus" / name, dest / "corpus")
    shutil.copy(results_dir / "tokens" / "tokens.parquet", dest / "tokens")
    return dest


@pytest.fixture(scope="module")
def small_runs(cfg, tokens, results_dir, tmp_path_factory):
    """Three runs: A and B with the same config (2 worker processes vs in-process), C with
    chosen_k = 5 overriding the rule and human labels for K = 5."""
    runs = {}
    for name, kw in {
        "a": {},
        "b": {"workers": 1},
        "c": {"chosen_k": 5, "labels_k": 5, "labels": ("0=甲|Alpha", "3=丁|"), "labels_fit": ""},
    }.items():
        res = _results_copy(results_dir, tmp_path_factory.mktemp(f"topics_{name}"))
        runs[name] = (res, run_topics(_small(cfg, **kw), results=res))
    return runs


def test_model_selection_has_every_cell_and_chosen_k_follows_rule(small_runs, cfg):
    res, _ = small_runs["a"]
    table = pd.read_csv(res / "topics" / "model_selection.csv")
    assert sorted(zip(table["k"], table["seed"], strict=True)) == [(4, 1), (4, 2), (6, 1), (6, 2)]
    assert set(METRICS) <= set(table.columns)
    assert table[METRICS].notna().all().all()
    assert table["c_v"].between(0, 1).all() and table["c_npmi"].between(-1, 1).all()
    assert (table["u_mass"] < 0).all() and (table["perplexity"] > 1).all()
    sel = json.loads((res / "topics" / "selection.json").read_text(encoding="utf-8"))
    # the documented rule, recomputed by hand: smallest K within one SE of the best mean c_npmi
    g = table.groupby("k")["c_npmi"]
    mean, se = g.mean(), g.std(ddof=1) / np.sqrt(g.size())
    best = mean.idxmax()
    assert (
        sel["k"] == sel["rule_k"] == min(k for k in mean.index if mean[k] >= mean[best] - se[best])
    )
    assert sel["override"] is None and sel["rule"] == "one_se"
    assert len(pd.read_csv(res / "topics" / "topics.csv")) == sel["k"]


def test_same_config_gives_identical_outputs(small_runs):
    (res_a, paths_a), (res_b, paths_b) = small_runs["a"], small_runs["b"]
    names = sorted(p.relative_to(res_a).as_posix() for p in paths_a)
    assert names == sorted(p.relative_to(res_b).as_posix() for p in paths_b)
    assert "topics/ldavis.html" in names and "topics/doc_topics.parquet" in names
    for name in names:
        a, b = (res_a / name).read_bytes(), (res_b / name).read_bytes()
        if name == "topics/timings.csv":  # wall times differ; every other file must not
            ta, tb = pd.read_csv(io.BytesIO(a)), pd.read_csv(io.BytesIO(b))
            assert ta[["k", "seed"]].equals(tb[["k", "seed"]])
        else:
            assert a == b, name


def test_tables_follow_the_contract(small_runs, tokens):
    res, _ = small_runs["a"]
    out = res / "topics"
    topics = pd.read_csv(out / "topics.csv")
    k = len(topics)
    assert list(topics.columns) == [
        "topic", "label_en", "label_zh", "top_terms", "frex_terms", "stability", "stable", "prevalence",
        "relevance_terms", "c_v", "c_npmi", "u_mass",
    ]  # fmt: skip
    sel = pd.read_csv(out / "model_selection.csv")
    ref_seed = json.loads((out / "selection.json").read_text(encoding="utf-8"))["reference_seed"]
    row = sel[(sel["k"] == k) & (sel["seed"] == ref_seed)]
    if len(row):  # the published fit is a grid fit: its mean coherence is in the grid table
        assert topics["c_npmi"].mean() == pytest.approx(row["c_npmi"].iloc[0], abs=1e-12)
    assert topics["topic"].tolist() == list(range(k))
    assert topics["prevalence"].sum() == pytest.approx(1.0)
    stab = pd.read_csv(out / "stability.csv")
    assert {"topic", "stability", "min_similarity", "stable"} <= set(stab.columns)
    assert stab["stable"].tolist() == topics["stable"].tolist()
    assert (stab["stable"] == (stab["stability"] >= 0.8)).all()
    terms = pd.read_csv(out / "topic_terms.csv")
    assert {"topic", "rank", "term", "prob", "frex", "relevance", "label_en", "stable"} <= set(
        terms.columns
    )
    first = terms[terms["rank"] <= 10].groupby("topic")["term"].agg(" ".join)
    assert first.tolist() == topics["top_terms"].tolist()
    assert (terms.groupby("topic")["prob"].apply(lambda p: p.is_monotonic_decreasing)).all()
    doc_topics = pd.read_parquet(out / "doc_topics.parquet")
    cols = [f"topic_{t}" for t in range(k)]
    assert len(doc_topics) == 312
    np.testing.assert_allclose(doc_topics[cols].sum(axis=1), 1.0)
    years = tokens.groupby("doc_id")["year"].first()
    assert (
        doc_topics.set_index("doc_id")["year"] == years.loc[doc_topics["doc_id"]].to_numpy()
    ).all()
    groups = pd.read_csv(out / "prevalence_groups.csv")
    assert {
        "docvar",
        "group",
        "topic",
        "mean",
        "ci_low",
        "ci_high",
        "n_docs",
        "stable",
        "label_zh",
    } <= set(groups.columns)
    assert {"doc_id", "region", "level"} <= set(groups["docvar"])
    # units left out of a group table are counted on its rows: the 53 national reports lack a region
    n_dropped = groups.groupby("docvar")["n_dropped"].agg(["min", "max"])
    assert n_dropped.loc["region"].tolist() == [53, 53] and n_dropped.loc["level"].tolist() == [
        0,
        0,
    ]
    # raw percentile intervals: the flag marks exactly the means outside, and they are rare
    for table, est in ((groups, "mean"), (pd.read_csv(out / "prevalence_effects.csv"), "estimate")):
        outside = (table[est] < table["ci_low"]) | (table[est] > table["ci_high"])
        assert (table["estimate_outside_ci"] == outside).all() and outside.mean() < 0.05
    effects = pd.read_csv(out / "prevalence_effects.csv")
    assert {"topic", "term", "estimate", "ci_low", "ci_high", "se", "model", "stable"} <= set(
        effects.columns
    )
    assert "level=national" in set(effects["term"])
    national = pd.read_csv(out / "prevalence_national_years.csv")
    assert national["year"].min() == 1954 and national["year"].max() == 2025
    assert len(national) == 53 * k
    # every unit and term preprocessing dropped is listed with its reason
    log = pd.read_csv(out / "preprocessing.csv")
    units = pd.read_csv(out / "dropped_units.csv", keep_default_na=False)
    terms = pd.read_csv(out / "dropped_terms.csv", keep_default_na=False)
    assert len(units) == log["units"].iloc[0] - log["units"].iloc[-1]
    assert len(terms) == log["terms"].iloc[0] - log["terms"].iloc[-1]
    assert list(terms.columns) == ["term", "count", "df", "reason", "source"]
    assert set(terms.loc[terms["term"].isin(["嘉兴", "深圳"]), "reason"]) == {"place"}
    assert (terms["source"] != "").eq(terms["reason"].isin(["place", "stoplist"])).all()
    assert {"doc_id", "n_tokens", "reason"} <= set(units.columns)
    assert not set(terms["term"]) & set(pd.read_csv(out / "topic_terms.csv")["term"])
    page = (out / "ldavis.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page


def test_override_and_human_labels(small_runs):
    res, _ = small_runs["c"]
    sel = json.loads((res / "topics" / "selection.json").read_text(encoding="utf-8"))
    assert sel["k"] == 5 and sel["override"] == 5 and sel["rule_k"] in (4, 6)
    assert sel["stability_seeds"] == [1, 2, 3]
    topics = pd.read_csv(res / "topics" / "topics.csv", keep_default_na=False)
    assert len(topics) == 5
    assert (topics.loc[0, "label_zh"], topics.loc[0, "label_en"]) == ("甲", "Alpha")
    assert (topics.loc[3, "label_zh"], topics.loc[3, "label_en"]) == ("丁", "Topic 3")
    # the automatic label: three of the top relevance terms, policy phrases of the lexicon first
    lexicon = read_lexicon(ROOT / "data" / "lexicon" / "policy_terms.txt")
    assert topics.loc[1, "label_zh"] == "/".join(
        label_terms(topics.loc[1, "relevance_terms"].split(), preferred=lexicon)
    )
    groups = pd.read_csv(res / "topics" / "prevalence_groups.csv", keep_default_na=False)
    assert set(groups.loc[groups["topic"] == 0, "label_en"]) == {"Alpha"}
    assert "甲 | Alpha" in (res / "topics" / "ldavis.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Fold-in, perplexity, term scores, labels
# ---------------------------------------------------------------------------------------------
def test_fold_in_recovers_proportions_and_perplexity_prefers_true_topics():
    rng = np.random.default_rng(4)
    k, v = 4, 120
    phi = rng.dirichlet(np.full(v, 0.05), size=k)
    theta = rng.dirichlet(np.full(k, 0.3), size=300)
    dtm = sparse.csr_matrix(rng.multinomial(400, theta @ phi))
    alpha = np.full(k, 1.0 / k)
    est = infer_doc_topic(dtm, phi, alpha)
    assert np.abs(est - theta).mean() < 0.02
    np.testing.assert_allclose(est.sum(axis=1), 1.0)
    # one document's result does not depend on the others
    np.testing.assert_allclose(infer_doc_topic(dtm[:5], phi, alpha), est[:5], rtol=0, atol=1e-12)
    fold = sparse.csr_matrix(rng.multinomial(200, theta @ phi))
    score = sparse.csr_matrix(rng.multinomial(200, theta @ phi))
    wrong = rng.dirichlet(np.full(v, 0.05), size=k)
    assert heldout_perplexity(fold, score, phi, alpha) < 0.7 * heldout_perplexity(
        fold, score, wrong, alpha
    )


def test_frex_and_relevance():
    # topic 0: words 0 and 1 equally probable; word 0 is as probable in topic 1, word 1 is not
    phi = np.array(
        [
            [0.30, 0.30, 0.20, 0.10, 0.05, 0.05],
            [0.30, 0.01, 0.04, 0.05, 0.20, 0.40],
        ]
    )
    score = frex(phi, weight=0.5)
    assert score[0, 1] > score[0, 0]  # exclusive beats shared at equal probability
    assert np.argmax(score[1]) == 5 and score[1, 5] == pytest.approx(1.0)  # top in both ranks
    # stm's formula on one entry: 1 / (w / ECDF(exclusivity) + (1 - w) / ECDF(probability))
    excl = phi / phi.sum(axis=0)
    f = (excl[0] <= excl[0, 2]).mean()
    p = (phi[0] <= phi[0, 2]).mean()
    assert frex(phi, weight=0.3)[0, 2] == pytest.approx(1 / (0.3 / f + 0.7 / p))
    share = phi.mean(axis=0)
    np.testing.assert_allclose(relevance(phi, share, lam=1.0), np.log(phi))
    np.testing.assert_allclose(relevance(phi, share, lam=0.0), np.log(phi / share))


def test_labels_are_parsed_by_the_config():
    topics = TopicsConfig(labels=("2=产业升级|Industrial upgrading", "0=|Party"), labels_k=3)
    assert {lab.topic: (lab.zh, lab.en) for lab in topics.labels} == {
        2: ("产业升级", "Industrial upgrading"),
        0: ("", "Party"),
    }
    assert TopicsConfig(labels=("1=民生",), labels_k=3).labels[0].en == ""
    with pytest.raises(ConfigError, match="labels"):
        TopicsConfig(labels=("3=x|y",), labels_k=3)
    with pytest.raises(ConfigError, match="form"):
        TopicsConfig(labels=("topic one",), labels_k=3)
