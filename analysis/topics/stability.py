"""Stability of topics across random starts: Hungarian alignment on topic-word similarity.

Several fits of the same model (same K, data and settings, different seeds) give topics in an
arbitrary order and, for weakly identified topics, with different content. Each fit is aligned to
a reference fit by the assignment that maximizes the summed cosine similarity of the matched
topic-word distributions (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``). A
topic's stability is the mean cosine similarity of its matches in the other fits; it is
``stable`` when that mean reaches a threshold (``TopicsConfig.stability_threshold``).

The reference is the medoid fit, the one whose aligned topics are on average the most similar to
those of the other fits (ties: the earliest), so that no single odd start defines the topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of ``a`` (K1 x V) and ``b`` (K2 x V), shape (K1, K2)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / na) @ (b / nb).T


def align_topics(reference: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match the topics of ``other`` to those of ``reference`` (both K x V).

    Returns
    -------
    perm : int array (K,)
        ``other[perm]`` is aligned with ``reference``: ``perm[k]`` is the topic of ``other``
        matched to reference topic ``k``.
    similarity : float array (K,)
        Cosine similarity of each matched pair.
    """
    sim = cosine_similarity(reference, other)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    perm = np.empty(len(rows), dtype=np.int64)
    perm[rows] = cols
    return perm, sim[np.arange(len(perm)), perm]


def choose_reference(runs: Sequence[np.ndarray]) -> int:
    """Index of the medoid fit: highest mean matched similarity to the other fits."""
    n = len(runs)
    if n == 1:
        return 0
    score = np.zeros(n)
    for i in range(n):
        for j in range(i + 1, n):
            s = align_topics(runs[i], runs[j])[1].mean()
            score[i] += s
            score[j] += s
    return int(np.argmax(score))


@dataclass(frozen=True)
class Stability:
    """Alignment of N fits to a reference fit.

    Attributes
    ----------
    reference : int
        Index of the reference fit.
    perms : list of int arrays (K,)
        ``runs[i][perms[i]]`` is fit ``i`` with topics in the reference order.
    similarity : float array (N, K)
        Cosine similarity of each fit's matched topic to the reference topic (1 for the
        reference itself).
    table : DataFrame
        One row per reference topic: ``topic``, ``stability`` (mean matched similarity over the
        other fits), ``min_similarity``, ``stable`` (stability >= threshold) and
        ``top_overlap`` (mean share of the reference topic's top ``top_n`` terms that are among
        the matched topic's top ``top_n``).
    """

    reference: int
    perms: list[np.ndarray]
    similarity: np.ndarray
    table: pd.DataFrame


def topic_stability(
    runs: Sequence[np.ndarray], *, threshold: float, reference: int | None = None, top_n: int = 10
) -> Stability:
    """Align fits of one model and score each topic's stability.

    Parameters
    ----------
    runs : sequence of N arrays (K, V)
        Topic-word distributions of N fits (rows sum to 1).
    threshold : float
        A topic is stable when its mean matched cosine similarity is at least this.
    reference : int, optional
        Reference fit; default: the medoid (:func:`choose_reference`).
    top_n : int
        Top terms compared for ``top_overlap``.

    Returns
    -------
    Stability
    """
    if len(runs) == 0:
        raise ValueError("no fits to compare")
    ref = choose_reference(runs) if reference is None else reference
    perms, sims = [], []
    for i, run in enumerate(runs):
        if i == ref:
            k = len(run)
            perms.append(np.arange(k))
            sims.append(np.ones(k))
            continue
        perm, sim = align_topics(runs[ref], run)
        perms.append(perm)
        sims.append(sim)
    similarity = np.vstack(sims)
    others = np.delete(similarity, ref, axis=0)
    if len(others) == 0:  # a single fit: nothing to compare, every topic trivially stable
        others = similarity
    stability = others.mean(axis=0)
    top = [
        np.argsort(-np.asarray(r)[p], axis=1, kind="stable")[:, :top_n]
        for r, p in zip(runs, perms, strict=True)
    ]
    overlap = [
        [len(np.intersect1d(top[ref][t], top[i][t])) / top_n for t in range(len(perms[ref]))]
        for i in range(len(runs))
        if i != ref or len(runs) == 1
    ]
    table = pd.DataFrame(
        {
            "topic": np.arange(similarity.shape[1]),
            "stability": stability,
            "min_similarity": others.min(axis=0),
            "stable": stability >= threshold,
            "top_overlap": np.mean(overlap, axis=0),
        }
    )
    return Stability(reference=ref, perms=perms, similarity=similarity, table=table)
