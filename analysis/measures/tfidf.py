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
