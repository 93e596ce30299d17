"""The one bootstrap resampler: units (documents or clusters of them) drawn with replacement
within strata, as multiplicities per document; and the percentile interval.

Both the concept-rate intervals (paragraphs resampled within a report, section or group; see
:mod:`analysis.measures.concepts`) and topic prevalence (reports resampled within a group, with
their paragraphs as clusters; see :mod:`analysis.topics.prevalence`) draw through
:class:`Resampler`. A bottom-floor module: it imports no stage.

Random streams are part of the results (intervals are byte-identical for a seed), so the order
of draws is fixed: strata in ascending code order, and within a stratum one
``rng.integers(0, m, size=(n, m))`` call for ``n`` replicates of its ``m`` units.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Resampler", "estimate_outside", "keyed_rng", "percentile_interval"]


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
            pairs = pd.MultiIndex.from_arrays([strata, clusters])
            unit_of_doc, _ = pd.factorize(pairs, sort=True)
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


def estimate_outside(estimate: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """True where ``estimate`` lies outside ``[low, high]``; False where any of them is NaN."""
    estimate, low, high = np.asarray(estimate), np.asarray(low), np.asarray(high)
    return (estimate < low) | (estimate > high)
