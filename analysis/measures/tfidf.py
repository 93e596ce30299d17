"""TF-IDF: the most distinctive terms of each document or group (scikit-learn on our counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfTransformer

from analysis.measures.dtm import Dtm, trim


def tfidf_top_terms(
    dtm: Dtm,
    label: str,
    *,
    n: int = 20,
    min_df: int = 2,
    sublinear_tf: bool = True,
    drop_placeholders: bool = True,
) -> pd.DataFrame:
    """The ``n`` most distinctive terms of each document by TF-IDF.

    scikit-learn's ``TfidfTransformer`` runs on our token counts (never its own tokenizer) with
    ``smooth_idf=True``, ``norm="l2"`` and ``sublinear_tf`` (1 + log tf). Terms in fewer than
    ``min_df`` documents (one-off names, typos) and, with ``drop_placeholders``, the number
    placeholders such as ``<num>`` are dropped first (:func:`analysis.measures.dtm.trim`). Ties are broken by term (code point order), so the table is deterministic.

    Parameters
    ----------
    dtm : Dtm
        Documents are the groups to describe (reports, places, provinces, ...).
    label : str
        Docvar that names each document in the ``group`` column (e.g. ``doc_id``, ``place``).

    Returns
    -------
    DataFrame
        ``group, rank, term, score, count``, ranks 1..n per group.
    """
    trimmed, _ = trim(dtm, min_df=min_df, drop_placeholders=drop_placeholders)
    tfidf = TfidfTransformer(norm="l2", smooth_idf=True, sublinear_tf=sublinear_tf)
    weights = tfidf.fit_transform(trimmed.counts.astype(np.float64)).tocsr()
    counts = trimmed.counts
    rows = []
    for i, name in enumerate(trimmed.docvars[label].astype(str)):
        lo, hi = weights.indptr[i], weights.indptr[i + 1]
        cols, vals = weights.indices[lo:hi], weights.data[lo:hi]
        terms = trimmed.vocab[cols]
        order = np.lexsort((terms, -np.round(vals, 12)))[:n]
        row_counts = counts[i].toarray().ravel()
        for rank, j in enumerate(order, start=1):
            rows.append((name, rank, terms[j], float(vals[j]), int(row_counts[cols[j]])))
    return pd.DataFrame(rows, columns=["group", "rank", "term", "score", "count"])


#: Columns :func:`group_spread` appends to a TF-IDF table.
SPREAD_COLUMNS = ["group_reports", "reports", "top_share", "robust"]


def group_spread(
    top: pd.DataFrame, by_report: Dtm, label: str, *, max_top_share: float = 0.5
) -> pd.DataFrame:
    """``top`` (:func:`tfidf_top_terms`) with how each term spreads over the group's reports.

    Parameters
    ----------
    top : DataFrame
        ``group, rank, term, ...``, ``group`` a value of ``label``.
    by_report : Dtm
        One row per (group, report): the counts of each report of each group (for scope
        ``section`` a report's part in that section), with docvar ``label``.
    max_top_share : float
        ``[measures] keyness_max_top_share``.

    Appends :data:`SPREAD_COLUMNS`: ``group_reports`` (reports of the group), ``reports`` (of
    them, those using the term), ``top_share`` (share of the group's count of the term held by
    its top report) and ``robust``: true for every term of a one-report group (nothing to
    spread over), else when at least 2 reports use it and ``top_share`` is within
    :func:`analysis.measures.dispersion.top_share_limit` (so a 2-report group needs both).
    """
    from analysis.measures.dispersion import top_share_limit

    groups = by_report.docvars[label].astype(str).to_numpy()
    col = {t: i for i, t in enumerate(by_report.vocab)}
    n = len(top)
    group_reports = np.zeros(n, dtype=np.int64)
    reports = np.zeros(n, dtype=np.int64)
    top_share = np.full(n, np.nan)
    robust = np.zeros(n, dtype=bool)
    for g, idx in top.groupby(top["group"].astype(str), sort=False).indices.items():
        rows = np.flatnonzero(groups == g)
        cols = [col[t] for t in top["term"].iloc[idx]]
        sub = by_report.counts[rows][:, cols].toarray()
        total = sub.sum(axis=0)
        used = (sub > 0).sum(axis=0)
        share = np.where(total > 0, sub.max(axis=0) / np.maximum(total, 1), np.nan)
        k = len(rows)
        group_reports[idx] = k
        reports[idx] = used
        top_share[idx] = share
        if k <= 1:
            robust[idx] = True
        else:
            robust[idx] = (used >= 2) & (share <= top_share_limit(k, max_top_share))
    return top.assign(
        group_reports=group_reports, reports=reports, top_share=top_share, robust=robust
    )
