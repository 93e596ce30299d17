"""Fitting LDA (gensim or tomotopy behind one function), fold-in inference, held-out perplexity
and the parallel grid of fits; see :mod:`analysis.topics`."""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.special import digamma
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from analysis.config import EngineConfig, TopicsConfig
from analysis.engine import in_process, task_pool
from analysis.progress import progress
from analysis.workers import n_workers

Engine = Literal["gensim", "tomotopy"]


def derive_seed(master: int, *keys: int) -> int:
    """A 32-bit seed derived from the master seed and integer keys (numpy SeedSequence)."""
    return int(np.random.SeedSequence([master, *keys]).generate_state(1)[0])


def holdout_mask(n_units: int, *, share: float, seed: int) -> np.ndarray:
    """Boolean (n_units,): the ``round(share * n_units)`` units held out, drawn with ``seed``."""
    mask = np.zeros(n_units, dtype=bool)
    n = round(share * n_units)
    mask[np.random.default_rng(seed).permutation(n_units)[:n]] = True
    return mask


def completion_split(docs: Sequence[np.ndarray], vocab_size: int) -> tuple[sparse.csr_matrix, ...]:
    """Counts of the even-position and of the odd-position tokens of each doc, (D, V) each."""

    def counts(parts: list[np.ndarray]) -> sparse.csr_matrix:
        lengths = [len(p) for p in parts]
        rows = np.repeat(np.arange(len(parts)), lengths)
        cols = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        m = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.int64), (rows, cols)), shape=(len(parts), vocab_size)
        )
        m.sum_duplicates()
        return m

    return counts([d[0::2] for d in docs]), counts([d[1::2] for d in docs])


@dataclass(frozen=True)
class LdaFit:
    """One fitted model.

    Attributes
    ----------
    k, seed, random_state : int
        Topics, replicate id and the engine's random state.
    topic_term : float array (K, V)
        Topic-word distributions, rows sum to 1, entries > 0.
    alpha : float array (K,)
        Dirichlet prior of the document-topic proportions.
    seconds : float
        Fit wall time.
    """

    k: int
    seed: int
    random_state: int
    topic_term: np.ndarray
    alpha: np.ndarray
    seconds: float


def fit_lda(
    dtm: sparse.csr_matrix,
    *,
    k: int,
    random_state: int,
    seed: int = 0,
    engine: Engine = "gensim",
    passes: int = 10,
    iterations: int = 50,
    chunksize: int = 0,
    gibbs_iterations: int = 500,
    alpha: float = 0.0,
    eta: float = 0.0,
    learn_alpha: bool = False,
) -> LdaFit:
    """Fit LDA with K topics on a document-term count matrix (D x V), single-threaded.

    Priors are symmetric: ``alpha`` (document-topic) and ``eta`` (topic-word), 0 = 1/K.
    ``learn_alpha`` re-estimates an asymmetric alpha from the data, starting from ``alpha``
    (gensim ``alpha="auto"``, Newton steps after each update; tomotopy ``optim_interval = 10``,
    Minka's fixed point every 10 sweeps). ``passes``, ``iterations`` and ``chunksize`` are
    gensim's (``chunksize`` 0: ``auto_chunksize(D)``); ``gibbs_iterations`` is tomotopy's
    number of sweeps. ``seed`` is only recorded.
    """
    dtm = sparse.csr_matrix(dtm)
    chunksize = chunksize or auto_chunksize(dtm.shape[0])
    priors = (alpha or 1.0 / k, eta or 1.0 / k, learn_alpha)
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        if engine == "gensim":
            topic_term, alpha_ = _fit_gensim(
                dtm, k, random_state, passes, iterations, chunksize, priors
            )
        elif engine == "tomotopy":
            topic_term, alpha_ = _fit_tomotopy(dtm, k, random_state, gibbs_iterations, priors)
        else:
            raise ValueError(f"unknown engine {engine!r}")
    seconds = time.perf_counter() - t0
    return LdaFit(k, seed, random_state, topic_term, alpha_, seconds)


def auto_chunksize(n_units: int) -> int:
    """Units per online update: ``ceil(n_units / 10)``, at most 2000 (gensim's default).

    At least ten updates per pass: with one chunk per pass (gensim's 2000 on a few hundred
    reports) the online updates are too few to converge in a few passes.
    """
    return int(min(2000, max(1, -(-n_units // 10))))


Priors = tuple[float, float, bool]  # alpha, eta, learn_alpha


def _fit_gensim(
    dtm: sparse.csr_matrix,
    k: int,
    random_state: int,
    passes: int,
    iterations: int,
    chunksize: int,
    priors: Priors,
) -> tuple[np.ndarray, np.ndarray]:
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel

    corpus = Sparse2Corpus(dtm, documents_columns=False)
    alpha, eta, learn_alpha = priors
    model = LdaModel(
        corpus,
        num_topics=k,
        id2word={i: str(i) for i in range(dtm.shape[1])},
        passes=passes,
        iterations=iterations,
        chunksize=chunksize,
        # "auto" starts from 1/K (gensim's own start); a fixed alpha is the same for all topics
        alpha="auto" if learn_alpha else np.full(k, alpha),
        eta=np.full(dtm.shape[1], eta),
        random_state=random_state,
        eval_every=None,
        dtype=np.float64,
    )
    return np.asarray(model.get_topics(), dtype=np.float64), np.asarray(model.alpha, np.float64)


def _fit_tomotopy(
    dtm: sparse.csr_matrix, k: int, random_state: int, gibbs_iterations: int, priors: Priors
) -> tuple[np.ndarray, np.ndarray]:
    import tomotopy as tp

    alpha, eta, learn_alpha = priors
    # optim_interval=0 keeps alpha fixed (tomotopy re-estimates it every 10 sweeps by default),
    # so that both engines fit the same model unless learn_alpha asks for it.
    model = tp.LDAModel(k=k, alpha=alpha, eta=eta, seed=random_state, min_cf=0, rm_top=0)
    model.optim_interval = 10 if learn_alpha else 0
    for i in range(dtm.shape[0]):
        row = dtm.getrow(i)
        words = np.repeat(row.indices, row.data).astype(str).tolist()
        if words:
            model.add_doc(words)
    model.train(gibbs_iterations, workers=1, show_progress=False)
    used = np.array([int(w) for w in model.used_vocabs])
    topic_term = np.zeros((k, dtm.shape[1]))
    for t in range(k):
        topic_term[t, used] = model.get_topic_word_dist(t)
    # Terms absent from the training units get the smallest probability of their topic (the
    # prior's share), so every entry is positive as with gensim.
    unused = np.setdiff1d(np.arange(dtm.shape[1]), used)
    topic_term[:, unused] = topic_term[:, used].min(axis=1, keepdims=True)
    topic_term /= topic_term.sum(axis=1, keepdims=True)
    return topic_term, np.asarray(model.alpha, dtype=np.float64)


def infer_doc_topic(
    dtm: sparse.csr_matrix,
    topic_term: np.ndarray,
    alpha: np.ndarray,
    *,
    iterations: int = 200,
    tol: float = 1e-3,
) -> np.ndarray:
    """Topic proportions of documents given fitted topics (variational E-step, fold-in).

    Iterates ``gamma_d = alpha + exp(E[log theta_d]) * sum_w n_dw phi_.w / norm_dw`` (Blei et
    al. 2003; gensim's E-step) from ``gamma = alpha + n_d / K`` until the mean absolute change of
    a document's gamma falls below ``tol`` (gensim's ``gamma_threshold``; each document on its
    own, so a document's result does not depend on the others) or ``iterations`` is reached.

    Parameters
    ----------
    dtm : csr_matrix (D, V)
        Term counts.
    topic_term : float array (K, V)
        Topic-word distributions.
    alpha : float array (K,)
        Dirichlet prior.

    Returns
    -------
    float array (D, K)
        Posterior mean proportions, rows sum to 1 (the prior mean for an empty document).
    """
    dtm = sparse.csr_matrix(dtm, dtype=np.float64)
    phi_t = np.ascontiguousarray(np.asarray(topic_term, dtype=np.float64).T)  # (V, K)
    alpha = np.asarray(alpha, dtype=np.float64)
    n_docs, k = dtm.shape[0], phi_t.shape[1]
    gamma = alpha + np.asarray(dtm.sum(axis=1)) / k
    active = np.arange(n_docs)
    with threadpool_limits(limits=1):
        for _ in range(iterations):
            if len(active) == 0:
                break
            sub = dtm[active]
            g = gamma[active]
            exp_elog = np.exp(digamma(g) - digamma(g.sum(axis=1, keepdims=True)))
            rows = np.repeat(np.arange(len(active)), np.diff(sub.indptr))
            norm = np.einsum("nk,nk->n", exp_elog[rows], phi_t[sub.indices]) + 1e-100
            weighted = sparse.csr_matrix((sub.data / norm, sub.indices, sub.indptr), sub.shape)
            new = alpha + exp_elog * (weighted @ phi_t)
            change = np.abs(new - g).mean(axis=1)
            gamma[active] = new
            active = active[change >= tol]
    return gamma / gamma.sum(axis=1, keepdims=True)


def heldout_perplexity(
    fold: sparse.csr_matrix, score: sparse.csr_matrix, topic_term: np.ndarray, alpha: np.ndarray
) -> float:
    """Document-completion perplexity: proportions from ``fold`` counts, ``score`` counts scored.

    Returns ``exp(-sum n_dw log(theta_d . phi_.w) / sum n_dw)`` over the ``score`` counts.
    """
    theta = infer_doc_topic(fold, topic_term, alpha)
    score = sparse.csr_matrix(score)
    rows = np.repeat(np.arange(score.shape[0]), np.diff(score.indptr))
    p = np.einsum("nk,nk->n", theta[rows], np.asarray(topic_term).T[score.indices])
    return float(np.exp(-(score.data * np.log(p)).sum() / score.data.sum()))


_WORKER: dict[str, Any] = {}

#: Total work (:func:`fit_work` summed over the fits) below which the fits run in this process:
#: each worker interpreter spends 2-3 s importing gensim and tomotopy before its first fit, which
#: on a small corpus is longer than all the fits together (the topics stage of a single report
#: with the default grid of 21 fits: 21.6 s with two workers, 3.3 s in one process). About 2-3 s
#: of tomotopy sampling on this machine (some 2 x 10^7 token-sweeps a second).
SERIAL_WORK = 5e7


def fit_work(dtm: sparse.csr_matrix, config: TopicsConfig) -> float:
    """Token-sweeps of one fit: the tokens of ``dtm`` times the Gibbs sweeps (tomotopy), or
    times 10 per pass (gensim's online variational pass, roughly). Only decides whether to start
    worker processes; the fits do not depend on it."""
    tokens = float(dtm.sum())
    if config.engine == "tomotopy":
        return tokens * config.gibbs_iterations
    return tokens * config.passes * 10


def _init_worker(dtm: sparse.csr_matrix, options: dict[str, Any]) -> None:
    _WORKER["dtm"] = dtm
    _WORKER["options"] = options


def _fit_task(task: tuple[int, int, int]) -> LdaFit:
    k, seed, random_state = task
    return fit_lda(_WORKER["dtm"], k=k, seed=seed, random_state=random_state, **_WORKER["options"])


def fit_many(
    dtm: sparse.csr_matrix,
    cells: Sequence[tuple[int, int]],
    config: TopicsConfig,
    *,
    master_seed: int,
    workers: int = 0,
    engine: EngineConfig | None = None,
) -> dict[tuple[int, int], LdaFit]:
    """Fit every ``(k, seed)`` cell, one task each, in parallel processes or on ``engine``'s
    Dask cluster; keyed by ``(k, seed)``.

    The result does not depend on ``workers`` (0 = all cores; 1 = in this process) or on the
    engine.
    """
    options = {
        "engine": config.engine,
        "passes": config.passes,
        "iterations": config.iterations,
        "chunksize": config.chunksize,
        "gibbs_iterations": config.gibbs_iterations,
        "alpha": config.alpha,
        "eta": config.eta,
        "learn_alpha": config.learn_alpha,
    }
    # Largest K first so that the slowest fits do not start last.
    tasks = [
        (k, s, derive_seed(master_seed, 2, k, s))
        for k, s in sorted(cells, key=lambda c: (-c[0], c[1]))
    ]
    workers = n_workers(workers, len(tasks))
    if fit_work(dtm, config) * len(tasks) < SERIAL_WORK:
        workers = 1  # fewer than a few seconds of sampling: no worker interpreters to start
    out: dict[tuple[int, int], LdaFit] = {}
    if in_process(engine, workers):
        _init_worker(dtm, options)
        for task in progress(tasks, desc="LDA fits", total=len(tasks)):
            fit = _fit_task(task)
            out[(fit.k, fit.seed)] = fit
        _WORKER.clear()
        return out
    with task_pool(
        engine,
        workers=workers,
        n_tasks=len(tasks),
        initializer=_init_worker,
        initargs=(dtm, options),
    ) as pool:
        futures = [pool.submit(_fit_task, t) for t in tasks]
        for fut in progress(cf.as_completed(futures), desc="LDA fits", total=len(futures)):
            fit = fut.result()
            out[(fit.k, fit.seed)] = fit
    return out
