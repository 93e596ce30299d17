"""Keyness: which terms a target group uses more (or less) than a reference group.

For every term, the 2 x 2 table (term vs all other tokens, target vs reference) gives
Dunning's log-likelihood ``g2`` and Pearson's ``chi2`` (no continuity correction), each with a
p-value from the chi-square distribution with 1 degree of freedom; ``q`` is the
Benjamini-Hochberg adjusted p of ``g2`` over all terms of the table. The effect size is Hardie's
``log_ratio``: log2 of the ratio of relative frequencies, with 0.5 added to a zero count so that
terms absent from one side get a finite value. ``direction`` says which side uses the term
relatively more. Target and reference are docvar conditions (:mod:`analysis.conditions`:
parsed, never evaluated as code) on the docvars of the chosen unit (a report, or a paragraph when a condition names ``section``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.conditions import select
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


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same shape as ``p``."""
    return stats.false_discovery_control(np.asarray(p, dtype=float), method="bh")


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
    g2 = np.maximum(g2, 0.0)
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
    table = keyness_masks(dtm, t, r, drop_placeholders=drop_placeholders)
    table.attrs.update(n_target_docs=int(t.sum()), n_reference_docs=int(r.sum()))
    return table


def keyness_masks(
    dtm: Dtm, t: np.ndarray, r: np.ndarray, *, drop_placeholders: bool = True
) -> pd.DataFrame:
    """Keyness of the documents of mask ``t`` against those of mask ``r`` (both ``(n_docs,)``
    bool; :func:`keyness_counts` of their summed counts)."""
    keep = ~is_placeholder(dtm.vocab) if drop_placeholders else np.ones(dtm.shape[1], dtype=bool)
    counts = dtm.counts[:, keep]
    a = np.asarray(counts[t].sum(axis=0)).ravel()
    b = np.asarray(counts[r].sum(axis=0)).ravel()
    return keyness_counts(a, b, dtm.vocab[keep])


def one_vs_rest(dtm: Dtm, by: str, *, drop_placeholders: bool = True) -> dict[str, pd.DataFrame]:
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
        )
        for value in sorted(set(labels[has]))
    }
