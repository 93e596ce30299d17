"""Document-term matrices with their docvars, grouping by any docvar, and the one filter.

A :class:`Dtm` keeps three aligned parts, as quanteda's dfm does: the sparse count matrix
(documents x terms), the vocabulary and the docvars (one row per document). Every operation that
drops or merges rows or columns returns a new :class:`Dtm` with the three still aligned, and
:func:`trim` (the filter of both TF-IDF and the topic-model units) reports what it dropped and
why (:class:`Dropped`, as stm's ``prepDocuments``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from analysis.corpus.metadata import DOCVARS

Unit = Literal["paragraph", "section", "report"]
#: Columns that identify a unit of the token table (a paragraph lies in one section).
UNIT_KEYS: dict[str, tuple[str, ...]] = {
    "paragraph": ("doc_id", "paragraph", "section"),
    "section": ("doc_id", "section"),
    "report": ("doc_id",),
}
#: A number placeholder of the token table (``<num>``, ``<pct>``, ``<year>``).
PLACEHOLDER = re.compile(r"^<\w+>$")
#: Why :func:`trim` drops a term, in the order the checks apply (a term gets the first).
TERM_REASONS = ("placeholder", "listed", "min_count", "min_df", "max_df", "unused")


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

    def doc_freq(self) -> np.ndarray:
        """Documents each term occurs in, shape ``(n_terms,)``."""
        return np.asarray((self.counts > 0).sum(axis=0)).ravel()

    def subset(self, mask: np.ndarray | pd.Series) -> Dtm:
        """The documents where ``mask`` is true, docvars kept aligned."""
        mask = np.asarray(mask, dtype=bool)
        return Dtm(self.counts[mask], self.vocab, self.docvars[mask].reset_index(drop=True))


def is_placeholder(vocab: np.ndarray | Sequence[str]) -> np.ndarray:
    """True for each term that is a number placeholder (:data:`PLACEHOLDER`), shape ``(n,)``."""
    terms = np.asarray(vocab, dtype=str)
    out = np.char.startswith(terms, "<") & np.char.endswith(terms, ">")  # the few candidates
    at = np.flatnonzero(out)
    out[at] = [PLACEHOLDER.match(t) is not None for t in terms[at]]
    return out


def token_codes(token_lists: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vocabulary of ``token_lists`` (one list of str per row), sorted by code point, the
    vocabulary index of each token in row order (int64, one per token) and the number of tokens
    of each row; flattened and dictionary-encoded by Arrow, not token by token in Python."""
    lists = pa.array(token_lists, type=pa.list_(pa.string()))
    encoded = pc.list_flatten(lists).dictionary_encode()
    seen = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=str)
    order = np.argsort(seen, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
    return seen[order], codes, lengths.astype(np.int64)


def unit_rows(
    tokens: pd.DataFrame, unit: Unit, units: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The units of the token table and the unit row of each of its rows.

    Parameters
    ----------
    tokens : DataFrame
        The token table (or any table with the :data:`UNIT_KEYS` columns of ``unit``).
    unit : {"report", "section", "paragraph"}
    units : DataFrame, optional
        Units to look rows up in (e.g. the docvars of a trimmed :class:`Dtm`); default: every
        unit of ``tokens`` in order of first appearance.

    Returns
    -------
    keys : DataFrame
        The key columns of the units, one row per unit.
    row : int64 array (len(tokens),)
        Row of ``keys`` holding each token-table row; -1 where ``units`` lacks the unit.
    """
    if unit not in UNIT_KEYS:
        raise ValueError(f"unit must be one of {sorted(UNIT_KEYS)}, not {unit!r}")
    keys = list(UNIT_KEYS[unit])
    if units is None:
        units = tokens[keys].drop_duplicates()
    units = units[keys].reset_index(drop=True)
    lookup = units.assign(_row=np.arange(len(units)))
    row = tokens[keys].merge(lookup, on=keys, how="left")["_row"]
    return units, row.fillna(-1).to_numpy(dtype=np.int64)


def build_dtm(tokens: pd.DataFrame, *, unit: Unit = "report") -> Dtm:
    """Count tokens into a document-term matrix.

    Parameters
    ----------
    tokens : DataFrame
        The token table (``tokens/tokens.parquet``): one row per paragraph with ``doc_id``,
        ``paragraph``, ``section``, ``tokens`` (list of str) and the docvars.
    unit : {"report", "section", "paragraph"}
        What a document is (:data:`UNIT_KEYS`). Units keep the table's order of first
        appearance.

    Returns
    -------
    Dtm
        Vocabulary sorted by code point (deterministic); docvars hold the unit keys, the
        docvars of :data:`analysis.corpus.metadata.DOCVARS` (the first value of each unit)
        and ``n_paragraphs``.
    """
    order, row = unit_rows(tokens, unit)
    vocab, cols, lengths = token_codes(tokens["tokens"])
    rows = np.repeat(row, lengths)
    counts = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int64), (rows, cols)), shape=(len(order), len(vocab))
    )
    counts.sum_duplicates()
    docvar_cols = [c for c in DOCVARS if c in tokens.columns and c not in order.columns]
    first = tokens.groupby(row, sort=True).agg(
        **{c: (c, "first") for c in docvar_cols}, n_paragraphs=("paragraph", "size")
    )
    docvars = pd.concat([order, first.reset_index(drop=True)], axis=1)
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


@dataclass(frozen=True)
class Dropped:
    """What :func:`trim` removed and why (as stm's ``prepDocuments`` reports it).

    Attributes
    ----------
    units : DataFrame
        One row per dropped document, indexed by its row in the input :class:`Dtm`: its
        docvars, ``n_tokens`` (its tokens of the terms kept) and ``reason`` (``min_tokens``).
    terms : DataFrame
        One row per dropped term, indexed by its column in the input: ``term``, ``count``
        (total count), ``df`` (documents it occurs in) and ``reason``, one of
        :data:`TERM_REASONS` (the first check it fails).
    """

    units: pd.DataFrame
    terms: pd.DataFrame


def trim(
    dtm: Dtm,
    *,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    min_count: int = 1,
    drop_terms: Sequence[str] = (),
    drop_placeholders: bool = False,
    min_tokens: int = 0,
) -> tuple[Dtm, Dropped]:
    """Drop terms and then documents, keeping docvars aligned and saying what went and why.

    The one filter of the package: TF-IDF (``min_df``) and the topic-model units (gensim's
    ``no_below``/``no_above``, place names, placeholders, short units) both use it. In order:

    1. terms, each checked on the input: a number placeholder (``drop_placeholders``), a term
       of ``drop_terms`` (``listed``), total count below ``min_count``, in fewer than
       ``min_df`` or more than ``max_df`` documents; ``min_df``/``max_df`` are a number of
       documents (int) or a share of them (float), as in scikit-learn;
    2. documents left with fewer than ``min_tokens`` tokens of the kept terms (``min_tokens``);
    3. terms with no count left in the kept documents (``unused``).

    Returns
    -------
    Dtm
        The kept documents x kept terms (canonical CSR, docvars re-indexed 0..n-1).
    Dropped
        The dropped documents and terms with their reasons.
    """
    n_docs = dtm.shape[0]

    def bound(x: int | float) -> float:
        return x * n_docs if isinstance(x, float) else x

    df = dtm.doc_freq()
    total = dtm.term_totals()
    reason = np.full(len(dtm.vocab), "", dtype=object)
    checks = (
        (is_placeholder(dtm.vocab) if drop_placeholders else None, "placeholder"),
        (np.isin(dtm.vocab, list(drop_terms)) if len(drop_terms) else None, "listed"),
        (total < min_count, "min_count"),
        (df < bound(min_df), "min_df"),
        (df > bound(max_df), "max_df"),
    )
    for cond, why in checks:
        if cond is not None:
            reason[(reason == "") & cond] = why
    kept_terms = dtm.counts[:, reason == ""]
    n_tokens = np.asarray(kept_terms.sum(axis=1)).ravel()
    keep_doc = n_tokens >= min_tokens
    left = np.asarray(kept_terms[keep_doc].sum(axis=0)).ravel()
    reason[np.flatnonzero(reason == "")[left == 0]] = "unused"
    keep = reason == ""
    counts = dtm.counts[keep_doc][:, keep].tocsr()
    counts.sort_indices()
    units = dtm.docvars[~keep_doc].assign(n_tokens=n_tokens[~keep_doc], reason="min_tokens")
    terms = pd.DataFrame(
        {"term": dtm.vocab[~keep], "count": total[~keep], "df": df[~keep], "reason": reason[~keep]},
        index=np.flatnonzero(~keep),
    )
    trimmed = Dtm(counts, dtm.vocab[keep], dtm.docvars[keep_doc].reset_index(drop=True))
    return trimmed, Dropped(units=units, terms=terms)


def trim_dtm(
    dtm: Dtm,
    *,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    min_count: int = 1,
    drop_terms: Sequence[str] = (),
) -> tuple[Dtm, pd.DataFrame]:
    """:func:`trim` of terms only, returning the dropped terms as a table (``term, count, df,
    reason``); kept for callers of the earlier name."""
    trimmed, dropped = trim(
        dtm, min_df=min_df, max_df=max_df, min_count=min_count, drop_terms=drop_terms
    )
    return trimmed, dropped.terms.reset_index(drop=True)
