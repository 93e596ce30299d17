"""The one resampler (analysis.bootstrap): strata keep their size, clusters stay whole, the
random stream is the documented one, and a keyed generator does not depend on other units."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.bootstrap import Resampler, keyed_rng, percentile_interval


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
