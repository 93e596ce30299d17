"""Topic-model units: the token table counted into a :class:`~analysis.measures.dtm.Dtm` of
units and trimmed by :func:`~analysis.measures.dtm.trim`, each step logged
(``topics/preprocessing.csv``) and every dropped unit and term listed with its reason; see
:mod:`analysis.topics`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import TopicsConfig
from analysis.corpus.metadata import DOCVARS
from analysis.measures.dtm import Dropped, Dtm, Unit, build_dtm, trim, unit_rows

__all__ = [
    "TopicCorpus",
    "build_corpus",
    "corpus_from_config",
    "gazetteer_names",
    "make_units",
    "place_names",
    "read_stoplist",
    "read_stoplist_groups",
    "topic_stoplist",
]


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


def read_stoplist_groups(path: Path) -> dict[str, str]:
    """Entries of a grouped one-per-line list -> their group: ``{term: group}``.

    A comment line ``# group: reason`` opens a group (as in ``stopwords/topic_discourse.txt``);
    entries before the first such line (or of a list without groups) get the file's name.
    """
    group = path.name
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#"):
            head = text.lstrip("#").strip()
            name, colon, _ = head.partition(":")
            if colon and name and len(name.split()) <= 3 and not name.startswith(("(", "[")):
                group = f"{path.name}: {name.strip()}"
            continue
        if entry := text.split("#", 1)[0].strip():
            out.setdefault(entry, group)
    return out


def gazetteer_names(path: Path) -> dict[str, str]:
    """Every name of the gazetteer (:func:`analysis.corpus.infer.load_gazetteer`) -> its row.

    Each place in full (宁夏回族自治区, 铜川市), its short name (宁夏, 铜川), its other names
    (坪山新区) and its parents (``province``, ``prefecture``), all levels.
    """
    from analysis.corpus.infer import load_gazetteer

    out: dict[str, str] = {}
    for full, place in load_gazetteer(path).items():
        for name in (full, place.short, *place.names(), place.province, place.prefecture):
            if name.strip():
                out.setdefault(name.strip(), full)
    return out


def place_names(config: TopicsConfig, root: Path) -> dict[str, str]:
    """The place names dropped from the topic input when ``drop_places``: ``{name: source}``,
    the source being ``gazetteer <full name>`` or the place list's file name."""
    if not config.drop_places:
        return {}
    out = {
        name: f"gazetteer {full}" for name, full in gazetteer_names(root / config.gazetteer).items()
    }
    for name in sorted(read_stoplist(root / config.places)):
        out.setdefault(name, Path(config.places).name)
    return out


def topic_stoplist(config: TopicsConfig, root: Path) -> dict[str, str]:
    """The terms of the ``stopwords`` lists -> their group (``file: group``)."""
    out: dict[str, str] = {}
    for path in config.stopwords:
        for term, group in read_stoplist_groups(root / path).items():
            out.setdefault(term, group)
    return out


def build_corpus(
    tokens: pd.DataFrame,
    *,
    unit: Unit = "paragraph",
    no_below: int = 5,
    no_above: float = 0.5,
    min_tokens: int = 5,
    drop_placeholders: bool = True,
    places: Mapping[str, str] | frozenset[str] = frozenset(),
    stopwords: Mapping[str, str] | frozenset[str] = frozenset(),
) -> TopicCorpus:
    """Units of the token table with the documented term and unit filters.

    The units (report and paragraph order) are counted by
    :func:`~analysis.measures.dtm.build_dtm` and trimmed by :func:`~analysis.measures.dtm.trim`
    with ``min_df = no_below``, ``max_df = no_above`` (a share of the units), ``drop_terms =
    places + stopwords``, ``drop_placeholders`` and ``min_tokens``. A dropped place has the
    reason ``place``, a stoplisted term ``stoplist`` (before the frequency bounds), and the
    ``source`` column of the dropped terms says where it was listed (its gazetteer row or list
    file, its stoplist group).

    Parameters
    ----------
    tokens : DataFrame
        The token cache (``doc_id, paragraph, section, tokens`` and docvars).
    unit, no_below, no_above, min_tokens, drop_placeholders
        As in :class:`~analysis.config.TopicsConfig`.
    places : mapping of str to str, or set of str
        Place names to drop -> where they are listed (:func:`place_names`).
    stopwords : mapping of str to str, or set of str
        Further terms to drop -> their stoplist group (:func:`topic_stoplist`).

    Returns
    -------
    TopicCorpus
    """
    ordered = _ordered(tokens)
    full = build_dtm(ordered, unit=unit)
    full = Dtm(full.counts, full.vocab, full.docvars.drop(columns="n_paragraphs"))
    places = dict(places) if isinstance(places, Mapping) else dict.fromkeys(places, "listed")
    stops = (
        dict(stopwords) if isinstance(stopwords, Mapping) else dict.fromkeys(stopwords, "listed")
    )
    trimmed, dropped = trim(
        full,
        min_df=int(no_below),
        max_df=float(no_above),
        drop_terms=sorted(places.keys() | stops.keys()),
        drop_placeholders=drop_placeholders,
        min_tokens=min_tokens,
    )
    dropped = _listed_reasons(dropped, places, stops)
    dtm = Dtm(trimmed.counts, trimmed.vocab, trimmed.docvars.assign(n_tokens=trimmed.doc_lengths()))
    steps = [(f"{unit} units", (), "token cache grouped into units")]
    if drop_placeholders:
        steps.append(("placeholders", ("placeholder",), "dropped <num>, <pct>, <year>"))
    if places:
        detail = f"dropped place names ({len(places)} listed: gazetteer names and place list)"
        steps.append(("place names", ("place",), detail))
    if stops:
        detail = f"dropped the topic stoplist ({len(stops)} listed: discourse words)"
        steps.append(("topic stoplist", ("stoplist",), detail))
    n = full.shape[0]
    detail = f"kept terms in >= {no_below} units and <= {no_above:g} of {n} units"
    steps += [
        ("document frequency", ("min_count", "min_df", "max_df"), detail),
        ("short units", ("min_tokens",), f"dropped units with < {min_tokens} tokens"),
        ("unused terms", ("unused",), "terms left only in dropped units removed"),
    ]
    log = _log(full, dropped, steps)
    return TopicCorpus(dtm, _token_ids(ordered, unit, dtm), log, dropped)


def _listed_reasons(dropped: Dropped, places: dict[str, str], stops: dict[str, str]) -> Dropped:
    """The dropped terms with reason ``listed`` split into ``place`` and ``stoplist`` (a name in
    both is a place), and a ``source`` column (where a listed term is listed; empty otherwise)."""
    terms = dropped.terms.copy()
    listed = terms["reason"] == "listed"
    is_place = listed & terms["term"].isin(list(places))
    terms.loc[is_place, "reason"] = "place"
    terms.loc[listed & ~is_place, "reason"] = "stoplist"
    source = [places.get(t) or stops.get(t, "") for t in terms["term"]]
    terms["source"] = np.where(listed, source, "")
    return Dropped(dropped.units, terms)


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
    """:func:`build_corpus` with the settings of ``config`` (paths relative to ``root``): the
    place names of :func:`place_names` and the terms of :func:`topic_stoplist` dropped."""
    return build_corpus(
        tokens,
        unit=config.unit,
        no_below=config.no_below,
        no_above=config.no_above,
        min_tokens=config.min_tokens,
        drop_placeholders=config.drop_placeholders,
        places=place_names(config, root),
        stopwords=topic_stoplist(config, root),
    )
