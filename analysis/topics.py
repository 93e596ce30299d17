"""Topic models of the reports: LDA over a K grid x seeds, the choice of K, stability, labels.

:func:`run_topics` (``policyshift topics``) builds every table of ``<results>/topics/`` from the
token cache; :func:`fit_topics` does the same work and returns it without writing.

Preprocessing (:func:`build_corpus`, logged step by step in ``topics/preprocessing.csv``)
    Units are paragraphs (default), report sections or whole reports (``unit``), with their
    docvars. Dropped, in order: the number placeholders ``<num> <pct> <year>``
    (``drop_placeholders``); place names of ``stopwords/places.txt`` (``drop_places``); terms in
    fewer than ``no_below`` units or in more than a share ``no_above`` of them; units left with
    fewer than ``min_tokens`` tokens; terms no longer found in any kept unit. The vocabulary is
    sorted by term.

Fitting (:func:`fit_lda`)
    gensim ``LdaModel`` (online variational Bayes, Hoffman et al. 2010; single process,
    float64) with symmetric priors alpha = eta = 1/K, ``passes`` passes and ``chunksize`` units
    per update (default: a tenth of the training units, at most 2000); or tomotopy ``LDAModel``
    (collapsed Gibbs, one thread, ``gibbs_iterations`` sweeps) with the same priors.
    The random state of a fit is derived from ``(Config.seed, K, seed)``, so a fit does not
    depend on the other fits or on the number of worker processes. Grid fits run in parallel
    processes. A share ``holdout`` of the units (seeded) is held out of every fit (column
    ``heldout`` of ``doc_topics.parquet``). Document-topic proportions of every unit, held out or
    not, come from one engine-independent fold-in (:func:`infer_doc_topic`, the variational
    E-step given the fitted topic-word distributions).

Model selection (``topics/model_selection.csv``, one row per K x seed)
    ``c_v``, ``c_npmi``, ``u_mass``: topic coherence of the top ``coherence_top_n`` words (Röder
    et al. 2015; Mimno et al. 2011), as gensim ``CoherenceModel`` computes it, on the tokens of
    all kept units (:mod:`analysis.coherence`; higher is better). ``perplexity``: held-out
    perplexity by document completion (Wallach et al. 2009): each held-out unit's even-position
    tokens estimate its topic proportions, its odd-position tokens are scored,
    ``exp(-log-likelihood / tokens)`` (lower is better). ``diversity``: share of distinct words
    among the top 25 words of all topics (Dieng et al. 2020). ``exclusivity``: mean over topics
    and their top words of ``phi_kw / sum_j phi_jw`` (Bischof & Airoldi 2012). ``fit_seconds``
    of each fit is written to ``topics/timings.csv`` (the one file that differs between identical
    runs), not to the selection table.

Rule that picks K (:func:`select_k`)
    For each K, the mean and standard error (sd / sqrt(n)) of ``select_metric`` (default
    ``c_npmi``) over the seeds. ``one_se`` (default, Breiman et al. 1984's one-standard-error
    rule): the smallest K whose mean is at least the best mean minus the best K's standard
    error. ``best``: the K with the highest mean (ties: the smaller K). ``chosen_k`` > 0
    overrides the rule; ``topics/selection.json`` records both.

Stability (:mod:`analysis.stability`)
    ``n_stability_seeds`` fits at the chosen K (the grid's fits first) are aligned to their
    medoid fit by Hungarian matching on the cosine similarity of topic-word distributions. A
    topic's ``stability`` is its mean matched similarity; ``stable`` when it reaches
    ``stability_threshold`` (default 0.8: on the bundled paragraphs, matches at cosine >= 0.8
    share on average 6 and in 90% of cases at least 5 of their top 10 terms; ``top_overlap``
    reports the share for each topic). The medoid fit is the published model (its topic-term and
    doc-topic matrices); unstable topics carry ``stable = False`` in every table and
    "(unstable)" in their labels on the LDAvis page.

Labels
    Top terms by probability, by FREX (Bischof & Airoldi 2012; Roberts et al. 2019, stm's
    ``labelTopics``: weighted harmonic mean of the within-topic ranks of exclusivity and
    frequency, weight ``frex_weight`` on exclusivity) and relevance (Sievert & Shirley 2014,
    ``lambda log phi_kw + (1 - lambda) log(phi_kw / p_w)``). Human labels ``"id=中文|English"``
    from the config apply when K equals ``labels_k``; otherwise ``label_zh`` is the top three
    terms by relevance (distinct where the most probable terms, 发展 or 建设, are shared by many
    topics) and ``label_en`` is ``"Topic k"``.

Prevalence (:mod:`analysis.prevalence`)
    Every bootstrap replicate draws one stability fit and resamples reports (paragraphs within a
    report for ``doc_id`` groups and the national years), so intervals carry both topic-model and
    sampling uncertainty. Group means weigh units by their tokens: a group's prevalence is the
    expected share of its tokens. ``prevalence`` in ``topics.csv`` is the same over the corpus.
    Over time: prevalence per year of the national series (1954-2025) with these intervals; no
    dynamic topic model (gensim ``LdaSeqModel`` does not fit within the stage's time budget).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import digamma
from scipy.stats import rankdata
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from analysis import io
from analysis.coherence import MEASURES, coherence_many
from analysis.config import Config, TopicsConfig
from analysis.progress import progress
from analysis.stability import Stability, topic_stability

Unit = Literal["paragraph", "section", "report"]
Engine = Literal["gensim", "tomotopy"]
DOCVARS = ("place", "level", "province", "prefecture", "region", "year", "doc_type")
UNIT_KEYS: dict[str, tuple[str, ...]] = {
    "paragraph": ("doc_id", "paragraph", "section"),
    "section": ("doc_id", "section"),
    "report": ("doc_id",),
}
PLACEHOLDER = re.compile(r"^<\w+>$")
DIVERSITY_TOP_N = 25
SUBSETS = ("all", "national", "subnational")


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Fitting and inference
# ---------------------------------------------------------------------------------------------
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
) -> LdaFit:
    """Fit LDA with K topics on a document-term count matrix (D x V), single-threaded.

    Priors are symmetric, alpha = eta = 1/K. ``passes``, ``iterations`` and ``chunksize`` are
    gensim's (``chunksize`` 0: ``auto_chunksize(D)``); ``gibbs_iterations`` is tomotopy's
    number of sweeps. ``seed`` is only recorded.
    """
    dtm = sparse.csr_matrix(dtm)
    chunksize = chunksize or auto_chunksize(dtm.shape[0])
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        if engine == "gensim":
            topic_term, alpha = _fit_gensim(dtm, k, random_state, passes, iterations, chunksize)
        elif engine == "tomotopy":
            topic_term, alpha = _fit_tomotopy(dtm, k, random_state, gibbs_iterations)
        else:
            raise ValueError(f"unknown engine {engine!r}")
    seconds = time.perf_counter() - t0
    return LdaFit(k, seed, random_state, topic_term, alpha, seconds)


def auto_chunksize(n_units: int) -> int:
    """Units per online update: ``ceil(n_units / 10)``, at most 2000 (gensim's default).

    At least ten updates per pass: with one chunk per pass (gensim's 2000 on a few hundred
    reports) the online updates are too few to converge in a few passes.
    """
    return int(min(2000, max(1, -(-n_units // 10))))


def _fit_gensim(
    dtm: sparse.csr_matrix, k: int, random_state: int, passes: int, iterations: int, chunksize: int
) -> tuple[np.ndarray, np.ndarray]:
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel

    corpus = Sparse2Corpus(dtm, documents_columns=False)
    model = LdaModel(
        corpus,
        num_topics=k,
        id2word={i: str(i) for i in range(dtm.shape[1])},
        passes=passes,
        iterations=iterations,
        chunksize=chunksize,
        alpha="symmetric",
        eta=None,
        random_state=random_state,
        eval_every=None,
        dtype=np.float64,
    )
    return np.asarray(model.get_topics(), dtype=np.float64), np.asarray(model.alpha, np.float64)


def _fit_tomotopy(
    dtm: sparse.csr_matrix, k: int, random_state: int, gibbs_iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    import tomotopy as tp

    # optim_interval=0: keep alpha fixed (tomotopy re-estimates it every 10 sweeps by default),
    # so that both engines fit the same model.
    model = tp.LDAModel(k=k, alpha=1.0 / k, eta=1.0 / k, seed=random_state, min_cf=0, rm_top=0)
    model.optim_interval = 0
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


# ---------------------------------------------------------------------------------------------
# Metrics and term scores
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Grid and selection
# ---------------------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


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
) -> dict[tuple[int, int], LdaFit]:
    """Fit every ``(k, seed)`` cell, in parallel processes; keyed by ``(k, seed)``.

    The result does not depend on ``workers`` (0 = all cores; 1 = in this process).
    """
    options = {
        "engine": config.engine,
        "passes": config.passes,
        "iterations": config.iterations,
        "chunksize": config.chunksize,
        "gibbs_iterations": config.gibbs_iterations,
    }
    # Largest K first so that the slowest fits do not start last.
    tasks = [
        (k, s, derive_seed(master_seed, 2, k, s))
        for k, s in sorted(cells, key=lambda c: (-c[0], c[1]))
    ]
    n_workers = min(workers or os.cpu_count() or 1, len(tasks))
    out: dict[tuple[int, int], LdaFit] = {}
    if n_workers <= 1:
        _init_worker(dtm, options)
        for task in progress(tasks, desc="LDA fits", total=len(tasks)):
            fit = _fit_task(task)
            out[(fit.k, fit.seed)] = fit
        _WORKER.clear()
        return out
    # fork where available (as analysis.segment): no re-import, works from scripts without a
    # __main__ guard; spawn elsewhere.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with cf.ProcessPoolExecutor(
        n_workers, mp_context=ctx, initializer=_init_worker, initargs=(dtm, options)
    ) as pool:
        futures = [pool.submit(_fit_task, t) for t in tasks]
        for fut in progress(cf.as_completed(futures), desc="LDA fits", total=len(futures)):
            fit = fut.result()
            out[(fit.k, fit.seed)] = fit
    return out


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

    Returns
    -------
    k : int
    summary : DataFrame
        Per K: ``k``, ``mean``, ``se`` (sd over seeds / sqrt(n), 0 for one seed), ``n``.
    """
    sign = -1.0 if metric == "perplexity" else 1.0
    g = table.groupby("k")[metric]
    summary = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.size()}).reset_index()
    summary["se"] = (summary["sd"] / np.sqrt(summary["n"])).fillna(0.0)
    summary = summary.drop(columns="sd")[["k", "mean", "se", "n"]]
    score = sign * summary["mean"].to_numpy()
    best = int(np.argmax(score))  # first maximum = smallest K among ties
    if rule == "best":
        return int(summary["k"].iloc[best]), summary
    if rule == "one_se":
        ok = score >= score[best] - summary["se"].iloc[best]
        return int(summary["k"][ok].min()), summary
    raise ValueError(f"unknown selection rule {rule!r}")


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
def parse_labels(entries: Sequence[str], k: int) -> dict[int, tuple[str, str]]:
    """``{topic: (label_zh, label_en)}`` from ``"id=中文|English"`` entries (either may be empty)."""
    out: dict[int, tuple[str, str]] = {}
    for entry in entries:
        m = re.fullmatch(r"\s*(\d+)\s*=\s*([^|]*?)\s*(?:\|\s*(.*?)\s*)?", entry)
        if not m:
            raise ValueError(f"topic label {entry!r} is not of the form 'id=中文|English'")
        topic = int(m.group(1))
        if topic >= k:
            raise ValueError(f"topic label {entry!r}: the model has topics 0..{k - 1}")
        out[topic] = (m.group(2), m.group(3) or "")
    return out


def relevance_top(
    topic_term: np.ndarray, corpus: TopicCorpus, config: TopicsConfig, n: int
) -> np.ndarray:
    """Ids (K, n) of each topic's top terms by LDAvis relevance (``relevance_lambda``)."""
    counts = np.asarray(corpus.dtm.sum(axis=0)).ravel()
    rel = relevance(topic_term, counts / counts.sum(), lam=config.relevance_lambda)
    return np.argsort(-rel, axis=1, kind="stable")[:, :n]


def topic_labels(
    top: Sequence[Sequence[str]], config: TopicsConfig, k: int
) -> tuple[list[str], list[str]]:
    """(label_zh, label_en) per topic: the config's labels when ``k == labels_k``, else the
    first three terms of ``top`` (zh; the top terms by relevance) and ``"Topic k"`` (en)."""
    human = parse_labels(config.labels, k) if config.labels and k == config.labels_k else {}
    zh, en = [], []
    for t in range(k):
        h_zh, h_en = human.get(t, ("", ""))
        zh.append(h_zh or "/".join(top[t][:3]))
        en.append(h_en or f"Topic {t}")
    return zh, en


# ---------------------------------------------------------------------------------------------
# The whole stage
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TopicsResult:
    """Everything :func:`run_topics` writes, in memory.

    ``runs`` are the stability fits at the chosen K (``runs[stability.reference]`` is the
    published model); ``doc_topic_runs`` their aligned doc-topic proportions (D x K each, rows
    as ``corpus.units``), ready for :func:`analysis.prevalence.estimate_effects`.
    """

    corpus: TopicCorpus
    heldout: np.ndarray
    selection_table: pd.DataFrame
    selection: dict[str, Any]
    runs: list[LdaFit]
    stability: Stability
    topic_term: np.ndarray
    doc_topic_runs: list[np.ndarray]
    label_zh: list[str]
    label_en: list[str]


def fit_topics(cfg: Config, tokens: pd.DataFrame) -> TopicsResult:
    """Fit the grid, choose K, fit and align the stability runs (nothing is written)."""
    tc = cfg.topics
    corpus = corpus_from_config(tokens, tc, cfg.root)
    if corpus.dtm.shape[0] == 0:
        raise ValueError("no unit left after preprocessing; loosen no_below/min_tokens")
    heldout = holdout_mask(len(corpus.units), share=tc.holdout, seed=derive_seed(cfg.seed, 1))
    train = corpus.dtm[~heldout]
    grid = [(k, s) for k in tc.k_grid for s in tc.seeds]
    fits = fit_many(train, grid, tc, master_seed=cfg.seed, workers=tc.workers)
    table = score_fits(list(fits.values()), corpus, heldout, top_n=tc.coherence_top_n)
    rule_k, summary = select_k(table, metric=tc.select_metric, rule=tc.select_rule)
    k = tc.chosen_k or rule_k
    selection = {
        "k": k,
        "rule_k": rule_k,
        "override": tc.chosen_k or None,
        "metric": tc.select_metric,
        "rule": tc.select_rule,
        "rule_text": _RULE_TEXT[tc.select_rule].format(metric=tc.select_metric),
        "per_k": summary.to_dict(orient="records"),
    }
    seeds = list(tc.seeds)
    while len(seeds) < tc.n_stability_seeds:
        seeds.append(max(seeds, default=0) + 1)
    seeds = seeds[: max(tc.n_stability_seeds, 1)]
    missing = [(k, s) for s in seeds if (k, s) not in fits]
    fits.update(fit_many(train, missing, tc, master_seed=cfg.seed, workers=tc.workers))
    runs = [fits[(k, s)] for s in seeds]
    stab = topic_stability([r.topic_term for r in runs], threshold=tc.stability_threshold)
    ref = runs[stab.reference]
    doc_topic_runs = [
        infer_doc_topic(corpus.dtm, r.topic_term, r.alpha)[:, perm]
        for r, perm in progress(
            zip(runs, stab.perms, strict=True), desc="doc-topics", total=len(runs)
        )
    ]
    top = [corpus.vocab[row].tolist() for row in relevance_top(ref.topic_term, corpus, tc, 3)]
    zh, en = topic_labels(top, tc, k)
    return TopicsResult(
        corpus=corpus,
        heldout=heldout,
        selection_table=table,
        selection=selection,
        runs=runs,
        stability=stab,
        topic_term=ref.topic_term,
        doc_topic_runs=doc_topic_runs,
        label_zh=zh,
        label_en=en,
    )


_RULE_TEXT = {
    "one_se": "smallest K whose mean {metric} over seeds is at least the best K's mean minus "
    "the best K's standard error (sd over seeds / sqrt(seeds))",
    "best": "K with the highest mean {metric} over seeds (ties: the smaller K)",
}


def _topic_columns(result: TopicsResult) -> pd.DataFrame:
    """``topic, label_en, label_zh, stable`` per topic, for merging into every table."""
    return pd.DataFrame(
        {
            "topic": np.arange(len(result.label_en)),
            "label_en": result.label_en,
            "label_zh": result.label_zh,
            "stable": result.stability.table["stable"].to_numpy(),
        }
    )


def _with_topic(df: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    out = df.merge(topics, on="topic", how="left", validate="many_to_one")
    return out


def topic_tables(result: TopicsResult, config: TopicsConfig) -> dict[str, pd.DataFrame]:
    """``topics``, ``topic_terms``, ``stability`` and ``doc_topics`` tables of a result.

    ``topics`` also holds ``relevance_terms`` (top terms by relevance), each topic's ``c_v``,
    ``c_npmi`` and ``u_mass`` (top ``coherence_top_n`` words); ``stability`` its
    ``top_overlap``.
    """
    corpus, phi = result.corpus, result.topic_term
    k = phi.shape[0]
    counts = np.asarray(corpus.dtm.sum(axis=0)).ravel()
    frex_score = frex(phi, weight=config.frex_weight)
    rel = relevance(phi, counts / counts.sum(), lam=config.relevance_lambda)
    top = top_terms(phi, config.top_n)
    frex_top = np.argsort(-frex_score, axis=1, kind="stable")[:, : config.coherence_top_n]
    rel_top = relevance_top(phi, corpus, config, config.coherence_top_n)
    lengths = corpus.units["n_tokens"].to_numpy(dtype=np.float64)
    theta = np.mean(result.doc_topic_runs, axis=0)
    prevalence = (lengths[:, None] * theta).sum(axis=0) / lengths.sum()
    meta = _topic_columns(result)
    stab = result.stability.table
    topics = meta[["topic", "label_en", "label_zh"]].assign(
        top_terms=[" ".join(corpus.vocab[top[t, : config.coherence_top_n]]) for t in range(k)],
        frex_terms=[" ".join(corpus.vocab[frex_top[t]]) for t in range(k)],
        stability=stab["stability"].to_numpy(),
        stable=stab["stable"].to_numpy(),
        prevalence=prevalence,
        relevance_terms=[" ".join(corpus.vocab[r]) for r in rel_top],
        **coherence_many(corpus.docs, [top_terms(phi, config.coherence_top_n)])[0],
    )
    rank = np.tile(np.arange(1, config.top_n + 1), k)
    t_idx = np.repeat(np.arange(k), config.top_n)
    w_idx = top.ravel()
    terms = pd.DataFrame(
        {
            "topic": t_idx,
            "rank": rank,
            "term": corpus.vocab[w_idx],
            "prob": phi[t_idx, w_idx],
            "frex": frex_score[t_idx, w_idx],
            "relevance": rel[t_idx, w_idx],
        }
    )
    doc_topic = result.doc_topic_runs[result.stability.reference]
    doc_topics = pd.concat(
        [
            corpus.units.assign(heldout=result.heldout),
            pd.DataFrame(doc_topic, columns=[f"topic_{t}" for t in range(k)]),
        ],
        axis=1,
    )
    return {
        "topics": topics,
        "topic_terms": _with_topic(terms, meta),
        "stability": _with_topic(stab, meta.drop(columns="stable")),
        "doc_topics": doc_topics,
    }


def parse_effect(spec: str) -> tuple[str, list[str]]:
    """``"subset: a + b"`` -> ``(subset, [a, b])``; subset is all, national or subnational."""
    subset, _, rhs = spec.partition(":")
    subset = subset.strip()
    covariates = [c.strip() for c in rhs.split("+") if c.strip()]
    if subset not in SUBSETS or not covariates:
        raise ValueError(
            f"effect {spec!r} is not 'subset: covariate + ...' with subset in {SUBSETS}"
        )
    return subset, covariates


def prevalence_tables(
    result: TopicsResult, config: TopicsConfig, *, seed: int
) -> dict[str, pd.DataFrame]:
    """``prevalence_groups``, ``prevalence_effects`` and ``prevalence_national_years`` tables.

    Docvars or covariates that the unit lacks (``section`` for reports) are skipped.
    """
    from analysis.prevalence import estimate_effects, group_prevalence, year_prevalence

    units = result.corpus.units
    runs = result.doc_topic_runs
    weights = units["n_tokens"].to_numpy(dtype=np.float64)
    meta = _topic_columns(result)
    # Resample reports as wholes when units are parts of reports.
    cluster = None if config.unit == "report" else "doc_id"
    groups = []
    for i, by in enumerate(b for b in config.group_by if b in units.columns):
        out = group_prevalence(
            runs,
            units,
            by,
            n_boot=config.n_boot,
            seed=derive_seed(seed, 3, i),
            weights=weights,
            cluster=None if by == "doc_id" else cluster,
        )
        groups.append(out.assign(group=out["group"].astype(str)))
    effects = []
    for i, spec in enumerate(config.effects):
        subset, covariates = parse_effect(spec)
        covariates = [c for c in covariates if c in units.columns]
        mask = {
            "all": np.ones(len(units), dtype=bool),
            "national": (units["level"] == "national").to_numpy(dtype=bool),
            "subnational": (units["level"] != "national").to_numpy(dtype=bool),
        }[subset]
        idx = np.flatnonzero(mask)
        out = estimate_effects(
            [r[idx] for r in runs],
            units.iloc[idx].reset_index(drop=True),
            covariates,
            n_boot=config.n_boot,
            seed=derive_seed(seed, 4, i),
            cluster=cluster,
        )
        effects.append(out.assign(model=f"{subset}: {' + '.join(covariates)}"))
    years = year_prevalence(
        runs, units, n_boot=config.n_boot, seed=derive_seed(seed, 5), weights=weights
    )
    return {
        "prevalence_groups": _with_topic(pd.concat(groups, ignore_index=True), meta),
        "prevalence_effects": _with_topic(pd.concat(effects, ignore_index=True), meta),
        "prevalence_national_years": _with_topic(years, meta),
    }


def run_topics(cfg: Config, *, results: Path) -> list[Path]:
    """Build every table of ``<results>/topics/`` from ``<results>/tokens/tokens.parquet``.

    Returns the paths written (all recorded in the results manifest).
    """
    from analysis.ldavis import write_ldavis

    results = Path(results)
    out = results / "topics"
    tokens = pd.read_parquet(results / "tokens" / "tokens.parquet")
    result = fit_topics(cfg, tokens)
    tc = cfg.topics
    written: list[Path] = []
    selection = {**result.selection, "preprocessing": result.corpus.log.to_dict("records")}
    selection["n_units"] = len(result.corpus.units)
    selection["n_heldout"] = int(result.heldout.sum())
    selection["stability_seeds"] = [r.seed for r in result.runs]
    selection["reference_seed"] = result.runs[result.stability.reference].seed
    # wall times go to their own file so that every other output is byte-identical across runs
    table = result.selection_table
    written.append(io.write_csv(table.drop(columns="fit_seconds"), out / "model_selection.csv"))
    written.append(io.write_csv(table[["k", "seed", "fit_seconds"]], out / "timings.csv"))
    written.append(io.write_json(out / "selection.json", _jsonable(selection)))
    written.append(io.write_csv(result.corpus.log, out / "preprocessing.csv"))
    tables = topic_tables(result, tc)
    for name in ("topics", "topic_terms", "stability"):
        written.append(io.write_csv(tables[name], out / f"{name}.csv"))
    written.append(io.write_parquet(tables["doc_topics"], out / "doc_topics.parquet"))
    for name, df in prevalence_tables(result, tc, seed=cfg.seed).items():
        written.append(io.write_csv(df, out / f"{name}.csv"))
    stable = result.stability.table["stable"].to_numpy()
    labels = [
        f"{zh} | {en}" + ("" if ok else " (unstable)")
        for zh, en, ok in zip(result.label_zh, result.label_en, stable, strict=True)
    ]
    written.append(
        write_ldavis(
            out / "ldavis.html",
            topic_term=result.topic_term,
            doc_topic=result.doc_topic_runs[result.stability.reference],
            doc_lengths=result.corpus.units["n_tokens"].to_numpy(),
            vocab=result.corpus.vocab.tolist(),
            term_frequency=np.asarray(result.corpus.dtm.sum(axis=0)).ravel(),
            labels=labels,
        )
    )
    io.record_stage(results, "topics", written, cfg, inputs=["tokens/tokens.parquet"])
    return written


def _jsonable(obj: Any) -> Any:
    """Plain Python values (numpy scalars converted) for JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


__all__ = [
    "LdaFit",
    "TopicCorpus",
    "TopicsResult",
    "build_corpus",
    "fit_lda",
    "fit_topics",
    "infer_doc_topic",
    "run_topics",
    "select_k",
]
