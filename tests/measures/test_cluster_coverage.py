"""Coverage of the pooled intervals on clustered data: the report-cluster bootstrap holds its
nominal 95%, the paragraph bootstrap (paragraphs resampled as if independent) does not.

The simulated group: ``N_REPORTS`` reports drawn from a population of reports, each with its
own rate ``lambda_i ~ Gamma(shape 16, mean MU)`` per 10,000 characters (CV 0.25: reports differ
more than Poisson noise), 10-30 paragraphs of 200-800 characters, and Poisson concept counts with
mean ``lambda_i * chars / 10,000``. Characters are independent of the rate, so the pooled rate
``sum(counts) / sum(chars)`` estimates ``E[lambda] = MU``: the true group rate. For the paired
difference, each report also has a plan section (its own paragraphs) with rate ``lambda_i *
m_i``, ``m_i ~ Gamma(16, mean 1.5)``: the true plan-minus-review difference is ``0.5 * MU``.

Both intervals come from the package's own code (:func:`concept_rates`,
:func:`paired_difference`); the paragraph bootstrap is obtained by giving every paragraph the
same report id (so the group counts as one report, whose paragraphs are resampled). Run with
``pytest -s`` to see the coverages; they are also in the assertion messages. Seeded: the
numbers are the same on every run, and a wrong unit fails.

The percentile cluster bootstrap under-covers with few reports (a skewed ratio statistic): on
this design, in 2,000 replications, 0.885 with 10 reports, 0.932 with 40 and 0.939 with 80 (BCa
about the same: 0.884, 0.928, 0.937); so the test uses 80 reports (on the bundled corpus 38
national, 71 provincial and 154 local reports have both a review and a plan section).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.measures.concepts import concept_rates, paired_difference

MU = 20.0  # true group rate per 10,000 characters
N_REPORTS = 80
N_REPLICATIONS = 600  # Monte Carlo SD of a 95% coverage: 0.009
N_BOOT = 400


def _reports(rng: np.random.Generator, rep: int, section: str, rates: np.ndarray) -> dict:
    n_par = rng.integers(10, 31, size=len(rates))
    doc = np.repeat(np.arange(len(rates)), n_par)
    chars = rng.integers(200, 801, size=len(doc))
    counts = rng.poisson(rates[doc] * chars / 10_000)
    return {
        "rep": rep,
        "doc_id": [f"r{rep}_{d}" for d in doc],
        "section": section,
        "chars": chars,
        "tokens": chars,
        "c": counts,
    }


def _simulate(seed: int, n_reports: int, *, paired: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for rep in range(N_REPLICATIONS):
        rates = rng.gamma(16.0, MU / 16.0, size=n_reports)
        frames.append(pd.DataFrame(_reports(rng, rep, "review", rates)))
        if paired:
            shift = rng.gamma(16.0, 1.5 / 16.0, size=n_reports)
            frames.append(pd.DataFrame(_reports(rng, rep, "plan", rates * shift)))
    return pd.concat(frames, ignore_index=True)


def _coverage(low: pd.Series, high: pd.Series, truth: float) -> float:
    return float(((low <= truth) & (truth <= high)).mean())


def _rate_coverages(n_reports: int, seed: int = 14) -> tuple[float, float, pd.DataFrame]:
    paras = _simulate(seed, n_reports, paired=False)
    cluster = concept_rates(paras, ["c"], ["rep"], n_boot=N_BOOT, seed=1)
    flat = concept_rates(paras.assign(doc_id="one"), ["c"], ["rep"], n_boot=N_BOOT, seed=1)
    return (
        _coverage(cluster["ci_low"], cluster["ci_high"], MU),
        _coverage(flat["ci_low"], flat["ci_high"], MU),
        cluster,
    )


def test_pooled_rate_interval_covers_the_group_rate_and_paragraphs_under_cover():
    cover, flat, table = _rate_coverages(N_REPORTS)
    assert set(table["ci_method"]) == {"report-cluster bootstrap, percentile"}
    assert (table["n_reports"] == N_REPORTS).all()
    message = (
        f"{N_REPLICATIONS} replications of {N_REPORTS} reports: report-cluster bootstrap covers "
        f"the group rate in {cover:.3f}, paragraph bootstrap in {flat:.3f} (nominal 0.95)"
    )
    print(message)
    assert 0.93 <= cover <= 0.97, message
    assert flat < 0.85, message


def test_paired_difference_interval_covers_the_true_difference():
    paras = _simulate(15, N_REPORTS, paired=True)
    truth = 0.5 * MU
    cluster = paired_difference(paras, ["c"], ["rep"], n_boot=N_BOOT, seed=1)
    flat = paired_difference(paras.assign(doc_id="one"), ["c"], ["rep"], n_boot=N_BOOT, seed=1)
    assert set(cluster["ci_method"]) == {"report-cluster bootstrap, percentile"}
    assert set(flat["ci_method"]) == {"paragraph bootstrap, percentile"}
    cover = _coverage(cluster["diff_ci_low"], cluster["diff_ci_high"], truth)
    under = _coverage(flat["diff_ci_low"], flat["diff_ci_high"], truth)
    message = (
        f"{N_REPLICATIONS} replications of {N_REPORTS} reports: the paired report-cluster "
        f"interval of plan - review covers the true difference in {cover:.3f}, the paragraph "
        f"bootstrap in {under:.3f} (nominal 0.95)"
    )
    print(message)
    assert 0.93 <= cover <= 0.97, message
    assert under < 0.85, message
