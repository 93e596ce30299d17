"""Topic prevalence by covariates, with intervals that carry topic-model uncertainty.

In the spirit of R stm's ``estimateEffect``: uncertainty is propagated by the *method of
composition*. Each bootstrap replicate draws one fitted model run (seed) uniformly and one
bootstrap resample of the documents, and computes the statistic on that pair; intervals are
percentiles of the replicates, so they widen both when runs disagree about a document's topic
mix and when the statistic rests on few documents. stm draws its topic proportions from the
variational posterior and its sampling noise from the regression's normal approximation; here the
runs play the posterior and the document bootstrap the sampling distribution.

Inputs shared by every function:

- ``doc_topic_runs``: a list of N arrays, each D x K (document-topic proportions, rows sum to 1),
  with topics already aligned across runs (topic k means the same in every run) and rows aligned
  with ``docvars`` (D rows, one per document: a report or a paragraph).
- ``docvars``: document variables (region, level, year, section, ...).
- ``cluster``: optional docvars column whose values are resampled as whole units (e.g.
  ``"doc_id"`` when documents are paragraphs, so the paragraphs of one report stay together);
  by default each document is its own unit. By the rule of :mod:`analysis.bootstrap`
  (:func:`~analysis.bootstrap.report_clusters`), a group holding a single cluster (one report)
  resamples its documents instead. Every table says which in ``ci_method``.

Missing keys: a value counts as missing when it is NA or an empty/blank string (e.g. ``region`` of
the national reports). Documents with a missing key are dropped (or, for categorical regression
covariates with ``missing="level"``, coded as the level ``"none"``); every table says how many in
its column ``n_dropped`` (and the regression how many replicates it redrew, ``n_redrawn``), so
the counts reach the written files.

Functions
---------
:func:`group_prevalence`
    mean topic proportion per group of a docvar, with percentile intervals.
:func:`year_prevalence`
    the national series by year: :func:`group_prevalence` with ``by="year"`` on one level.
:func:`estimate_effects`
    OLS of every topic's proportion on covariates, one least-squares solve for all K topics per
    replicate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from analysis.bootstrap import (
    REPORT_UNIT,
    Resampler,
    estimate_outside,
    method_label,
    percentile_interval,
    report_clusters,
)
from analysis.progress import progress
from analysis.topics.design import build_design, column, is_missing

__all__ = ["estimate_effects", "group_prevalence", "year_prevalence"]

#: Replicates drawn per block (bounds memory at ``_BLOCK x D`` counts; fixed for determinism).
_BLOCK = 256
#: Tolerance on the row sums of the doc-topic matrices.
_ROW_SUM_TOL = 1e-3
#: What every replicate adds to the resampling (the method of composition).
_RUNS = "with a model run drawn per replicate"


def _ci_method(unit: str) -> str:
    return f"{method_label(unit)}, {_RUNS}"


# ---------------------------------------------------------------------------------------------
# Validation and bootstrap machinery
# ---------------------------------------------------------------------------------------------
def _stack_runs(doc_topic_runs: Sequence[np.ndarray], n_docs: int) -> np.ndarray:
    """The runs as one float64 array (N, D, K), after checking shapes and row sums."""
    if len(doc_topic_runs) == 0:
        raise ValueError("doc_topic_runs is empty: pass at least one D x K array")
    runs = [np.asarray(r, dtype=np.float64) for r in doc_topic_runs]
    shape = runs[0].shape
    if len(shape) != 2:
        raise ValueError(f"each doc-topic array must be 2-D (D x K), got shape {shape}")
    for i, r in enumerate(runs):
        if r.shape != shape:
            raise ValueError(f"run {i} has shape {r.shape}, run 0 has {shape}")
    if shape[0] != n_docs:
        raise ValueError(f"doc-topic arrays have {shape[0]} rows but docvars has {n_docs}")
    theta = np.stack(runs)
    if not np.all(np.isfinite(theta)) or np.any(theta < 0):
        raise ValueError("doc-topic proportions must be finite and non-negative")
    if np.any(np.abs(theta.sum(axis=2) - 1.0) > _ROW_SUM_TOL):
        raise ValueError("doc-topic rows must sum to 1 (topic proportions per document)")
    return theta


def _check_boot(n_boot: int, level: float) -> None:
    if n_boot < 2:
        raise ValueError(f"n_boot must be at least 2, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _replicates(
    rng: np.random.Generator, resampler: Resampler, n_runs: int, block: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Endless stream of ``(run index, document multiplicities (D,))`` replicates."""
    while True:
        runs = rng.integers(0, n_runs, size=block)
        counts = resampler.draw(rng, block)
        for run, row in zip(runs, counts, strict=True):
            yield int(run), row


def _codes(docvars: pd.DataFrame, name: str | None, keep: np.ndarray) -> np.ndarray | None:
    """Integer codes of column ``name`` on the kept rows (None when ``name`` is None)."""
    if name is None:
        return None
    values = column(docvars, name)[keep]
    if values.isna().any():
        raise ValueError(f"cluster column {name!r} has missing values")
    return pd.factorize(values, sort=True)[0]


# ---------------------------------------------------------------------------------------------
# Prevalence per group
# ---------------------------------------------------------------------------------------------
def group_prevalence(
    doc_topic_runs: list[np.ndarray],
    docvars: pd.DataFrame,
    by: str,
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
    weights: np.ndarray | None = None,
    cluster: str | None = None,
    unit: str = "document",
) -> pd.DataFrame:
    """Mean topic proportion per group of ``docvars[by]``, with bootstrap intervals.

    Parameters
    ----------
    doc_topic_runs : list of N arrays (D, K)
        Aligned document-topic proportions of N model runs; rows aligned with ``docvars``.
    docvars : DataFrame, D rows
        Document variables; ``by`` (and ``cluster``) must be columns.
    by : str
        Grouping docvar (region, level, year, section, ...).
    n_boot : int
        Bootstrap replicates (>= 2). Each draws one run uniformly and resamples the documents
        (or the ``cluster`` units) with replacement within each group.
    seed : int
        Seed of ``numpy.random.default_rng``; same inputs and seed give an identical table.
    level : float
        Coverage of the percentile interval (default 0.95).
    weights : array (D,), optional
        Positive per-document weights, e.g. token counts, so that a group's prevalence is the
        share of its tokens; default: every document weighs 1 (mean of proportions).
    cluster : str, optional
        Docvar resampled as whole units within a group (e.g. ``"doc_id"`` for paragraphs); a
        group with a single cluster resamples its documents.
    unit : str
        What a document is (``"paragraph"``, ``"report"`` ...), for ``ci_method``.

    Returns
    -------
    DataFrame
        One row per group x topic, groups sorted: ``docvar`` (= ``by``), ``group`` (the docvar's
        value, its dtype kept), ``topic`` (0..K-1), ``mean`` (weighted mean proportion over the
        group's documents, averaged over runs), ``ci_low``, ``ci_high`` (the raw percentile
        interval), ``n_docs``, ``n_dropped``, ``estimate_outside_ci`` (True where ``mean`` lies
        outside the interval: the replicates draw single runs, the mean averages them), ``ci_method``
        (``"report-cluster bootstrap, percentile, with a model run drawn per replicate"``, or
        the ``unit`` bootstrap for a group of one cluster or without ``cluster``). Documents
        whose ``by`` value is missing (NA or blank, e.g. the region of a national report) are
        dropped; ``n_dropped`` (the same on every row) is their number.
    """
    _check_boot(n_boot, level)
    theta = _stack_runs(doc_topic_runs, len(docvars))
    n_runs, n_docs, n_topics = theta.shape
    w = np.ones(n_docs) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n_docs,):
        raise ValueError(f"weights must have shape ({n_docs},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be finite and positive (drop empty documents first)")

    keys = column(docvars, by)
    keep = ~is_missing(keys)
    if not keep.any():
        raise ValueError(f"every value of {by!r} is missing")
    codes, groups = pd.factorize(keys[keep], sort=True)
    clusters = _codes(docvars, cluster, keep)
    # Sort the kept documents by group so each group is one contiguous block (for reduceat).
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    theta = theta[:, np.flatnonzero(keep)[order], :]
    w = w[keep][order]
    starts = np.flatnonzero(np.r_[True, np.diff(codes) != 0])
    n_docs_group = np.diff(np.r_[starts, len(codes)])

    def group_means(doc_weight: np.ndarray, theta_run: np.ndarray) -> np.ndarray:
        num = np.add.reduceat(doc_weight[:, None] * theta_run, starts, axis=0)
        return num / np.add.reduceat(doc_weight, starts)[:, None]

    estimate = group_means(w, theta.mean(axis=0))
    methods = np.full(len(groups), _ci_method(unit), dtype=object)
    if clusters is not None:
        clusters = clusters[order]
        several = pd.Series(clusters).groupby(codes).nunique().to_numpy() > 1
        methods = np.where(several, _ci_method(REPORT_UNIT), _ci_method(unit))
        clusters = report_clusters(clusters, strata=codes)
    resampler = Resampler.build(len(codes), strata=codes, clusters=clusters)
    stream = _replicates(np.random.default_rng(seed), resampler, n_runs, min(_BLOCK, n_boot))
    reps = np.empty((n_boot, len(groups), n_topics))
    for b in progress(range(n_boot), desc=f"prevalence by {by}", total=n_boot):
        run, counts = next(stream)
        reps[b] = group_means(counts * w, theta[run])
    low, high = percentile_interval(reps, level)

    out = pd.DataFrame(
        {
            "docvar": by,
            "group": groups.repeat(n_topics),
            "topic": np.tile(np.arange(n_topics), len(groups)),
            "mean": estimate.ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "n_docs": n_docs_group.repeat(n_topics),
            "n_dropped": int((~keep).sum()),
            "estimate_outside_ci": estimate_outside(estimate, low, high).ravel(),
            "ci_method": methods.repeat(n_topics),
        }
    )
    return out


def year_prevalence(
    doc_topic_runs: list[np.ndarray],
    docvars: pd.DataFrame,
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
    weights: np.ndarray | None = None,
    cluster: str | None = None,
    scope: str | None = "national",
    unit: str = "document",
) -> pd.DataFrame:
    """Topic prevalence by year within one government level (default: the national series).

    :func:`group_prevalence` with ``by="year"`` on the documents whose ``docvars["level"]``
    equals ``scope`` (all documents when ``scope`` is None). The national series has one report
    per year, so with reports as documents the interval of a year reflects only disagreement
    between runs; with paragraphs as documents (``weights`` = token counts) it also reflects
    sampling of the report's paragraphs. ``weights`` and ``cluster`` are as in
    :func:`group_prevalence` (full-length, aligned with ``docvars``).

    Returns
    -------
    DataFrame
        ``year`` (int), ``topic``, ``mean``, ``ci_low``, ``ci_high``, ``n_docs``, ``n_dropped``
        (the documents of the scope without a year), ``estimate_outside_ci``, ``ci_method``,
        years sorted.
    """
    mask = np.ones(len(docvars), dtype=bool)
    if scope is not None:
        mask = column(docvars, "level").eq(scope).fillna(False).to_numpy(dtype=bool)
        if not mask.any():
            raise ValueError(f"no document has level == {scope!r}")
    idx = np.flatnonzero(mask)
    out = group_prevalence(
        [np.asarray(r)[idx] for r in doc_topic_runs],
        docvars.iloc[idx],
        "year",
        n_boot=n_boot,
        seed=seed,
        level=level,
        weights=None if weights is None else np.asarray(weights)[idx],
        cluster=cluster,
        unit=unit,
    )
    out = out.drop(columns="docvar").rename(columns={"group": "year"})
    out["year"] = out["year"].astype("int64")
    return out


# ---------------------------------------------------------------------------------------------
# Regression of topic proportions on covariates (design matrix: analysis.topics.design)
# ---------------------------------------------------------------------------------------------
def estimate_effects(
    doc_topic_runs: list[np.ndarray],
    docvars: pd.DataFrame,
    covariates: Sequence[str],
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
    missing: Literal["drop", "level"] = "drop",
    reference: Mapping[str, str] | None = None,
    categorical: Sequence[str] = (),
    center: bool = True,
    cluster: str | None = None,
    max_redraws: int | None = None,
    unit: str = "document",
) -> pd.DataFrame:
    """OLS of each topic's proportion on docvars, with method-of-composition intervals.

    The model, for every topic k at once (one least-squares solve, D x P design vs D x K)::

        theta[:, k] = X @ beta[:, k] + error

    ``X`` holds an intercept, then each covariate in ``covariates`` order: a numeric docvar
    (e.g. year) as one column, centred at its mean over the rows used when ``center`` (so the
    intercept is the expected proportion at the mean year), its coefficient being the change
    per unit; a categorical docvar as 0/1 dummies of its levels against a reference level (the
    most frequent level, ties to the first sorted; override with ``reference``). Boolean and
    string columns and those named in ``categorical`` are categorical.

    The estimate is the OLS fit to the run-averaged proportions (equal to the mean of the
    per-run fits). Each of ``n_boot`` replicates draws one run uniformly and a bootstrap
    resample of the documents (or of ``cluster`` units), and refits; ``se`` is the standard
    deviation of the replicates and the interval their percentiles. A replicate whose resample
    leaves the design rank deficient (a rare level not drawn) is redrawn; the number redrawn is
    in the column ``n_redrawn``.

    Parameters
    ----------
    doc_topic_runs, docvars
        As in :func:`group_prevalence`.
    covariates : sequence of str
        Docvar names, e.g. ``["region", "level", "year"]``.
    n_boot, seed, level
        Replicates (>= 2), seed of ``numpy.random.default_rng``, interval coverage.
    missing : {"drop", "level"}
        ``"drop"``: documents with a missing value in any covariate are dropped. ``"level"``: a
        missing categorical value becomes the level ``"none"`` (missing numeric values are
        still dropped). With region and level together, ``"level"`` makes ``region=none``
        equal to ``level=national``: a ValueError names the collinear column.
    reference : mapping, optional
        Reference level per categorical covariate, e.g. ``{"level": "province"}``.
    categorical : sequence of str
        Numeric covariates to treat as categorical (e.g. ``["year"]`` for year effects).
    center : bool
        Centre numeric covariates at their mean (default True).
    cluster : str, optional
        Docvar resampled as whole units (e.g. ``"doc_id"`` for paragraphs).
    max_redraws : int, optional
        Give up (ValueError) after this many rank-deficient replicates; default ``10 * n_boot``.
    unit : str
        What a document is, for ``ci_method`` when there is no ``cluster``.

    Returns
    -------
    DataFrame
        One row per topic x term (topics ascending, terms in design order): ``topic``, ``term``
        (``"(Intercept)"``, a numeric covariate's name, or ``"covariate=level"``), ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``reference`` (the reference level of a dummy; for the
        intercept the baseline, e.g. ``"level=province; year=1998.5"``; empty for numeric
        terms), ``n_docs`` (documents in the regression), ``n_dropped`` (documents left out for
        a missing covariate) and ``n_redrawn`` (rank-deficient replicates redrawn), the same on
        every row, ``estimate_outside_ci`` (True where ``estimate`` lies outside the raw
        percentile interval) and ``ci_method``.

    Raises
    ------
    ValueError
        A covariate constant or with a single level on the rows used, or a rank-deficient
        design (the message names the columns).
    """
    _check_boot(n_boot, level)
    theta = _stack_runs(doc_topic_runs, len(docvars))
    design = build_design(
        docvars,
        covariates,
        missing=missing,
        reference=reference or {},
        categorical=categorical,
        center=center,
    )
    X = design.X
    theta = theta[:, design.keep, :]
    n_runs, n_docs, n_topics = theta.shape
    n_terms = X.shape[1]
    clusters = _codes(docvars, cluster, design.keep)
    resampler = Resampler.build(n_docs, clusters=clusters)
    stream = _replicates(np.random.default_rng(seed), resampler, n_runs, min(_BLOCK, n_boot))
    limit = 10 * n_boot if max_redraws is None else max_redraws
    reps = np.empty((n_boot, n_terms, n_topics))
    redrawn = 0
    # One BLAS thread: these solves are small (D x P), threads only contend (10x slower on a
    # busy 2-core machine), and a fixed thread count keeps the floating-point sums identical.
    with threadpool_limits(limits=1, user_api="blas"):
        estimate = np.linalg.lstsq(X, theta.mean(axis=0), rcond=None)[0]  # (P, K)
        for b in progress(range(n_boot), desc="prevalence effects", total=n_boot):
            while True:
                run, counts = next(stream)
                rows = np.flatnonzero(counts)
                root = np.sqrt(counts[rows])[:, None]
                coef, _, rank, _ = np.linalg.lstsq(
                    X[rows] * root, theta[run, rows] * root, rcond=None
                )
                if rank == n_terms:
                    break
                redrawn += 1
                if redrawn > limit:
                    raise ValueError(
                        f"{redrawn} bootstrap resamples left the design rank deficient: a level "
                        "of a covariate has too few documents; merge or drop it"
                    )
            reps[b] = coef
    low, high = percentile_interval(reps, level)
    se = reps.std(axis=0, ddof=1)

    out = pd.DataFrame(
        {
            "topic": np.repeat(np.arange(n_topics), n_terms),
            "term": np.tile(design.terms, n_topics),
            "estimate": estimate.T.ravel(),
            "se": se.T.ravel(),
            "ci_low": low.T.ravel(),
            "ci_high": high.T.ravel(),
            "reference": np.tile(design.references, n_topics),
            "n_docs": n_docs,
            "n_dropped": int((~design.keep).sum()),
            "n_redrawn": redrawn,
            "estimate_outside_ci": estimate_outside(estimate, low, high).T.ravel(),
            "ci_method": _ci_method(REPORT_UNIT if cluster is not None else unit),
        }
    )
    return out
