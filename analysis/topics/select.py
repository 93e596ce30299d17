"""Model selection: per-fit metrics (coherence, perplexity, diversity, exclusivity) and the rule
that picks K; see :mod:`analysis.topics`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.progress import progress
from analysis.topics.coherence import MEASURES, coherence_many
from analysis.topics.fit import LdaFit, completion_split, heldout_perplexity
from analysis.topics.preprocessing import TopicCorpus

DIVERSITY_TOP_N = 25


def top_terms(topic_term: np.ndarray, n: int) -> np.ndarray:
    """Ids of each topic's ``n`` most probable terms, most probable first (ties: lower id)."""
    return np.argsort(-np.asarray(topic_term), axis=1, kind="stable")[:, :n]


def topic_diversity(topic_term: np.ndarray, *, top_n: int = DIVERSITY_TOP_N) -> float:
    """Share of distinct terms among the top ``top_n`` terms of all topics (Dieng et al. 2020)."""
    top = top_terms(topic_term, top_n)
    return len(np.unique(top)) / top.size


def exclusivity(topic_term: np.ndarray, *, top_n: int = 10) -> float:
    """Mean over topics and their top terms of ``phi_kw / sum_j phi_jw``."""
    phi = np.asarray(topic_term)
    share = phi / phi.sum(axis=0, keepdims=True)
    top = top_terms(phi, top_n)
    return float(np.take_along_axis(share, top, axis=1).mean())


def score_fits(
    fits: Sequence[LdaFit],
    corpus: TopicCorpus,
    heldout: np.ndarray,
    *,
    top_n: int = 10,
) -> pd.DataFrame:
    """Model-selection table: one row per fit, sorted by ``k`` and ``seed``.

    Columns ``k, seed, c_v, c_npmi, u_mass, perplexity, diversity, exclusivity, fit_seconds,
    random_state``. Coherence uses the tokens of all units; perplexity the held-out units.
    """
    fits = sorted(fits, key=lambda f: (f.k, f.seed))
    scores = coherence_many(corpus.docs, [top_terms(f.topic_term, top_n) for f in fits])
    fold, score = completion_split(
        [corpus.docs[i] for i in np.flatnonzero(heldout)], len(corpus.vocab)
    )
    rows = []
    for fit, coh in progress(zip(fits, scores, strict=True), desc="scoring fits", total=len(fits)):
        rows.append(
            {
                "k": fit.k,
                "seed": fit.seed,
                **{m: float(coh[m].mean()) for m in MEASURES},
                "perplexity": heldout_perplexity(fold, score, fit.topic_term, fit.alpha)
                if heldout.any()
                else np.nan,
                "diversity": topic_diversity(fit.topic_term),
                "exclusivity": exclusivity(fit.topic_term, top_n=top_n),
                "fit_seconds": round(fit.seconds, 2),
                "random_state": fit.random_state,
            }
        )
    return pd.DataFrame(rows)


def select_k(
    table: pd.DataFrame,
    *,
    metric: str = "c_npmi",
    rule: Literal["one_se", "best"] = "one_se",
) -> tuple[int, pd.DataFrame]:
    """K chosen by ``rule`` from the model-selection table (see the module docstring).

    ``u_mass`` and every other metric are taken as higher-is-better except ``perplexity``.
    Values that are not finite (NaN, e.g. perplexity without held-out units, or inf) are left
    out: a K's mean and standard error are over its finite seeds only, and a K with no finite
    value is skipped, with the reason in the summary.

    Returns
    -------
    k : int
    summary : DataFrame
        Per K (every K of ``table``, sorted): ``k``, ``mean``, ``se`` (sd over the finite seeds /
        sqrt(n), 0 for one seed), ``n`` (finite seeds) and ``skipped`` (why the rule ignored
        the K, ``""`` when it did not; its ``mean`` and ``se`` are then NaN).

    Raises
    ------
    ValueError
        No K has a finite ``metric``, or ``rule`` is unknown.
    """
    if rule not in _RULE_TEXT:
        raise ValueError(f"unknown selection rule {rule!r}")
    values = table[metric].astype(np.float64)
    g = values.where(np.isfinite(values)).groupby(table["k"])
    summary = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()})
    summary["fits"] = g.size()
    summary = summary.reset_index()
    summary["se"] = (summary["sd"] / np.sqrt(summary["n"])).fillna(0.0)
    none = summary["n"] == 0
    summary.loc[none, "se"] = np.nan
    summary["skipped"] = [
        f"{metric} is not finite in any of its {fits} fits" if skip else ""
        for skip, fits in zip(none, summary["fits"], strict=True)
    ]
    summary = summary[["k", "mean", "se", "n", "skipped"]]
    used = summary[~none].reset_index(drop=True)
    if used.empty:
        raise ValueError(
            f"no K has a finite {metric!r} (every fit's value is NaN or infinite); "
            "choose another select_metric"
        )
    sign = -1.0 if metric == "perplexity" else 1.0
    score = sign * used["mean"].to_numpy()
    best = int(np.argmax(score))  # first maximum = smallest K among ties
    if rule == "best":
        return int(used["k"].iloc[best]), summary
    ok = score >= score[best] - used["se"].iloc[best]
    return int(used["k"][ok].min()), summary


_RULE_TEXT = {
    "one_se": "smallest K whose mean {metric} over seeds is at least the best K's mean minus "
    "the best K's standard error (sd over seeds / sqrt(seeds))",
    "best": "K with the highest mean {metric} over seeds (ties: the smaller K)",
}
