"""Topic-model units: the token table grouped into units, with the documented term and unit
filters, each step logged (``topics/preprocessing.csv``); see :mod:`analysis.topics`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.config import TopicsConfig

Unit = Literal["paragraph", "section", "report"]


DOCVARS = ("place", "level", "province", "prefecture", "region", "year", "doc_type")


UNIT_KEYS: dict[str, tuple[str, ...]] = {
    "paragraph": ("doc_id", "paragraph", "section"),
    "section": ("doc_id", "section"),
    "report": ("doc_id",),
}


PLACEHOLDER = re.compile(r"^<\w+>$")


@dataclass(frozen=True)
class TopicCorpus:
    """Units, vocabulary and counts the models are fit on.

    Attributes
    ----------
    units : DataFrame, D rows
        Unit ids (``doc_id`` and, by unit, ``paragraph`` and ``section``), the docvars and
        ``n_tokens`` (tokens kept).
    vocab : str array (V,)
        Terms, sorted.
    docs : list of D int arrays
        Token ids of each unit in text order.
    dtm : csr_matrix (D, V)
        Term counts.
    log : DataFrame
        One row per preprocessing step: ``step``, ``units``, ``terms``, ``tokens`` (after the
        step) and ``detail``.
    """

    units: pd.DataFrame
    vocab: np.ndarray
    docs: list[np.ndarray]
    dtm: sparse.csr_matrix
    log: pd.DataFrame


def make_units(tokens: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """Group the token table into units: id columns, docvars and ``tokens`` (list of str).

    Paragraphs keep their order; a section or report concatenates its paragraphs in order.
    """
    if unit not in UNIT_KEYS:
        raise ValueError(f"unit must be one of {sorted(UNIT_KEYS)}, got {unit!r}")
    keys = list(UNIT_KEYS[unit])
    docvars = [c for c in DOCVARS if c in tokens.columns]
    t = tokens.sort_values(["doc_id", "paragraph"], kind="stable").reset_index(drop=True)
    if unit == "paragraph":
        return t[[*keys, *docvars, "tokens"]].reset_index(drop=True)
    grouped = t.groupby(keys, sort=False)
    out = grouped[docvars].first().reset_index()
    out["tokens"] = grouped["tokens"].agg(lambda s: [w for ts in s for w in ts]).to_numpy()
    return out[[*keys, *docvars, "tokens"]]


def read_stoplist(path: Path) -> frozenset[str]:
    """Entries of a one-per-line list, ``#`` comments and blank lines ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(s for line in lines if (s := line.split("#", 1)[0].strip()))


def build_corpus(
    tokens: pd.DataFrame,
    *,
    unit: Unit = "paragraph",
    no_below: int = 5,
    no_above: float = 0.5,
    min_tokens: int = 5,
    drop_placeholders: bool = True,
    stopwords: frozenset[str] = frozenset(),
) -> TopicCorpus:
    """Units of the token table with the documented term and unit filters.

    Parameters
    ----------
    tokens : DataFrame
        The token cache (``doc_id, paragraph, section, tokens`` and docvars).
    unit, no_below, no_above, min_tokens, drop_placeholders
        As in :class:`~analysis.config.TopicsConfig`.
    stopwords : frozenset of str
        Further terms to drop (the place names when ``drop_places``).

    Returns
    -------
    TopicCorpus
    """
    units = make_units(tokens, unit)
    lengths = units["tokens"].map(len).to_numpy()
    # every token as an integer code of its term (terms sorted, so codes order like terms)
    codes, terms = pd.factorize(
        pd.Series([w for ts in units["tokens"] for w in ts], dtype=object), sort=True
    )
    terms = np.asarray(terms, dtype=str)
    unit_of = np.repeat(np.arange(len(units)), lengths)
    log: list[dict[str, Any]] = []

    def record(step: str, keep_tok: np.ndarray, keep_unit: np.ndarray, detail: str) -> None:
        ok = keep_tok & keep_unit[unit_of]
        log.append(
            {
                "step": step,
                "units": int(keep_unit.sum()),
                "terms": int(np.count_nonzero(np.bincount(codes[ok], minlength=len(terms)))),
                "tokens": int(ok.sum()),
                "detail": detail,
            }
        )

    keep_unit = np.ones(len(units), dtype=bool)
    keep_term = np.ones(len(terms), dtype=bool)
    record(f"{unit} units", keep_term[codes], keep_unit, "token cache grouped into units")
    if drop_placeholders:
        keep_term &= ~np.array([bool(PLACEHOLDER.match(t)) for t in terms], dtype=bool)
        record("placeholders", keep_term[codes], keep_unit, "dropped <num>, <pct>, <year>")
    if stopwords:
        keep_term &= ~np.isin(terms, np.array(sorted(stopwords), dtype=str))
        detail = f"dropped {len(stopwords)} listed terms (places)"
        record("stopwords", keep_term[codes], keep_unit, detail)
    pairs = np.unique(unit_of.astype(np.int64) * len(terms) + codes)
    df = np.bincount(pairs % max(len(terms), 1), minlength=len(terms))
    keep_term &= (df >= no_below) & (df <= no_above * len(units))
    detail = f"kept terms in >= {no_below} units and <= {no_above:g} of {len(units)} units"
    record("document frequency", keep_term[codes], keep_unit, detail)
    keep = keep_term[codes]
    keep_unit = np.bincount(unit_of[keep], minlength=len(units)) >= min_tokens
    record("short units", keep, keep_unit, f"dropped units with < {min_tokens} tokens")
    keep &= keep_unit[unit_of]
    record("unused terms", keep, keep_unit, "terms left only in dropped units removed")
    used, ids = np.unique(codes[keep], return_inverse=True)
    vocab = terms[used]

    rows = np.searchsorted(np.flatnonzero(keep_unit), unit_of[keep])
    n_units = int(keep_unit.sum())
    lengths = np.bincount(rows, minlength=n_units)
    docs = np.split(ids.astype(np.int64), np.cumsum(lengths)[:-1])
    dtm = sparse.csr_matrix(
        (np.ones(len(ids), dtype=np.int64), (rows, ids)), shape=(n_units, len(vocab))
    )
    dtm.sum_duplicates()
    kept_units = units.loc[keep_unit].drop(columns="tokens").reset_index(drop=True)
    kept_units["n_tokens"] = lengths
    return TopicCorpus(kept_units, vocab, list(docs), dtm, pd.DataFrame(log))


def corpus_from_config(tokens: pd.DataFrame, config: TopicsConfig, root: Path) -> TopicCorpus:
    """:func:`build_corpus` with the settings of ``config`` (paths relative to ``root``)."""
    places = read_stoplist(root / config.places) if config.drop_places else frozenset()
    return build_corpus(
        tokens,
        unit=config.unit,
        no_below=config.no_below,
        no_above=config.no_above,
        min_tokens=config.min_tokens,
        drop_placeholders=config.drop_placeholders,
        stopwords=places,
    )
