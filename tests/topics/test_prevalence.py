"""Prevalence by covariates on a synthetic corpus with planted effects (no model fitting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.topics.prevalence import estimate_effects, group_prevalence, year_prevalence

D, K, N_RUNS = 600, 4, 5
BASE = np.array([0.35, 0.30, 0.20, 0.15])
GROUP_B = np.array([0.10, 0.0, 0.0, -0.10])  # planted: topic 0 +0.10 in group b, topic 3 -0.10
PER_YEAR = np.array([0.0, 0.004, -0.004, 0.0])  # planted: topic 1 +0.004/year, topic 2 -0.004/year


def _dirichlet_rows(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """One Dirichlet draw per row of ``alpha`` (D, K), vectorized through gamma variates."""
    g = rng.gamma(alpha)
    return g / g.sum(axis=1, keepdims=True)


def _simulate(seed: int) -> tuple[list[np.ndarray], pd.DataFrame, np.ndarray]:
    """Runs (truth plus seeded Dirichlet noise), docvars and token counts of D documents."""
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(D) < 0.4, "b", "a")
    year = rng.integers(1990, 2021, size=D)
    mu = BASE + (group == "b")[:, None] * GROUP_B + (year - year.mean())[:, None] * PER_YEAR
    truth = _dirichlet_rows(rng, 60 * mu)
    runs = [_dirichlet_rows(rng, 300 * truth + 1e-3) for _ in range(N_RUNS)]
    docvars = pd.DataFrame(
        {
            "doc_id": [f"d{i:03d}" for i in range(D)],
            "group": group,
            "year": pd.array(year, dtype="Int64"),
            "level": np.where(np.arange(D) % 3 == 0, "national", "province"),
            "noise": rng.random(D),
        }
    )
    tokens = rng.integers(50, 500, size=D).astype(float)
    return runs, docvars, tokens


@pytest.fixture(scope="module")
def synthetic() -> tuple[list[np.ndarray], pd.DataFrame, np.ndarray]:
    """One simulated corpus. With nine 95% intervals checked at once, about a third of seeds
    miss one by chance; calibration itself is tested over many corpora below."""
    return _simulate(0)


def _row(df: pd.DataFrame, topic: int, term: str) -> pd.Series:
    hit = df[(df["topic"] == topic) & (df["term"] == term)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_planted_effects_recovered(synthetic):
    runs, docvars, _ = synthetic
    eff = estimate_effects(runs, docvars, ["group", "year", "noise"], n_boot=300, seed=1)
    assert list(eff.columns) == [
        "topic",
        "term",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "reference",
        "n_docs",
        "n_dropped",
        "n_redrawn",
        "estimate_outside_ci",
        "ci_method",
    ]
    assert set(eff["ci_method"]) == {
        "document bootstrap, percentile, with a model run drawn per replicate"
    }
    assert eff["term"].unique().tolist() == ["(Intercept)", "group=b", "year", "noise"]
    assert (eff.loc[eff["term"] == "group=b", "reference"] == "a").all()  # a is most frequent
    assert eff["n_docs"].eq(D).all() and eff["n_dropped"].eq(0).all()
    for topic, term, truth in [(0, "group=b", 0.10), (3, "group=b", -0.10), (1, "year", 0.004)]:
        row = _row(eff, topic, term)
        assert row["ci_low"] <= truth <= row["ci_high"], (topic, term, row)
        assert row["ci_low"] > 0 or row["ci_high"] < 0, (topic, term, row)  # excludes zero
    for topic, term in [(1, "group=b"), (2, "group=b"), (0, "year"), (0, "noise"), (2, "noise")]:
        row = _row(eff, topic, term)
        assert row["ci_low"] <= 0 <= row["ci_high"], (topic, term, row)
    # Intercept at the mean year, reference group a: the base mix.
    intercepts = eff[eff["term"] == "(Intercept)"].set_index("topic")["estimate"]
    np.testing.assert_allclose(intercepts.to_numpy(), BASE, atol=0.02)
    assert _row(eff, 0, "(Intercept)")["reference"].startswith("group=a; year=")
    outside = (eff["estimate"] < eff["ci_low"]) | (eff["estimate"] > eff["ci_high"])
    assert (eff["estimate_outside_ci"] == outside).all() and not outside.any()
    assert (eff["se"] > 0).all()


def test_effects_interval_coverage_over_datasets():
    """Over 30 simulated corpora, the 95% intervals cover the planted coefficients ~95% of the
    time (at least nominal: run disagreement is added on top of sampling)."""
    truth = {"group=b": GROUP_B, "year": PER_YEAR}
    hits = []
    for seed in range(100, 130):
        runs, docvars, _ = _simulate(seed)
        eff = estimate_effects(runs, docvars, ["group", "year"], n_boot=200, seed=seed)
        for term, values in truth.items():
            rows = eff[eff["term"] == term].sort_values("topic")
            hits += list((rows["ci_low"] <= values) & (values <= rows["ci_high"]))
    coverage = np.mean(hits)
    assert 0.88 <= coverage <= 1.0, coverage


def test_effects_vectorized_matches_per_topic_ols(synthetic):
    runs, docvars, _ = synthetic
    eff = estimate_effects(runs, docvars, ["group", "year"], n_boot=2, seed=0, center=False)
    y = np.mean(runs, axis=0)
    X = np.column_stack([np.ones(D), docvars["group"].eq("b"), docvars["year"].astype(float)])
    for k in range(K):
        beta = np.linalg.lstsq(X, y[:, k], rcond=None)[0]
        got = eff[eff["topic"] == k]["estimate"].to_numpy()
        np.testing.assert_allclose(got, beta, rtol=1e-9, atol=1e-12)


def test_effects_deterministic(synthetic):
    runs, docvars, _ = synthetic
    kw = {"covariates": ["group", "year"], "n_boot": 50}
    first = estimate_effects(runs, docvars, seed=3, **kw)
    pd.testing.assert_frame_equal(first, estimate_effects(runs, docvars, seed=3, **kw))
    other = estimate_effects(runs, docvars, seed=4, **kw)
    np.testing.assert_array_equal(first["estimate"], other["estimate"])
    assert not np.allclose(first["ci_low"], other["ci_low"])


def test_effects_reject_constant_and_collinear(synthetic):
    runs, docvars, _ = synthetic
    dv = docvars.assign(const="x", const_num=5.0, twin=docvars["group"].map({"a": "p", "b": "q"}))
    with pytest.raises(ValueError, match="'const'"):
        estimate_effects(runs, dv, ["group", "const"], n_boot=2, seed=0)
    with pytest.raises(ValueError, match="'const_num'"):
        estimate_effects(runs, dv, ["const_num", "group"], n_boot=2, seed=0)
    with pytest.raises(ValueError, match="'twin=q'"):
        estimate_effects(runs, dv, ["group", "twin"], n_boot=2, seed=0)


def test_effects_missing_region_like_national(synthetic):
    """region empty for national reports: dropped by default, its own collinear level otherwise."""
    runs, docvars, _ = synthetic
    national = docvars["level"].eq("national")
    region = docvars["group"].map({"a": "east", "b": "west"}).where(~national, "")
    dv = docvars.assign(region=region)
    dropped = estimate_effects(runs, dv, ["region", "year"], n_boot=20, seed=0)
    assert dropped["n_dropped"].eq(int(national.sum())).all()
    assert dropped["n_docs"].eq(D - national.sum()).all()
    as_level = estimate_effects(runs, dv, ["region", "year"], n_boot=20, seed=0, missing="level")
    terms = as_level["term"].unique().tolist()
    assert terms == ["(Intercept)", "region=none", "region=west", "year"]  # reference: east
    assert as_level["n_docs"].eq(D).all()
    with pytest.raises(ValueError, match="'level=national'"):
        estimate_effects(runs, dv, ["region", "level"], n_boot=2, seed=0, missing="level")
    year_dummies = estimate_effects(
        runs, dv, ["group", "year"], n_boot=2, seed=0, categorical=["year"]
    )
    assert (year_dummies["term"].str.startswith("year=")).sum() == K * (dv["year"].nunique() - 1)


def test_redrawn_replicates_are_counted(synthetic):
    """A level with two documents is often not drawn: those replicates are redrawn, counted."""
    runs, docvars, _ = synthetic
    rare = np.where(np.arange(D) < 2, "rare", "common")
    eff = estimate_effects(runs, docvars.assign(rare=rare), ["rare"], n_boot=50, seed=0)
    assert eff["n_redrawn"].nunique() == 1 and eff["n_redrawn"].iloc[0] > 0
    assert eff["n_dropped"].eq(0).all()


def test_group_means_match_direct_computation(synthetic):
    runs, docvars, tokens = synthetic
    out = group_prevalence(runs[:1], docvars, "group", n_boot=200, seed=5, weights=tokens)
    assert list(out.columns) == [
        "docvar", "group", "topic", "mean", "ci_low", "ci_high", "n_docs", "n_dropped",
        "estimate_outside_ci", "ci_method",
    ]  # fmt: skip
    assert out["n_dropped"].eq(0).all()
    assert out["group"].tolist() == ["a"] * K + ["b"] * K
    for g in ["a", "b"]:
        mask = docvars["group"].eq(g).to_numpy()
        direct = np.average(runs[0][mask], axis=0, weights=tokens[mask])
        got = out[out["group"] == g]
        np.testing.assert_allclose(got["mean"], direct, rtol=1e-12)
        assert got["n_docs"].eq(mask.sum()).all()
    outside = (out["mean"] < out["ci_low"]) | (out["mean"] > out["ci_high"])
    assert (out["estimate_outside_ci"] == outside).all() and not outside.any()
    # The planted +0.10 of topic 0 in group b shows in the group means.
    diff = out.set_index(["group", "topic"])["mean"]
    assert 0.07 < diff[("b", 0)] - diff[("a", 0)] < 0.13


def test_group_prevalence_deterministic_and_drops_missing(synthetic):
    runs, docvars, _ = synthetic
    dv = docvars.assign(group=docvars["group"].where(np.arange(D) % 10 != 0, None))
    first = group_prevalence(runs, dv, "group", n_boot=100, seed=11)
    assert first["n_dropped"].eq(D // 10).all()
    assert first["n_docs"].sum() == K * (D - D // 10)
    pd.testing.assert_frame_equal(first, group_prevalence(runs, dv, "group", n_boot=100, seed=11))
    other = group_prevalence(runs, dv, "group", n_boot=100, seed=12)
    np.testing.assert_array_equal(first["mean"], other["mean"])
    assert not np.allclose(first["ci_high"], other["ci_high"])


def test_intervals_carry_run_disagreement(synthetic):
    """Runs whose group means disagree (each pulled 5% towards a different topic) but whose
    within-run spread is the same: intervals widen (topic-model uncertainty is carried)."""
    runs, docvars, _ = synthetic
    base = runs[0]
    pulled = [0.95 * base + 0.05 * np.eye(K)[r % K] for r in range(N_RUNS)]
    width = {}
    for name, rs in [("agree", [0.95 * base + 0.05 / K] * N_RUNS), ("disagree", pulled)]:
        out = group_prevalence(rs, docvars, "group", n_boot=200, seed=2)
        width[name] = (out["ci_high"] - out["ci_low"]).mean()
    assert width["disagree"] > 2.0 * width["agree"]


def test_cluster_bootstrap_widens_for_duplicated_paragraphs(synthetic):
    """Ten identical paragraphs per report: resampling reports gives ~sqrt(10) wider intervals."""
    runs, docvars, _ = synthetic
    reports = np.arange(60)
    rep = np.repeat(reports, 10)
    paras = docvars.iloc[:60].iloc[rep].reset_index(drop=True)
    runs_p = [r[:60][rep] for r in runs]
    width = {}
    for cluster in [None, "doc_id"]:
        out = group_prevalence(runs_p, paras, "group", n_boot=300, seed=9, cluster=cluster)
        width[cluster] = (out["ci_high"] - out["ci_low"]).mean()
        assert out["n_docs"].sum() == K * 600
        unit = "report-cluster" if cluster else "document"
        assert set(out["ci_method"]) == {
            f"{unit} bootstrap, percentile, with a model run drawn per replicate"
        }
    assert width["doc_id"] > 2.0 * width[None]


def test_year_prevalence_national_subset(synthetic):
    runs, docvars, tokens = synthetic
    out = year_prevalence(runs, docvars, n_boot=50, seed=0, weights=tokens)
    assert list(out.columns) == [
        "year",
        "topic",
        "mean",
        "ci_low",
        "ci_high",
        "n_docs",
        "n_dropped",
        "estimate_outside_ci",
        "ci_method",
    ]
    national = docvars[docvars["level"] == "national"]
    assert out["year"].dtype == np.int64
    assert out["year"].unique().tolist() == sorted(national["year"].unique().tolist())
    assert out.groupby("year")["n_docs"].first().sum() == len(national)
    np.testing.assert_allclose(out.groupby("year")["mean"].sum(), 1.0)
    with pytest.raises(ValueError, match="level == 'county'"):
        year_prevalence(runs, docvars, n_boot=2, seed=0, scope="county")


def test_input_validation(synthetic):
    runs, docvars, _ = synthetic
    with pytest.raises(ValueError, match="rows"):
        group_prevalence([r[:-1] for r in runs], docvars, "group", n_boot=2, seed=0)
    with pytest.raises(ValueError, match="sum to 1"):
        group_prevalence([r * 2 for r in runs], docvars, "group", n_boot=2, seed=0)
    with pytest.raises(ValueError, match="weights"):
        group_prevalence(runs, docvars, "group", n_boot=2, seed=0, weights=np.zeros(D))
    with pytest.raises(ValueError, match="n_boot"):
        estimate_effects(runs, docvars, ["group"], n_boot=1, seed=0)
