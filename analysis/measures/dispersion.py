"""Dispersion of terms over the reports of a keyness side, and a report-level test.

Pooled G2 treats every token as an independent draw, so a term used heavily in one report of a
side (a place name, a one-off project) gets a tiny q even when the other reports never use it.
The statistics here look at the side's *reports* instead:

- ``reports``: how many of the side's reports use the term, and their share;
- ``dp``: Gries' DP (Gries 2008, "Dispersions and adjusted frequencies in corpora"), half the sum
  over the side's reports of ``|v_i - s_i|``, with ``v_i`` the report's share of the side's count
  of the term and ``s_i`` its share of the side's tokens; 0 = used in proportion to report size,
  values near 1 = held by one small part of the side (the largest possible value is
  ``1 - min s_i``);
- ``top_share``: the share of the side's count held by its top report;
- ``mean_rate``: the mean over the side's reports of the rate per 10,000 tokens;
- the Mann-Whitney U (Wilcoxon rank-sum) test of the per-report rates of the target against
  those of the reference (two-sided, normal approximation with the tie correction, since most
  reports of a side share the rate 0): ``u_reports`` (U of the target), ``p_reports``. A rank
  test, because per-report rates of a term are zero-inflated and skewed: with 3 to 10 reports
  a side, Welch's t on them is dominated by one heavy report (长三角 in the Zhejiang reports:
  Welch p 0.044, rank-sum p 4e-11). A side of one report has nothing to rank against: missing;
- ``without_top``: the pooled G2 of the term with the top report of the side it is key for left
  out (its count and its tokens), so that "held mostly by one report" is a test, not a share.

A "report" is a ``doc_id``: for a comparison of paragraphs (``unit = "paragraph"``, such as
review vs plan) a side's report is the part of one report on that side (its review paragraphs,
say), so a report may appear on both sides (the test then treats the two parts as independent,
which they are not quite). Report sizes are the side's tokens of the terms counted (the keyness
table's tokens, placeholders left out); a report part with no such token is left out of the
side's reports. Everything is computed on sparse matrices (shape reports x terms) in closed
form, so a table of 30,000 terms and 300 reports takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

#: Rates are per this many tokens.
PER_TOKENS = 10_000


@dataclass(frozen=True)
class SideReports:
    """The term counts of one side, summed per report.

    Attributes
    ----------
    counts : csr_matrix, shape (n_reports, n_terms), int64
    sizes : ndarray of int64, shape (n_reports,)
        Tokens of each report on this side (all > 0).
    doc_ids : ndarray of str, shape (n_reports,)
    """

    counts: sparse.csr_matrix
    sizes: np.ndarray
    doc_ids: np.ndarray

    @property
    def n(self) -> int:
        """Number of reports on the side."""
        return len(self.sizes)


def side_reports(counts: sparse.csr_matrix, doc_ids: np.ndarray, mask: np.ndarray) -> SideReports:
    """Sum the rows of ``counts`` (units x terms) selected by ``mask`` per ``doc_ids`` value.

    ``doc_ids`` has one value per unit row; reports keep their order of first appearance and
    those with no token are dropped.
    """
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    codes, ids = pd.factorize(pd.Series(np.asarray(doc_ids)[rows]).astype(str))
    indicator = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (codes, rows)), shape=(len(ids), counts.shape[0])
    )
    per_report = (indicator @ counts).tocsr()
    sizes = np.asarray(per_report.sum(axis=1)).ravel().astype(np.int64)
    keep = sizes > 0
    per_report = per_report[keep].tocsr()
    per_report.sort_indices()
    return SideReports(per_report, sizes[keep], np.asarray(ids)[keep])


def side_stats(side: SideReports) -> pd.DataFrame:
    """Per-term dispersion of one side: ``reports``, ``report_share``, ``dp``, ``top_share``,
    ``mean_rate`` and ``var_rate`` (ddof 1; missing for a side of one report), one row per term
    (columns of ``side.counts``). ``dp`` and ``top_share`` are missing for a term the side never
    uses."""
    c = side.counts
    n = side.n
    total = np.asarray(c.sum(axis=0)).ravel().astype(np.float64)
    used = np.asarray((c > 0).sum(axis=0)).ravel()
    top = c.max(axis=0).toarray().ravel().astype(np.float64)
    coo = c.tocoo()
    size_share = side.sizes / side.sizes.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        v = coo.data / total[coo.col]
        s = size_share[coo.row]
        # sum_i |v_i - s_i| = sum over reports using the term + the size share of the others
        nz = np.bincount(coo.col, weights=np.abs(v - s), minlength=c.shape[1])
        s_nz = np.bincount(coo.col, weights=s, minlength=c.shape[1])
        dp = np.where(total > 0, 0.5 * (nz + (1.0 - s_nz)), np.nan)
        top_share = np.where(total > 0, top / total, np.nan)
    rate = coo.data * PER_TOKENS / side.sizes[coo.row]
    sum_rate = np.bincount(coo.col, weights=rate, minlength=c.shape[1])
    sum_sq = np.bincount(coo.col, weights=rate**2, minlength=c.shape[1])
    mean = sum_rate / n
    var = np.maximum(sum_sq - n * mean**2, 0.0) / (n - 1) if n > 1 else np.full_like(mean, np.nan)
    return pd.DataFrame(
        {
            "reports": used.astype(np.int64),
            "report_share": used / n,
            "dp": np.clip(dp, 0.0, 1.0),
            "top_share": top_share,
            "mean_rate": mean,
            "var_rate": var,
        }
    )


def rank_test(
    target: SideReports, reference: SideReports, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Whitney U of the target's per-report rates (per 10,000 tokens) against the
    reference's, and its two-sided p (asymptotic, tie-corrected), for the term ``columns``.

    Returns two float arrays of ``len(columns)``; both missing when a side has fewer than 2
    reports. Dense over the columns asked for only (reports x columns).
    """
    columns = np.asarray(columns, dtype=np.int64)
    nan = np.full(len(columns), np.nan)
    if target.n < 2 or reference.n < 2 or not len(columns):
        return nan, nan.copy()
    x = target.counts[:, columns].toarray() * (PER_TOKENS / target.sizes[:, None])
    y = reference.counts[:, columns].toarray() * (PER_TOKENS / reference.sizes[:, None])
    res = stats.mannwhitneyu(x, y, axis=0, alternative="two-sided", method="asymptotic")
    return np.asarray(res.statistic, dtype=float), np.asarray(res.pvalue, dtype=float)


def top_report(side: SideReports) -> tuple[np.ndarray, np.ndarray]:
    """Per term (columns of ``side.counts``): the count of the side's top report and that
    report's tokens (0 and 0 for a term the side never uses); int64 arrays (n_terms,)."""
    c = side.counts.tocsc()
    c.sum_duplicates()
    n_terms = c.shape[1]
    top, size = np.zeros(n_terms, dtype=np.int64), np.zeros(n_terms, dtype=np.int64)
    if c.nnz:
        # per column, the largest count and, among equal ones, the first report (as argmax)
        col = np.repeat(np.arange(n_terms), np.diff(c.indptr))
        order = np.lexsort((c.indices, -c.data, col))
        first = order[np.r_[0, np.flatnonzero(np.diff(col[order])) + 1]]
        top[col[first]] = c.data[first]
        size[col[first]] = side.sizes[c.indices[first]]
        size[top <= 0] = 0
    return top, size


def top_share_limit(n_reports: int, max_top_share: float) -> float:
    """The largest top-report share a term of a side of ``n_reports`` may have and still not be
    "held mostly by one report".

    ``max_top_share`` when an even split across the side's reports lies below it (``1 / n <
    max_top_share``: 3 or more reports at the default 0.5). When it does not (2 reports at 0.5),
    a share of ``max_top_share`` would demand an exactly even or better split, so the rule becomes
    "not held by one report alone": any share below 1 (at least two reports use the term).
    """
    if n_reports >= 1 and 1.0 / n_reports >= max_top_share:
        return float(np.nextafter(1.0, 0.0))
    return float(max_top_share)
