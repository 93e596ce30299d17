"""Document-term matrices with their docvars, grouping by any docvar, TF-IDF distinctive terms.

A :class:`Dtm` keeps three aligned parts, as quanteda's dfm does: the sparse count matrix
(documents x terms), the vocabulary and the docvars (one row per document). Every operation that
drops or merges rows or columns returns a new :class:`Dtm` with the three still aligned, and
trimming reports what it dropped and why (as stm's ``prepDocuments``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.corpus.metadata import DOCVARS

Unit = Literal["paragraph", "section", "report"]
UNIT_KEYS: dict[str, list[str]] = {
    "paragraph": ["doc_id", "paragraph"],
    "section": ["doc_id", "section"],
    "report": ["doc_id"],
}


@dataclass(frozen=True)
class Dtm:
    """A document-term matrix with its vocabulary and docvars, aligned.

    Attributes
    ----------
    counts : csr_matrix, shape (n_docs, n_terms), int64
    vocab : ndarray of str, shape (n_terms,)
    docvars : DataFrame, n_docs rows (index 0..n_docs-1)
    """

    counts: sparse.csr_matrix
    vocab: np.ndarray
    docvars: pd.DataFrame

    def __post_init__(self) -> None:
        n_docs, n_terms = self.counts.shape
        if n_docs != len(self.docvars) or n_terms != len(self.vocab):
            raise ValueError(
                f"Dtm parts do not align: counts {self.counts.shape}, "
                f"{len(self.docvars)} docvar rows, {len(self.vocab)} terms"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_docs, n_terms)``."""
        return self.counts.shape

    def term_totals(self) -> np.ndarray:
        """Total count of each term, shape ``(n_terms,)``."""
        return np.asarray(self.counts.sum(axis=0)).ravel()

    def doc_lengths(self) -> np.ndarray:
        """Tokens per document, shape ``(n_docs,)``."""
        return np.asarray(self.counts.sum(axis=1)).ravel()

    def subset(self, mask: np.ndarray | pd.Series) -> Dtm:
        """The documents where ``mask`` is true, docvars kept aligned."""
        mask = np.asarray(mask, dtype=bool)
        return Dtm(self.counts[mask], self.vocab, self.docvars[mask].reset_index(drop=True))


def build_dtm(tokens: pd.DataFrame, *, unit: Unit = "report") -> Dtm:
    """Count tokens into a document-term matrix.

    Parameters
    ----------
    tokens : DataFrame
        The token table (``tokens/tokens.parquet``): one row per paragraph with ``doc_id``,
        ``paragraph``, ``section``, ``tokens`` (list of str) and the docvars.
    unit : {"report", "section", "paragraph"}
        What a document is. Sections keep the report's order of first appearance.

    Returns
    -------
    Dtm
        Vocabulary sorted by code point (deterministic); docvars hold the unit keys, the
        docvars of :data:`analysis.corpus.metadata.DOCVARS` and ``n_paragraphs``.
    """
    if unit not in UNIT_KEYS:
        raise ValueError(f"unit must be one of {sorted(UNIT_KEYS)}, not {unit!r}")
    keys = UNIT_KEYS[unit]
    order = tokens[keys].drop_duplicates().reset_index(drop=True)
    order["_row"] = np.arange(len(order))
    row = tokens[keys].merge(order, on=keys, how="left")["_row"].to_numpy()
    lengths = tokens["tokens"].map(len).to_numpy()
    flat = np.fromiter((t for toks in tokens["tokens"] for t in toks), dtype=object)
    vocab, cols = np.unique(flat.astype(str), return_inverse=True)
    rows = np.repeat(row, lengths)
    counts = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int64), (rows, cols)), shape=(len(order), len(vocab))
    )
    counts.sum_duplicates()
    extra = ["section"] if unit == "paragraph" else []
    docvar_cols = [c for c in [*DOCVARS, *extra] if c in tokens.columns and c not in keys]
    first = tokens.groupby(row, sort=True).agg(
        **{c: (c, "first") for c in docvar_cols}, n_paragraphs=("paragraph", "size")
    )
    docvars = pd.concat([order[keys], first.reset_index(drop=True)], axis=1)
    return Dtm(counts, vocab, docvars)


def group_dtm(dtm: Dtm, by: str | Sequence[str]) -> Dtm:
    """Sum documents into groups of one or more docvars (rows with a missing key are dropped).

    The grouped docvars hold the ``by`` columns, ``n_docs`` and the summed ``n_paragraphs``;
    groups are sorted by key.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in dtm.docvars.columns]
    if missing:
        raise KeyError(f"no docvar {missing}; available: {list(dtm.docvars.columns)}")
    keys = dtm.docvars[by].astype(object)
    valid = keys.notna().all(axis=1) & (keys != "").all(axis=1)
    groups = keys[valid].drop_duplicates().sort_values(by).reset_index(drop=True)
    groups["_g"] = np.arange(len(groups))
    g = keys.merge(groups, on=by, how="left")["_g"].to_numpy(dtype=float)
    rows = np.flatnonzero(valid.to_numpy())
    indicator = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (g[rows].astype(np.int64), rows)),
        shape=(len(groups), dtm.shape[0]),
    )
    docvars = groups[by].copy()
    docvars["n_docs"] = np.asarray(indicator.sum(axis=1)).ravel()
    if "n_paragraphs" in dtm.docvars:
        docvars["n_paragraphs"] = indicator @ dtm.docvars["n_paragraphs"].to_numpy()
    return Dtm((indicator @ dtm.counts).tocsr(), dtm.vocab, docvars)


def trim_dtm(
    dtm: Dtm,
    *,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    min_count: int = 1,
    drop_terms: Sequence[str] = (),
) -> tuple[Dtm, pd.DataFrame]:
    """Drop terms by document frequency and total count, reporting each dropped term.

    ``min_df``/``max_df`` are a number of documents (int) or a share of documents (float), as in
    scikit-learn. Returns the trimmed :class:`Dtm` and a table ``term, count, df, reason``
    (reason one of ``min_df``, ``max_df``, ``min_count``, ``listed``).
    """
    n_docs = dtm.shape[0]

    def bound(x: int | float) -> float:
        return x * n_docs if isinstance(x, float) else x

    df = np.asarray((dtm.counts > 0).sum(axis=0)).ravel()
    total = dtm.term_totals()
    listed = np.isin(dtm.vocab, list(drop_terms))
    reason = np.full(len(dtm.vocab), "", dtype=object)
    for cond, why in (
        (listed, "listed"),
        (total < min_count, "min_count"),
        (df < bound(min_df), "min_df"),
        (df > bound(max_df), "max_df"),
    ):
        reason[(reason == "") & cond] = why
    keep = reason == ""
    dropped = pd.DataFrame(
        {"term": dtm.vocab[~keep], "count": total[~keep], "df": df[~keep], "reason": reason[~keep]}
    )
    return Dtm(dtm.counts[:, keep], dtm.vocab[keep], dtm.docvars), dropped
