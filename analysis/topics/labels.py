"""Term scores and topic labels: FREX, LDAvis relevance, human labels from the config."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from scipy.stats import rankdata

from analysis.config import TopicsConfig
from analysis.topics.preprocessing import TopicCorpus


def frex(topic_term: np.ndarray, *, weight: float = 0.5) -> np.ndarray:
    """FREX score (K, V) in (0, 1]: weighted harmonic mean of the within-topic rank shares of
    exclusivity (weight ``weight``) and probability (stm ``calcfrex``)."""
    phi = np.asarray(topic_term)
    excl = phi / phi.sum(axis=0, keepdims=True)
    v = phi.shape[1]
    freq_score = rankdata(phi, axis=1) / v
    excl_score = rankdata(excl, axis=1) / v
    return 1.0 / (weight / excl_score + (1.0 - weight) / freq_score)


def relevance(topic_term: np.ndarray, term_share: np.ndarray, *, lam: float = 0.6) -> np.ndarray:
    """LDAvis relevance (K, V): ``lam log phi_kw + (1 - lam) log(phi_kw / p_w)``."""
    log_phi = np.log(np.asarray(topic_term))
    return lam * log_phi + (1.0 - lam) * (log_phi - np.log(term_share))


def relevance_top(
    topic_term: np.ndarray, corpus: TopicCorpus, config: TopicsConfig, n: int
) -> np.ndarray:
    """Ids (K, n) of each topic's top terms by LDAvis relevance (``relevance_lambda``)."""
    counts = corpus.dtm.term_totals()
    rel = relevance(topic_term, counts / counts.sum(), lam=config.relevance_lambda)
    return np.argsort(-rel, axis=1, kind="stable")[:, :n]


#: Top terms by relevance among which an automatic label's three terms are chosen.
LABEL_CANDIDATES = 10


def label_terms(
    top: Sequence[str],
    *,
    excluded: Collection[str] = frozenset(),
    preferred: Collection[str] = frozenset(),
    n: int = 3,
) -> list[str]:
    """The ``n`` terms of an automatic label, from a topic's top terms ``top`` (best first).

    Terms of ``excluded`` (place names, stoplisted words) never appear; the terms of
    ``preferred`` (policy phrases of the lexicon) come first, each group in the order of
    ``top``.
    """
    kept = [t for t in top if t not in excluded]
    return ([t for t in kept if t in preferred] + [t for t in kept if t not in preferred])[:n]


def topic_labels(
    top: Sequence[Sequence[str]],
    config: TopicsConfig,
    k: int,
    *,
    n_topics: int | None = None,
    excluded: Collection[str] = frozenset(),
    preferred: Collection[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """(label_zh, label_en) for each of ``n_topics`` topics (default ``k``): the config's labels
    when ``k == labels_k``, else three terms of ``top`` (zh; a topic's top terms by relevance)
    chosen by :func:`label_terms` and ``"Topic k"`` (en). Pass ``k = 0`` for automatic labels
    only."""
    human = {lab.topic: (lab.zh, lab.en) for lab in config.labels} if k == config.labels_k else {}
    zh, en = [], []
    for t in range(k if n_topics is None else n_topics):
        h_zh, h_en = human.get(t, ("", ""))
        auto = "/".join(label_terms(top[t], excluded=excluded, preferred=preferred))
        zh.append(h_zh or auto)
        en.append(h_en or f"Topic {t}")
    return zh, en
