"""Keyness: which terms a target group uses more (or less) than a reference group.

For every term, the 2 x 2 table (term vs all other tokens, target vs reference) gives
Dunning's log-likelihood ``g2`` and Pearson's ``chi2`` (no continuity correction), each with a
p-value from the chi-square distribution with 1 degree of freedom; ``q`` is the
Benjamini-Hochberg adjusted p of ``g2`` over all terms of the table. The effect size is Hardie's
``log_ratio``: log2 of the ratio of relative frequencies, with 0.5 added to a zero count so that
terms absent from one side get a finite value. ``direction`` says which side uses the term
relatively more. Target and reference are docvar conditions (:mod:`analysis.conditions`:
parsed, never evaluated as code) on the docvars of the chosen unit (a report, or a paragraph when a condition names ``section``).

Pooled counts make q small for a term concentrated in one report, so every table also says how
the term spreads over each side's reports (:data:`DISPERSION_COLUMNS`: reports using it, Gries'
DP, the share of the top report, mean per-report rate), tests the per-report rates (Mann-Whitney
rank-sum, its own BH ``q_reports``), tests the term again without the top report of its side
(``q_without_top``) and flags as ``robust`` the terms that both tests call key and that no single
report holds (:func:`add_dispersion`, :mod:`analysis.measures.dispersion`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from analysis.conditions import select
from analysis.measures.dispersion import (
    rank_test,
    side_reports,
    side_stats,
    top_report,
    top_share_limit,
)
from analysis.measures.dtm import Dtm, is_placeholder

KEYNESS_COLUMNS = [
    "term",
    "target_count",
    "reference_count",
    "target_total",
    "reference_total",
    "g2",
    "chi2",
    "p",
    "p_chi2",
    "q",
    "log_ratio",
    "direction",
]
#: Columns appended after :data:`KEYNESS_COLUMNS`: dispersion over each side's reports, the
#: report-level test and the verdict (:func:`add_dispersion`, :mod:`analysis.measures.dispersion`).
DISPERSION_COLUMNS = [
    "target_reports",
    "reference_reports",
    "target_report_share",
    "reference_report_share",
    "target_dp",
    "reference_dp",
    "target_top_share",
    "reference_top_share",
    "target_mean_rate",
    "reference_mean_rate",
    "u_reports",
    "p_reports",
    "q_reports",
    "p_without_top",
    "q_without_top",
    "robust",
]
#: What each column of a keyness table holds (README, ``tables/keyness/<id>.csv``).
COLUMN_DOCS = {
    "term": "the term (a token of the token table)",
    "target_count": "its count in the target (all target documents pooled)",
    "reference_count": "its count in the reference",
    "target_total": "tokens of the target (placeholders left out)",
    "reference_total": "tokens of the reference",
    "g2": "Dunning's log-likelihood G2 of the pooled 2 x 2 table",
    "chi2": "Pearson's chi2 of the same table (no continuity correction)",
    "p": "p of g2 (chi-square, 1 df)",
    "p_chi2": "p of chi2",
    "q": "Benjamini-Hochberg q of p over all terms of the table",
    "log_ratio": "Hardie's log ratio: log2 of the ratio of relative frequencies (0.5 for a zero)",
    "direction": "the side that uses the term relatively more (target | reference)",
    "target_reports": "target reports that use the term (a report's target part for paragraphs)",
    "reference_reports": "reference reports that use the term",
    "target_report_share": "target_reports / the target's reports",
    "reference_report_share": "reference_reports / the reference's reports",
    "target_dp": "Gries' DP over the target's reports (sizes in tokens); missing if unused",
    "reference_dp": "Gries' DP over the reference's reports",
    "target_top_share": "share of target_count held by the target report using it most",
    "reference_top_share": "share of reference_count held by the top reference report",
    "target_mean_rate": "mean over the target's reports of the rate per 10,000 tokens",
    "reference_mean_rate": "mean over the reference's reports of the rate per 10,000 tokens",
    "u_reports": "Mann-Whitney U of the target's per-report rates against the reference's "
    "(computed for the terms with q < keyness_q)",
    "p_reports": "two-sided p of u_reports (normal approximation, tie-corrected; missing when a "
    "side has one report)",
    "q_reports": "Benjamini-Hochberg q of p_reports over the terms with q < keyness_q",
    "p_without_top": "p of the pooled G2 with the top report of the side the term is key for "
    "left out (its count and tokens); 1 when the term no longer leans that way",
    "q_without_top": "Benjamini-Hochberg q of p_without_top over the terms with q < keyness_q",
    "robust": "q and q_reports < keyness_q, u_reports agrees with direction, and no single "
    "report holds it: its side's top report holds at most keyness_max_top_share of its count, "
    "or q_without_top < keyness_q",
}


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same shape as ``p``."""
    return stats.false_discovery_control(np.asarray(p, dtype=float), method="bh")


def g2_chi2(
    a: np.ndarray, b: np.ndarray, n1: np.ndarray | float, n2: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Dunning's G2 (clipped at 0) and Pearson's chi2 of the 2 x 2 tables of term counts ``a``,
    ``b`` in groups of ``n1``, ``n2`` tokens (arrays, elementwise; no continuity correction)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n = n1 + n2
    # observed table [[a, b], [c, d]] with c, d the other tokens of each group
    c, d = n1 - a, n2 - b
    row1, row2 = a + b, c + d
    expected = [row1 * n1 / n, row1 * n2 / n, row2 * n1 / n, row2 * n2 / n]
    observed = [a, b, c, d]
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * sum(
            np.where(o > 0, o * np.log(o / e), 0.0) for o, e in zip(observed, expected, strict=True)
        )
        chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return np.maximum(g2, 0.0), chi2


def keyness_counts(
    target: np.ndarray, reference: np.ndarray, vocab: Sequence[str] | np.ndarray
) -> pd.DataFrame:
    """Keyness statistics from term counts of the two groups.

    Parameters
    ----------
    target, reference : arrays of int, shape (n_terms,)
        Term counts in the target and the reference group.
    vocab : sequence of str, shape (n_terms,)

    Returns
    -------
    DataFrame
        :data:`KEYNESS_COLUMNS`, terms with zero count in both groups dropped, sorted by
        ``direction`` (target first) then ``g2`` descending, then term.
    """
    a = np.asarray(target, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    keep = (a + b) > 0
    a, b, vocab = a[keep], b[keep], np.asarray(vocab)[keep]
    n1, n2 = a.sum(), b.sum()
    if n1 == 0 or n2 == 0:
        raise ValueError(f"empty group: target has {n1:.0f} tokens, reference {n2:.0f}")
    g2, chi2 = g2_chi2(a, b, n1, n2)
    p = stats.chi2.sf(g2, df=1)
    log_ratio = np.log2((np.where(a > 0, a, 0.5) / n1) / (np.where(b > 0, b, 0.5) / n2))
    out = pd.DataFrame(
        {
            "term": vocab.astype(str),
            "target_count": a.astype(np.int64),
            "reference_count": b.astype(np.int64),
            "target_total": np.int64(n1),
            "reference_total": np.int64(n2),
            "g2": g2,
            "chi2": chi2,
            "p": p,
            "p_chi2": stats.chi2.sf(chi2, df=1),
            "q": bh_adjust(p),
            "log_ratio": log_ratio,
            "direction": np.where(a / n1 >= b / n2, "target", "reference"),
        }
    )
    out["_d"] = out["direction"] != "target"
    out = out.sort_values(["_d", "g2", "term"], ascending=[True, False, True], kind="stable")
    return out.drop(columns="_d").reset_index(drop=True)


def keyness(
    dtm: Dtm,
    target: str,
    reference: str,
    *,
    drop_placeholders: bool = True,
    q_level: float = 0.05,
    max_top_share: float = 0.5,
) -> pd.DataFrame:
    """Keyness of the documents matching ``target`` against those matching ``reference``.

    Parameters
    ----------
    dtm : Dtm
        Counts at the unit the conditions refer to (reports, or paragraphs for ``section``).
    target, reference : str
        docvar conditions (:mod:`analysis.conditions`) over ``dtm.docvars``, e.g. ``"province == '浙江省'"``; the
        reference may be ``"rest"`` for every document outside the target.
    drop_placeholders : bool
        Leave out the number placeholders ``<num>``, ``<pct>``, ``<year>``
        (:func:`analysis.measures.dtm.is_placeholder`).
    q_level, max_top_share : float
        The ``robust`` rule (:func:`add_dispersion`).

    The numbers of documents on each side are in ``attrs["n_target_docs"]`` and
    ``attrs["n_reference_docs"]``. Raises ``ValueError`` when a condition matches no document or
    both match the same one.
    """
    t = select(dtm.docvars, target)
    r = ~t if reference.strip() == "rest" else select(dtm.docvars, reference)
    for name, cond, mask in (("target", target, t), ("reference", reference, r)):
        if not mask.any():
            raise ValueError(f"{name} condition {cond!r} matches no document")
    both = int((t & r).sum())
    if both:
        raise ValueError(f"target and reference share {both} documents; make them disjoint")
    table = keyness_masks(
        dtm, t, r, drop_placeholders=drop_placeholders, q_level=q_level, max_top_share=max_top_share
    )
    table.attrs.update(n_target_docs=int(t.sum()), n_reference_docs=int(r.sum()))
    return table


def keyness_masks(
    dtm: Dtm,
    t: np.ndarray,
    r: np.ndarray,
    *,
    drop_placeholders: bool = True,
    q_level: float = 0.05,
    max_top_share: float = 0.5,
) -> pd.DataFrame:
    """Keyness of the documents of mask ``t`` against those of mask ``r`` (both ``(n_docs,)``
    bool): :func:`keyness_counts` of their summed counts, then :func:`add_dispersion` over
    the reports of each side (``doc_id`` of ``dtm.docvars``; each row is a report when the
    docvars have none)."""
    keep = ~is_placeholder(dtm.vocab) if drop_placeholders else np.ones(dtm.shape[1], dtype=bool)
    counts = dtm.counts[:, keep].tocsr()
    a = np.asarray(counts[t].sum(axis=0)).ravel()
    b = np.asarray(counts[r].sum(axis=0)).ravel()
    table = keyness_counts(a, b, dtm.vocab[keep])
    if "doc_id" in dtm.docvars:
        doc_ids = dtm.docvars["doc_id"].astype(str).to_numpy()
    else:
        doc_ids = np.arange(dtm.shape[0]).astype(str)
    return add_dispersion(
        table,
        counts,
        dtm.vocab[keep],
        doc_ids,
        t,
        r,
        q_level=q_level,
        max_top_share=max_top_share,
    )


def add_dispersion(
    table: pd.DataFrame,
    counts: sparse.csr_matrix,
    vocab: np.ndarray,
    doc_ids: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    *,
    q_level: float = 0.05,
    max_top_share: float = 0.5,
) -> pd.DataFrame:
    """``table`` (:func:`keyness_counts` of the same counts) with :data:`DISPERSION_COLUMNS`
    appended, rows in the same order.

    Parameters
    ----------
    counts : csr_matrix, shape (n_units, n_terms)
        The counts the table was made from (units are reports or paragraphs).
    vocab : array of str, shape (n_terms,)
    doc_ids : array of str, shape (n_units,)
        The report of each unit; a side's units are summed per report
        (:func:`analysis.measures.dispersion.side_reports`).
    t, r : bool arrays, shape (n_units,)
        The target and reference units.
    q_level : float
        The level of both tests (``[measures] keyness_q``).
    max_top_share : float
        A term whose side's top report holds at most this share of its count is spread
        (``[measures] keyness_max_top_share``; on a side of 2 reports "not held by one report
        alone", :func:`analysis.measures.dispersion.top_share_limit`); one whose top report
        holds more is spread only if it stays key without that report (``q_without_top``).

    ``q_reports`` is the Benjamini-Hochberg q of ``p_reports`` over the terms that pass the
    pooled screen (``q < q_level``): the report-level test is a check on the terms pooled G2
    calls key, not a second search of the whole vocabulary (thousands of terms used by one or
    two reports, untestable with 7 reports, would only dilute it); it is missing for the other
    terms and wherever a side has one report; ``q_without_top`` likewise. ``robust`` is true
    where ``q < q_level``, ``q_reports < q_level``, ``u_reports`` lies on the side of
    ``direction`` and the term is not held mostly by one report (see ``max_top_share``); it is
    never true when a side has one report. Column meanings: :data:`COLUMN_DOCS`.
    """
    sides = {
        "target": side_reports(counts, doc_ids, t),
        "reference": side_reports(counts, doc_ids, r),
    }
    stat = {name: side_stats(side) for name, side in sides.items()}
    tgt, ref = stat["target"], stat["reference"]
    n1, n2 = sides["target"].n, sides["reference"].n
    # the table's terms are a subset of vocab, reordered: take each column at their positions
    pos = pd.Index(np.asarray(vocab).astype(str)).get_indexer(table["term"].astype(str))
    columns = {
        "target_reports": tgt["reports"],
        "reference_reports": ref["reports"],
        "target_report_share": tgt["report_share"],
        "reference_report_share": ref["report_share"],
        "target_dp": tgt["dp"],
        "reference_dp": ref["dp"],
        "target_top_share": tgt["top_share"],
        "reference_top_share": ref["top_share"],
        "target_mean_rate": tgt["mean_rate"],
        "reference_mean_rate": ref["mean_rate"],
    }
    out = table.copy()
    for name, values in columns.items():
        out[name] = np.asarray(values)[pos]
    is_target = (out["direction"] == "target").to_numpy()
    screened = (out["q"] < q_level).to_numpy() & (n1 >= 2) & (n2 >= 2)
    u, p_rank = rank_test(sides["target"], sides["reference"], pos[screened])
    p_reports, q_reports = np.full(len(out), np.nan), np.full(len(out), np.nan)
    u_reports = np.full(len(out), np.nan)
    u_reports[screened], p_reports[screened] = u, p_rank
    # leave out the top report of the side the term is key for: is it still key?
    top_t, size_t = (np.asarray(x)[pos] for x in top_report(sides["target"]))
    top_r, size_r = (np.asarray(x)[pos] for x in top_report(sides["reference"]))
    a = out["target_count"].to_numpy(np.float64) - np.where(is_target, top_t, 0)
    b = out["reference_count"].to_numpy(np.float64) - np.where(is_target, 0, top_r)
    m1 = out["target_total"].to_numpy(np.float64) - np.where(is_target, size_t, 0)
    m2 = out["reference_total"].to_numpy(np.float64) - np.where(is_target, 0, size_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        leans = np.where(is_target, a / m1 > b / m2, b / m2 > a / m1) & (m1 > 0) & (m2 > 0)
        p_drop = np.where(leans, stats.chi2.sf(g2_chi2(a, b, m1, m2)[0], df=1), 1.0)
    p_without_top, q_without_top = np.full(len(out), np.nan), np.full(len(out), np.nan)
    p_without_top[screened] = p_drop[screened]
    if screened.any():
        q_reports[screened] = bh_adjust(p_rank)
        q_without_top[screened] = bh_adjust(p_drop[screened])
    out["u_reports"], out["p_reports"], out["q_reports"] = u_reports, p_reports, q_reports
    out["p_without_top"], out["q_without_top"] = p_without_top, q_without_top
    top = np.where(is_target, out["target_top_share"], out["reference_top_share"])
    limit = np.where(
        is_target, top_share_limit(n1, max_top_share), top_share_limit(n2, max_top_share)
    )
    # U above its null mean n1 * n2 / 2: the target's reports rank higher
    agree = np.where(is_target, u_reports > n1 * n2 / 2, u_reports < n1 * n2 / 2)
    with np.errstate(invalid="ignore"):
        spread = (np.nan_to_num(top, nan=1.0) <= limit) | (q_without_top < q_level)
        out["robust"] = screened & (q_reports < q_level) & agree & spread
    out.attrs.update(n_target_reports=n1, n_reference_reports=n2)
    return out[KEYNESS_COLUMNS + DISPERSION_COLUMNS]


def one_vs_rest(
    dtm: Dtm,
    by: str,
    *,
    drop_placeholders: bool = True,
    q_level: float = 0.05,
    max_top_share: float = 0.5,
) -> dict[str, pd.DataFrame]:
    """Keyness of each value of docvar ``by`` against all other documents with a value.

    Documents with a missing or empty ``by`` are left out of both sides. Returns value -> table.
    """
    values = dtm.docvars[by].astype(object)
    has = (values.notna() & (values != "")).to_numpy()
    labels = values.astype(str).to_numpy()
    return {
        value: keyness_masks(
            dtm,
            has & (labels == value),
            has & (labels != value),
            drop_placeholders=drop_placeholders,
            q_level=q_level,
            max_top_share=max_top_share,
        )
        for value in sorted(set(labels[has]))
    }
