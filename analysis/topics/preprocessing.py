"""Topic-model units: the token table counted into a :class:`~analysis.measures.dtm.Dtm` of
units and trimmed by :func:`~analysis.measures.dtm.trim`, each step logged
(``topics/preprocessing.csv``) and every dropped unit and term listed with its reason; see
:mod:`analysis.topics`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import TopicsConfig
from analysis.corpus.metadata import DOCVARS
from analysis.measures.dtm import Dropped, Dtm, Unit, build_dtm, trim, unit_rows

__all__ = ["TopicCorpus", "build_corpus", "corpus_from_config", "make_units", "read_stoplist"]


@dataclass(frozen=True)
class TopicCorpus:
    """Units, vocabulary and counts the models are fit on.

    Attributes
    ----------
    dtm : Dtm, D units x V terms
        Term counts (``dtm.counts``, CSR), the vocabulary (``dtm.vocab``, sorted) and the units
        (``dtm.docvars``): unit ids (``doc_id`` and, by unit, ``paragraph`` and ``section``),
        the docvars and ``n_tokens`` (tokens kept).
    docs : list of D int arrays
        Token ids of each unit in text order (for coherence and held-out completion).
    log : DataFrame
        One row per preprocessing step: ``step``, ``units``, ``terms``, ``tokens`` (after the
        step) and ``detail``.
    dropped : Dropped
        The units and terms removed, each with its reason.
    """

    dtm: Dtm
    docs: list[np.ndarray]
    log: pd.DataFrame
    dropped: Dropped

    @property
    def vocab(self) -> np.ndarray:
        """Terms, sorted: ``dtm.vocab``."""
        return self.dtm.vocab

    @property
    def units(self) -> pd.DataFrame:
        """Unit ids, docvars and ``n_tokens``: ``dtm.docvars``."""
        return self.dtm.docvars


def _ordered(tokens: pd.DataFrame) -> pd.DataFrame:
    """The token table in report and paragraph order (units follow it)."""
    return tokens.sort_values(["doc_id", "paragraph"], kind="stable").reset_index(drop=True)


def make_units(tokens: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """Group the token table into units: id columns, docvars and ``tokens`` (list of str).

    Paragraphs keep their order; a section or report concatenates its paragraphs in order.
    """
    t = _ordered(tokens)
    keys, row = unit_rows(t, unit)
    grouped = t.groupby(row, sort=True)
    docvars = [c for c in DOCVARS if c in t.columns and c not in keys.columns]
    out = pd.concat([keys, grouped[docvars].first().reset_index(drop=True)], axis=1)
    out["tokens"] = grouped["tokens"].agg(lambda s: [w for ts in s for w in ts]).to_numpy()
    return out


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

    The units (report and paragraph order) are counted by
    :func:`~analysis.measures.dtm.build_dtm` and trimmed by :func:`~analysis.measures.dtm.trim`
    with ``min_df = no_below``, ``max_df = no_above`` (a share of the units), ``drop_terms =
    stopwords``, ``drop_placeholders`` and ``min_tokens``.

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
    ordered = _ordered(tokens)
    full = build_dtm(ordered, unit=unit)
    full = Dtm(full.counts, full.vocab, full.docvars.drop(columns="n_paragraphs"))
    trimmed, dropped = trim(
        full,
        min_df=int(no_below),
        max_df=float(no_above),
        drop_terms=sorted(stopwords),
        drop_placeholders=drop_placeholders,
        min_tokens=min_tokens,
    )
    dtm = Dtm(trimmed.counts, trimmed.vocab, trimmed.docvars.assign(n_tokens=trimmed.doc_lengths()))
    steps = [(f"{unit} units", (), "token cache grouped into units")]
    if drop_placeholders:
        steps.append(("placeholders", ("placeholder",), "dropped <num>, <pct>, <year>"))
    if stopwords:
        steps.append(("stopwords", ("listed",), f"dropped {len(stopwords)} listed terms (places)"))
    n = full.shape[0]
    detail = f"kept terms in >= {no_below} units and <= {no_above:g} of {n} units"
    steps += [
        ("document frequency", ("min_count", "min_df", "max_df"), detail),
        ("short units", ("min_tokens",), f"dropped units with < {min_tokens} tokens"),
        ("unused terms", ("unused",), "terms left only in dropped units removed"),
    ]
    log = _log(full, dropped, steps)
    return TopicCorpus(dtm, _token_ids(ordered, unit, dtm), log, dropped)


def _log(
    full: Dtm, dropped: Dropped, steps: list[tuple[str, tuple[str, ...], str]]
) -> pd.DataFrame:
    """Units, terms and tokens left after each step: a step removes the units and terms whose
    reason it names, on top of the earlier steps."""
    keep_unit = np.ones(full.shape[0], dtype=bool)
    keep_term = np.ones(full.shape[1], dtype=bool)
    rows = []
    for step, reasons, detail in steps:
        keep_term[dropped.terms.index[dropped.terms["reason"].isin(reasons)]] = False
        keep_unit[dropped.units.index[dropped.units["reason"].isin(reasons)]] = False
        left = full.counts[keep_unit][:, keep_term]
        rows.append(
            {
                "step": step,
                "units": int(keep_unit.sum()),
                "terms": int(np.count_nonzero(np.asarray(left.sum(axis=0)).ravel())),
                "tokens": int(left.sum()),
                "detail": detail,
            }
        )
    return pd.DataFrame(rows)


def _token_ids(ordered: pd.DataFrame, unit: Unit, dtm: Dtm) -> list[np.ndarray]:
    """Term ids (in ``dtm.vocab``) of each unit of ``dtm``, in text order, kept terms only."""
    _, row = unit_rows(ordered, unit, dtm.docvars)
    flat = pd.Index([t for toks in ordered["tokens"] for t in toks], dtype=object)
    rows = np.repeat(row, ordered["tokens"].map(len).to_numpy())
    ids = pd.Index(dtm.vocab.astype(object)).get_indexer(flat)
    kept = (rows >= 0) & (ids >= 0)
    ids = ids[kept][np.argsort(rows[kept], kind="stable")].astype(np.int64)
    if len(ids) != dtm.counts.sum():
        raise AssertionError("token ids do not match the unit counts")
    return list(np.split(ids, np.cumsum(dtm.doc_lengths())[:-1]))


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
