"""Hungarian alignment, stability scores, and recovery of planted topics by both engines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from analysis.topics import fit_lda
from analysis.topics.stability import align_topics, choose_reference, topic_stability

# A planted topic counts as recovered when its matched fitted topic has cosine similarity above
# this (the planted topics are themselves far apart: cosine < 0.1 between any two).
RECOVERY_THRESHOLD = 0.9
STABILITY_THRESHOLD = 0.8


def planted_corpus(
    seed: int, *, k: int = 5, vocab: int = 300, docs: int = 800, length: int = 60
) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Documents drawn from K planted topics: each topic puts 90% of its mass on its own block
    of 40 words (Zipf-like inside the block) and 10% spread over the whole vocabulary; document
    proportions ~ Dirichlet(0.2). Returns (topic_term (K, V), dtm (D, V))."""
    rng = np.random.default_rng(seed)
    phi = np.full((k, vocab), 0.1 / vocab)
    block = 40
    zipf = 1.0 / np.arange(1, block + 1)
    for t in range(k):
        phi[t, t * block : (t + 1) * block] += 0.9 * zipf / zipf.sum()
    theta = rng.dirichlet(np.full(k, 0.2), size=docs)
    counts = rng.multinomial(length, theta @ phi)
    return phi, sparse.csr_matrix(counts)


@pytest.fixture(scope="module")
def planted():
    return planted_corpus(11)


def test_align_recovers_a_permutation():
    rng = np.random.default_rng(0)
    ref = rng.dirichlet(np.full(50, 0.1), size=6)
    perm = rng.permutation(6)
    other = ref[perm] + rng.uniform(0, 1e-3, size=ref.shape)
    got, sim = align_topics(ref, other)
    assert np.array_equal(other[got].argmax(axis=1), ref.argmax(axis=1))
    assert np.array_equal(perm[got], np.arange(6))
    assert sim.min() > 0.99


def test_unstable_topic_is_flagged_and_medoid_is_reference():
    """Four fits share topics 0-3; topic 4 is different noise in each fit."""
    rng = np.random.default_rng(1)
    shared = rng.dirichlet(np.full(200, 0.05), size=4)
    runs = []
    for i in range(4):
        noise = rng.dirichlet(np.full(200, 1.0), size=1)
        run = np.vstack([shared + 1e-4 * i, noise])
        runs.append(run[rng.permutation(5)])
    out = topic_stability(runs, threshold=STABILITY_THRESHOLD)
    table = out.table
    aligned = [r[p] for r, p in zip(runs, out.perms, strict=True)]
    noisy = int(np.argmin(table["stability"]))
    assert table["stable"].sum() == 4
    assert not table.loc[noisy, "stable"]
    for run in aligned:  # the shared topics line up in every fit
        sims = (run / np.linalg.norm(run, axis=1, keepdims=True)) @ (
            aligned[out.reference] / np.linalg.norm(aligned[out.reference], axis=1, keepdims=True)
        ).T
        assert np.all(np.delete(np.diag(sims), noisy) > 0.99)
    # an outlier fit (all topics noise) is never the reference
    odd = rng.dirichlet(np.full(200, 1.0), size=5)
    assert choose_reference([*runs, odd]) != 4


@pytest.mark.parametrize("engine", ["gensim", "tomotopy"])
def test_planted_topics_recovered_and_stable(planted, engine):
    phi, dtm = planted
    kwargs = {} if engine == "gensim" else {"gibbs_iterations": 200}
    fits = [fit_lda(dtm, k=5, random_state=s, engine=engine, **kwargs) for s in (1, 2, 3)]
    for fit in fits:
        _, sim = align_topics(phi, fit.topic_term)
        assert sim.min() > RECOVERY_THRESHOLD, sim
    out = topic_stability([f.topic_term for f in fits], threshold=STABILITY_THRESHOLD)
    assert out.table["stable"].all(), out.table
    assert out.table["min_similarity"].min() > RECOVERY_THRESHOLD


@pytest.mark.parametrize("engine", ["gensim", "tomotopy"])
def test_same_seed_gives_identical_topic_term(planted, engine):
    _, dtm = planted
    kwargs = {"engine": engine, "passes": 2, "gibbs_iterations": 50}
    a = fit_lda(dtm, k=5, random_state=7, **kwargs)
    b = fit_lda(dtm, k=5, random_state=7, **kwargs)
    c = fit_lda(dtm, k=5, random_state=8, **kwargs)
    assert np.array_equal(a.topic_term, b.topic_term)
    assert np.array_equal(a.alpha, b.alpha)
    assert not np.array_equal(a.topic_term, c.topic_term)
