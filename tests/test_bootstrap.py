"""The one resampler (analysis.bootstrap): strata keep their size, clusters stay whole, the
random stream is the documented one, and a keyed generator does not depend on other units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.bootstrap import (
    Resampler,
    bca_interval,
    bootstrap_interval,
    keyed_rng,
    method_label,
    percentile_interval,
    report_clusters,
)


def test_one_stratum_draw_is_the_documented_stream():
    """Documents as units, one stratum: one ``integers(0, n, (b, n))`` call, counted."""
    n, b = 37, 50
    got = Resampler.build(n).draw(np.random.default_rng(3), b)
    idx = np.random.default_rng(3).integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
    expected = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int32 and (got.sum(axis=1) == n).all()


def test_strata_keep_their_size_and_clusters_stay_whole():
    strata = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    clusters = np.array([7, 7, 8, 9, 7, 7, 7, 5, 5, 6])  # cluster 7 in both strata: two units
    res = Resampler.build(10, strata=strata, clusters=clusters)
    assert res.n_units == 6 and res.n_docs == 10
    draws = res.draw(np.random.default_rng(0), 400)
    for s, units in ((0, 3), (1, 3)):
        cols = np.flatnonzero(strata == s)
        unit_draws = draws[:, cols][:, np.unique(res.unit_of_doc[cols], return_index=True)[1]]
        assert (unit_draws.sum(axis=1) == units).all()
    # documents of one cluster (within a stratum) are always drawn the same number of times
    for a, b in ((0, 1), (4, 5), (5, 6), (7, 8)):
        np.testing.assert_array_equal(draws[:, a], draws[:, b])
    assert not np.array_equal(draws[:, 0], draws[:, 4])  # cluster 7 split by stratum


def test_same_seed_same_draws_and_keyed_generators_are_independent():
    res = Resampler.build(20, strata=np.repeat([0, 1], 10))
    a = res.draw(np.random.default_rng(5), 30)
    np.testing.assert_array_equal(a, res.draw(np.random.default_rng(5), 30))
    assert not np.array_equal(a, res.draw(np.random.default_rng(6), 30))
    one = keyed_rng(1, "national_2024|plan").integers(0, 10**9, 5)
    np.testing.assert_array_equal(one, keyed_rng(1, "national_2024|plan").integers(0, 10**9, 5))
    assert not np.array_equal(one, keyed_rng(1, "national_2024|review").integers(0, 10**9, 5))


def test_percentile_interval_and_shape_checks():
    reps = np.arange(101, dtype=float)[:, None] * np.array([1.0, 2.0])
    low, high = percentile_interval(reps, 0.9)
    np.testing.assert_allclose(low, [5.0, 10.0])
    np.testing.assert_allclose(high, [95.0, 190.0])
    with pytest.raises(ValueError, match="strata"):
        Resampler.build(3, strata=np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="clusters"):
        Resampler.build(3, clusters=np.zeros(2, dtype=int))


def test_report_clusters_split_only_groups_of_one_report():
    reports = np.array(["a", "a", "b", "b", "c", "c", "c"])
    groups = np.array([0, 0, 0, 0, 1, 1, 1])  # group 1 holds one report: its paragraphs
    codes = report_clusters(reports, strata=groups)
    assert codes[0] == codes[1] and codes[2] == codes[3] and codes[0] != codes[2]
    assert len(set(codes[4:])) == 3 and not set(codes[4:]) & set(codes[:4])
    res = Resampler.build(7, strata=groups, clusters=codes)
    assert res.n_units == 5
    assert method_label("report-cluster") == "report-cluster bootstrap, percentile"
    assert method_label("paragraph", "bca") == "paragraph bootstrap, BCa"


def test_cluster_codes_number_units_as_a_sorted_pair_factorize():
    """The integer key gives the unit numbering of a sorted factorize of (stratum, cluster)."""
    rng = np.random.default_rng(4)
    strata, clusters = rng.integers(0, 4, 300), rng.integers(0, 30, 300)
    expected, _ = pd.factorize(pd.MultiIndex.from_arrays([strata, clusters]), sort=True)
    got = Resampler.build(300, strata=strata, clusters=clusters).unit_of_doc
    np.testing.assert_array_equal(got, expected)


def test_bca_is_the_percentile_interval_without_bias_or_skew():
    reps = np.linspace(-3, 3, 2001)[:, None]  # centred on the estimate 0, symmetric jackknife
    jack = np.array([[-1.0], [1.0], [-2.0], [2.0]])
    low, high = bca_interval(reps, np.array([0.0]), jack, 0.9)
    p_low, p_high = percentile_interval(reps, 0.9)
    np.testing.assert_allclose([low[0], high[0]], [p_low[0], p_high[0]])
    # a concept without a hit: every replicate and jackknife value 0 -> [0, 0], not NaN
    zero = bca_interval(np.zeros((50, 1)), np.zeros(1), np.zeros((5, 1)))
    assert zero == (np.zeros(1), np.zeros(1))
    # the estimate below every replicate: BCa undefined, NaN (never clamped)
    low, high = bca_interval(np.arange(1.0, 51.0)[:, None], np.zeros(1), jack)
    assert np.isnan(low).all() and np.isnan(high).all()
    with pytest.raises(ValueError, match="jackknife"):
        bootstrap_interval(reps, interval="bca")


def test_bca_agrees_with_scipy_on_a_skewed_mean():
    """Same data, scipy.stats.bootstrap(method="BCa") vs our replicates and jackknife."""
    from scipy import stats

    data = np.random.default_rng(0).gamma(1.0, 1.0, size=60)
    reps = data[np.random.default_rng(1).integers(0, 60, size=(20_000, 60))].mean(axis=1)
    jack = (data.sum() - data) / 59
    low, high = bca_interval(reps[:, None], np.array([data.mean()]), jack[:, None])
    ref = stats.bootstrap(
        (data,), np.mean, method="BCa", n_resamples=20_000, random_state=2
    ).confidence_interval
    np.testing.assert_allclose([low[0], high[0]], [ref.low, ref.high], rtol=0.02)
    p_low, p_high = percentile_interval(reps[:, None])
    assert low[0] > p_low[0] and high[0] > p_high[0]  # right skew: BCa shifts the interval up


def test_concept_rates_with_bca_name_it_and_stay_deterministic():
    from analysis.measures.concepts import concept_rates

    rng = np.random.default_rng(3)
    paras = pd.DataFrame(
        {
            "g": np.repeat(["one", "many"], [30, 90]),
            "doc_id": np.r_[np.zeros(30, int), np.repeat([1, 2, 3], 30)].astype(str),
            "chars": rng.integers(100, 400, 120),
            "tokens": rng.integers(30, 120, 120),
            "c": rng.poisson(0.4, 120),
        }
    )
    a = concept_rates(paras, ["c"], ["g"], n_boot=300, seed=2, interval="bca")
    pd.testing.assert_frame_equal(
        a, concept_rates(paras, ["c"], ["g"], n_boot=300, seed=2, interval="bca")
    )
    methods = dict(zip(a["g"], a["ci_method"], strict=True))
    assert methods == {"one": "paragraph bootstrap, BCa", "many": "report-cluster bootstrap, BCa"}
    assert a[["ci_low", "ci_high"]].notna().all().all()
    p = concept_rates(paras, ["c"], ["g"], n_boot=300, seed=2)
    assert (p["rate"] == a["rate"]).all() and not np.allclose(p["ci_low"], a["ci_low"])
