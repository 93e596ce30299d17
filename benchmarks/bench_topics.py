"""Fit time and quality of our default LDA against other LDA implementations, in one run.

Run: ``python benchmarks/bench_topics.py [--results DIR] [--k 20] [--seed 1]``. Reads the token
cache ``<results>/tokens/tokens.parquet`` (tokenizing the bundled corpus into a temporary folder
when it is missing), builds the units of ``params.toml`` ``[topics]`` (default: 11,836
paragraphs after the filters), holds out the same 10% of units as ``policyshift topics``, and fits
on the other units, with the same K and priors alpha = eta = 1/K, one seed:

- ours: ``analysis.topics.fit_lda`` with the config's engine (gensim ``LdaModel``, ``passes``
  from the config, one process), and the same with twice the passes (convergence check);
- gensim ``LdaMulticore`` (``workers`` = cores - 1, same passes);
- scikit-learn ``LatentDirichletAllocation`` (online, ``max_iter`` = passes, ``batch_size`` =
  chunksize (auto: ten updates per pass), one job);
- tomotopy ``LDAModel`` (collapsed Gibbs, one thread; our ``engine = "tomotopy"``).

Every model is scored the same way: c_v, c_npmi, u_mass of the top 10 words
(:mod:`analysis.topics.coherence`, on all units) and held-out perplexity by document completion
(:func:`analysis.topics.heldout_perplexity`). A second table times coherence itself: ours
(vectorized, all three measures) against gensim ``CoherenceModel`` (one process) for one model.
Prints markdown tables and writes them to ``benchmarks/results/bench_topics.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

from analysis import config
from analysis.topics import (
    TopicCorpus,
    auto_chunksize,
    completion_split,
    corpus_from_config,
    derive_seed,
    fit_lda,
    heldout_perplexity,
    holdout_mask,
    top_terms,
)
from analysis.topics.coherence import MEASURES, coherence_many

ROOT = Path(__file__).resolve().parents[1]


def markdown(df: pd.DataFrame) -> str:
    """A pipe table of ``df`` (no index)."""
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def load_tokens(results: Path) -> pd.DataFrame:
    """The token cache (built from data/raw in a temporary folder when missing)."""
    path = results / "tokens" / "tokens.parquet"
    if path.exists():
        return pd.read_parquet(path)
    from analysis.corpus import ingest
    from analysis.tokens import build_tokens

    cfg = config.load(ROOT / "params.toml")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = ingest(config=cfg, results=tmp)
        return build_tokens(
            corpus.paragraphs, config=cfg.tokens, root=cfg.root, cache_dir=Path(tmp) / "tokens"
        )


def _gensim_multicore(
    train: sparse.csr_matrix, k: int, seed: int, tc
) -> tuple[np.ndarray, np.ndarray]:
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaMulticore

    model = LdaMulticore(
        Sparse2Corpus(train, documents_columns=False),
        num_topics=k,
        id2word={i: str(i) for i in range(train.shape[1])},
        workers=max(1, (os.cpu_count() or 2) - 1),
        passes=tc.passes,
        iterations=tc.iterations,
        chunksize=tc.chunksize or auto_chunksize(train.shape[0]),
        alpha="symmetric",
        eta=None,
        random_state=seed,
        eval_every=None,
        dtype=np.float64,
    )
    return model.get_topics(), np.asarray(model.alpha)


def _sklearn(train: sparse.csr_matrix, k: int, seed: int, tc) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import LatentDirichletAllocation

    model = LatentDirichletAllocation(
        n_components=k,
        doc_topic_prior=1.0 / k,
        topic_word_prior=1.0 / k,
        learning_method="online",
        max_iter=tc.passes,
        batch_size=tc.chunksize or auto_chunksize(train.shape[0]),
        random_state=seed,
        n_jobs=1,
    )
    with threadpool_limits(limits=1):
        model.fit(train)
    phi = model.components_ / model.components_.sum(axis=1, keepdims=True)
    return phi, np.full(k, 1.0 / k)


def _ours(**kw) -> Callable[[sparse.csr_matrix, int, int, object], tuple[np.ndarray, np.ndarray]]:
    def fit(train, k, seed, tc):
        options = {
            "passes": tc.passes,
            "iterations": tc.iterations,
            "chunksize": tc.chunksize,
            "gibbs_iterations": tc.gibbs_iterations,
            "engine": tc.engine,
            **kw,
        }
        out = fit_lda(train, k=k, random_state=seed, **options)
        return out.topic_term, out.alpha

    return fit


def bench_fits(corpus: TopicCorpus, heldout: np.ndarray, k: int, seed: int, tc) -> pd.DataFrame:
    train = corpus.dtm.counts[~heldout]
    fold, score = completion_split(
        [corpus.docs[i] for i in np.flatnonzero(heldout)], len(corpus.vocab)
    )
    engines = {
        f"ours: gensim LdaModel, {tc.passes} passes (default)": _ours(engine="gensim"),
        f"ours: gensim LdaModel, {2 * tc.passes} passes": _ours(
            engine="gensim", passes=2 * tc.passes
        ),
        f"gensim LdaMulticore, {tc.passes} passes": _gensim_multicore,
        f"scikit-learn LDA online, {tc.passes} iterations": _sklearn,
        f"ours: tomotopy LDAModel, {tc.gibbs_iterations} sweeps": _ours(engine="tomotopy"),
    }
    rows = []
    for name, fit in engines.items():
        t0 = time.perf_counter()
        phi, alpha = fit(train, k, seed, tc)
        seconds = time.perf_counter() - t0
        coh = coherence_many(corpus.docs, [top_terms(phi, 10)])[0]
        rows.append(
            {
                "model": name,
                "fit_s": round(seconds, 1),
                **{m: round(float(coh[m].mean()), 4) for m in MEASURES},
                "perplexity": round(heldout_perplexity(fold, score, phi, alpha), 1),
            }
        )
        print(f"  {name}: {seconds:.1f} s", flush=True)
    return pd.DataFrame(rows)


def bench_coherence(corpus: TopicCorpus, k: int, seed: int, tc) -> pd.DataFrame:
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel

    phi = fit_lda(corpus.dtm.counts, k=k, random_state=seed, passes=1).topic_term
    top = top_terms(phi, 10)
    t0 = time.perf_counter()
    ours = coherence_many(corpus.docs, [top])[0]
    ours_s = time.perf_counter() - t0
    texts = [corpus.vocab[d].tolist() for d in corpus.docs]
    dictionary = Dictionary(texts)
    bow = [dictionary.doc2bow(t) for t in texts]
    rows = [
        {
            "measure": "c_v + c_npmi + u_mass",
            "implementation": "ours (vectorized)",
            "seconds": round(ours_s, 2),
            "max_abs_diff": 0.0,
        }
    ]
    for measure in MEASURES:
        t0 = time.perf_counter()
        cm = CoherenceModel(
            topics=[corpus.vocab[t].tolist() for t in top],
            texts=texts,
            corpus=bow,
            dictionary=dictionary,
            coherence=measure,
            topn=10,
            processes=1,
        )
        ref = np.array(cm.get_coherence_per_topic())
        rows.append(
            {
                "measure": measure,
                "implementation": "gensim CoherenceModel",
                "seconds": round(time.perf_counter() - t0, 2),
                "max_abs_diff": float(np.abs(ref - ours[measure]).max()),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--k", type=int, default=20, help="topics (default 20)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    cfg = config.load(ROOT / "params.toml")
    tc = cfg.topics
    corpus = corpus_from_config(load_tokens(args.results), tc, cfg.root)
    heldout = holdout_mask(len(corpus.units), share=tc.holdout, seed=derive_seed(cfg.seed, 1))
    print(
        f"bench_topics: {len(corpus.units)} {tc.unit} units, {len(corpus.vocab)} terms, "
        f"{int(corpus.dtm.counts.sum())} tokens; K = {args.k}",
        flush=True,
    )
    fits = bench_fits(corpus, heldout, args.k, args.seed, tc)
    coh = bench_coherence(corpus, args.k, args.seed, tc)
    header = (
        f"# bench_topics\n\n{len(corpus.units)} {tc.unit} units ({int((~heldout).sum())} fit, "
        f"{int(heldout.sum())} held out), {len(corpus.vocab)} terms, K = {args.k}, seed "
        f"{args.seed}; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, gensim {metadata.version('gensim')}, "
        f"scikit-learn {metadata.version('scikit-learn')}, tomotopy {metadata.version('tomotopy')}.\n"
        "Coherence: top 10 words, all units; perplexity: held-out document completion.\n\n"
    )
    text = (
        header
        + "## Fits\n\n"
        + markdown(fits)
        + "\n\n## Coherence of one model\n\n"
        + markdown(coh)
        + "\n"
    )
    print(text)
    out = ROOT / "benchmarks" / "results" / "bench_topics.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
