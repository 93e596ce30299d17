"""The one bootstrap resampler: units (documents or clusters of them) drawn with replacement
within strata, as multiplicities per document; and the intervals (percentile or BCa).

The resampling unit follows one rule everywhere (:func:`report_clusters`): an interval of a
group that holds more than one report resamples *reports* (a report-cluster bootstrap: a drawn
report brings all its paragraphs), since reports, not paragraphs, are the independent units of a
pooled rate; only the interval of a single report resamples its paragraphs. Both the concept-rate
intervals (:mod:`analysis.measures.concepts`) and topic prevalence
(:mod:`analysis.topics.prevalence`) draw through :class:`Resampler`, and tables state the unit
and interval in a ``ci_method`` column (:func:`method_label`, e.g. ``"report-cluster bootstrap,
percentile"``). A bottom-floor module: it imports no stage.

Random streams are part of the results (intervals are byte-identical for a seed), so the order
of draws is fixed: strata in ascending code order, and within a stratum one
``rng.integers(0, m, size=(n, m))`` call for ``n`` replicates of its ``m`` units.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

__all__ = [
    "PARAGRAPH_UNIT",
    "REPORT_UNIT",
    "Interval",
    "Resampler",
    "bca_interval",
    "bootstrap_interval",
    "estimate_outside",
    "keyed_rng",
    "method_label",
    "percentile_interval",
    "report_clusters",
]

#: Interval from the replicates: raw percentiles, or bias-corrected and accelerated (BCa).
Interval = Literal["percentile", "bca"]
#: Resampling units named in ``ci_method`` columns and figure captions.
REPORT_UNIT = "report-cluster"
PARAGRAPH_UNIT = "paragraph"
_INTERVAL_NAMES = {"percentile": "percentile", "bca": "BCa"}


def method_label(unit: str, interval: Interval = "percentile") -> str:
    """The ``ci_method`` string: ``"report-cluster bootstrap, percentile"``, ``"paragraph
    bootstrap, BCa"``, ..."""
    return f"{unit} bootstrap, {_INTERVAL_NAMES[interval]}"


def report_clusters(reports: np.ndarray, strata: np.ndarray | None = None) -> np.ndarray:
    """Cluster codes for :meth:`Resampler.build` that apply the resampling rule.

    Within a stratum (a group) holding more than one report, the documents (paragraphs) of a
    report form one cluster: reports are resampled. A stratum holding a single report gets
    every document as its own unit: its paragraphs are resampled.

    Parameters
    ----------
    reports : array (n_docs,)
        Report id of each document.
    strata : array (n_docs,), optional
        Group of each document; default one group.

    Returns
    -------
    int array (n_docs,)
    """
    codes = pd.factorize(np.asarray(reports), sort=True)[0]
    groups = np.zeros(len(codes), dtype=np.int64) if strata is None else np.asarray(strata)
    n_in = pd.Series(codes).groupby(pd.factorize(groups, sort=True)[0]).transform("nunique")
    single = n_in.to_numpy() <= 1
    base = int(codes.max()) + 1 if len(codes) else 0
    return np.where(single, base + np.arange(len(codes)), codes)


def keyed_rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one unit, from the master seed and a stable hash (CRC-32) of its key.

    ``numpy.random.default_rng([seed, crc32(key)])``: seeding per unit keeps a unit's draws, and
    so its interval, unchanged when other units are added or removed.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


@dataclass(frozen=True)
class Resampler:
    """Bootstrap multiplicities of D documents: units resampled with replacement within strata.

    A unit is a document, or a cluster of documents within one stratum; each replicate draws,
    in every stratum, as many units as the stratum has. Build with :meth:`build`.

    Attributes
    ----------
    unit_of_doc : int array (D,)
        Unit index of each document.
    strata_units : tuple of int arrays
        Unit indices of each stratum, strata in ascending code order.
    n_units : int
    """

    unit_of_doc: np.ndarray
    strata_units: tuple[np.ndarray, ...]
    n_units: int

    @classmethod
    def build(
        cls,
        n_docs: int,
        *,
        strata: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
    ) -> Resampler:
        """A resampler of ``n_docs`` documents.

        Parameters
        ----------
        n_docs : int
        strata : int array (n_docs,), optional
            Stratum code of each document; default one stratum.
        clusters : int array (n_docs,), optional
            Cluster code of each document (clusters are split by stratum); default: every
            document is its own unit.
        """
        strata = np.zeros(n_docs, dtype=np.int64) if strata is None else np.asarray(strata)
        if strata.shape != (n_docs,):
            raise ValueError(f"strata must have shape ({n_docs},), got {strata.shape}")
        if clusters is None:
            unit_of_doc = np.arange(n_docs)
        else:
            clusters = np.asarray(clusters)
            if clusters.shape != (n_docs,):
                raise ValueError(f"clusters must have shape ({n_docs},), got {clusters.shape}")
            # units numbered in sorted (stratum, cluster) order, as a sorted factorize of the
            # pairs would (one integer key per pair: much faster than a MultiIndex)
            s_codes = pd.factorize(strata, sort=True)[0].astype(np.int64)
            c_codes = pd.factorize(clusters, sort=True)[0].astype(np.int64)
            key = s_codes * (int(c_codes.max()) + 1 if n_docs else 1) + c_codes
            unit_of_doc = np.unique(key, return_inverse=True)[1].reshape(-1)
        n_units = int(unit_of_doc.max()) + 1 if n_docs else 0
        unit_stratum = np.empty(n_units, dtype=np.int64)
        unit_stratum[unit_of_doc] = strata
        order = np.argsort(unit_stratum, kind="stable")
        bounds = np.flatnonzero(np.diff(unit_stratum[order])) + 1
        return cls(unit_of_doc, tuple(np.split(order, bounds)), n_units)

    @property
    def n_docs(self) -> int:
        return len(self.unit_of_doc)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Multiplicities, int32 array (n, D): how often each document is drawn in each of
        ``n`` replicates (a stratum's units sum to its number of units in every row)."""
        unit_counts = np.zeros((n, self.n_units), dtype=np.int32)
        for units in self.strata_units:
            m = len(units)
            pick = rng.integers(0, m, size=(n, m)) + (np.arange(n) * m)[:, None]
            unit_counts[:, units] = np.bincount(pick.ravel(), minlength=n * m).reshape(n, m)
        return unit_counts[:, self.unit_of_doc]


def percentile_interval(
    replicates: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The raw percentile interval over axis 0 of the replicates (``level`` coverage).

    Not widened to contain the estimate: with a skewed statistic, or an estimate that is not
    the replicates' centre (a mean over model runs), it can fall outside; tables say where
    with :func:`estimate_outside`.
    """
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(replicates, [alpha, 1.0 - alpha], axis=0)
    return low, high


def _column_quantiles(replicates: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantile ``q[j]`` of column ``j`` of ``replicates`` (B, M), numpy's linear method;
    NaN where ``q`` is NaN."""
    srt = np.sort(replicates, axis=0)
    n = srt.shape[0]
    pos = np.clip(np.where(np.isnan(q), 0.0, q), 0.0, 1.0) * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    cols = np.arange(srt.shape[1])
    frac = pos - lo
    out = srt[lo, cols] + frac * (srt[hi, cols] - srt[lo, cols])
    return np.where(np.isnan(q), np.nan, out)


def bca_interval(
    replicates: np.ndarray,
    estimate: np.ndarray,
    jackknife: np.ndarray,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The bias-corrected and accelerated (BCa) interval over axis 0 (Efron 1987), as in
    ``scipy.stats.bootstrap(method="BCa")``.

    Bias correction ``z0 = Phi^-1(p)`` with ``p`` the share of replicates below the estimate
    (ties counted half); acceleration ``a = sum(d^3) / (6 sum(d^2)^1.5)`` with ``d`` the
    deviations of the leave-one-unit-out (jackknife) estimates from their mean, the units being
    those resampled (reports, or paragraphs for one report). The interval is the replicates'
    ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` quantiles for ``z = Phi^-1(alpha), Phi^-1(1 -
    alpha)``. Raw: never clamped nor widened. Where every replicate lies on one side of the
    estimate (``z0`` infinite) BCa is undefined and the interval is NaN; where the jackknife does
    not vary (a concept without a hit) ``a = 0``.

    Parameters
    ----------
    replicates : array (B, ...)
    estimate : array (...)
    jackknife : array (n_units, ...)
        Leave-one-unit-out estimates (NaN rows, e.g. a unit holding every character, are
        ignored).
    """
    reps = np.asarray(replicates, dtype=np.float64)
    shape = reps.shape[1:]
    reps = reps.reshape(reps.shape[0], -1)
    est = np.asarray(estimate, dtype=np.float64).reshape(-1)
    jack = np.asarray(jackknife, dtype=np.float64).reshape(-1, reps.shape[1])
    p = ((reps < est).sum(axis=0) + (reps <= est).sum(axis=0)) / (2.0 * reps.shape[0])
    z0 = ndtri(p)
    dev = np.nanmean(jack, axis=0) - jack if len(jack) else np.zeros((0, reps.shape[1]))
    num = np.nansum(dev**3, axis=0)
    den = 6.0 * np.nansum(dev**2, axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        accel = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        alpha = (1.0 - level) / 2.0
        bounds = []
        for z in (ndtri(alpha), ndtri(1.0 - alpha)):
            q = ndtr(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
            q = np.where(np.isfinite(z0), q, np.nan)
            bounds.append(_column_quantiles(reps, q).reshape(shape))
    return bounds[0], bounds[1]


def bootstrap_interval(
    replicates: np.ndarray,
    level: float = 0.95,
    *,
    interval: Interval = "percentile",
    estimate: np.ndarray | None = None,
    jackknife: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`percentile_interval` or :func:`bca_interval` (which needs ``estimate`` and
    ``jackknife``) of the replicates, by ``interval``."""
    if interval == "percentile":
        return percentile_interval(replicates, level)
    if interval == "bca":
        if estimate is None or jackknife is None:
            raise ValueError("a BCa interval needs the estimate and the jackknife estimates")
        return bca_interval(replicates, estimate, jackknife, level)
    raise ValueError(f"unknown interval {interval!r}; use 'percentile' or 'bca'")


def estimate_outside(estimate: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """True where ``estimate`` lies outside ``[low, high]``; False where any of them is NaN."""
    estimate, low, high = np.asarray(estimate), np.asarray(low), np.asarray(high)
    return (estimate < low) | (estimate > high)
