"""Which topic-model design gives stable, coherent topics on the bundled corpus (issue 14).

Run: ``python benchmarks/bench_topic_design.py [--results DIR] [--k 20] [--seeds 3]
[--workers 2] [--only NAME ...]``. Reads the token cache ``<results>/tokens/tokens.parquet``
(``policyshift tokens`` makes it; default ``build/fast``, the fast build of the bundled corpus,
whose tokens are those of ``params.toml``), and for every variant below builds the topic units
with :func:`analysis.topics.corpus_from_config`, holds out the same share of units as
``policyshift topics`` and fits K topics with ``--seeds`` seeds (1..n, the random states of the
stage, :func:`analysis.topics.derive_seed`) by :func:`analysis.topics.fit_lda`. Each variant is
``params.toml``'s ``[topics]`` with a few settings changed, and is scored by the stage's own code:

- ``stable_share``: share of topics stable by the stage's rule
  (:func:`analysis.topics.stability.topic_stability`, ``stability_threshold``, all the fits);
- ``c_npmi``, ``c_v``, ``u_mass``, ``perplexity`` (held-out, document completion),
  ``diversity``: :func:`analysis.topics.score_fits`, mean over the seeds;
- ``fit_seconds``: mean wall time of one fit (one process; fits run ``--workers`` at a time);
- ``listed_in_top10``: places or stoplisted words among the top 10 terms of the medoid fit.

The variants are fitted in parallel processes (``--workers``); the table does not depend on
their number except for ``fit_seconds`` (wall time: it grows when other processes share the
cores). Each fit's topic-word matrix and wall time are kept in
``build/bench_topic_design/`` (same variant, K, seed and corpus: reused, so an interrupted run
resumes; delete the folder to refit). Writes ``benchmarks/topic_design.csv`` (one row per
variant, K and number of seeds, each row as soon as it is scored; rows of other variants, Ks or
seed counts already in the file are kept) and prints it as a markdown table. The committed
table was made by ``--seeds 3`` (every variant at K = 20) and ``--seeds 5 --only before
tomotopy_i200`` (the "before" and the default design with the stage's 5 stability fits).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.topics import (
    LdaFit,
    corpus_from_config,
    derive_seed,
    fit_lda,
    holdout_mask,
    score_fits,
)
from analysis.topics.preprocessing import place_names, topic_stoplist
from analysis.topics.stability import topic_stability

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "topic_design.csv"

#: Unfiltered topic input (before issue 14): places and discourse words kept.
UNFILTERED = {"drop_places": False, "stopwords": ()}
GENSIM = {"engine": "gensim"}
TOMOTOPY = {"engine": "tomotopy"}

#: name -> (what it changes, ``[topics]`` settings that differ from params.toml).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "before": ("gensim, 10 passes, unfiltered input", {**GENSIM, **UNFILTERED, "passes": 10}),
    "gensim_p10": ("gensim, 10 passes", {**GENSIM, "passes": 10}),
    "gensim_p20": ("gensim, 20 passes", {**GENSIM, "passes": 20}),
    "gensim_auto_alpha": ("gensim, 10 passes, learned alpha", {**GENSIM, "learn_alpha": True}),
    "tomotopy_i200": ("tomotopy, 200 sweeps", {**TOMOTOPY, "gibbs_iterations": 200}),
    "tomotopy_i500": ("tomotopy, 500 sweeps", {**TOMOTOPY, "gibbs_iterations": 500}),
    "tomotopy_i1000": ("tomotopy, 1000 sweeps", {**TOMOTOPY, "gibbs_iterations": 1000}),
    "tomotopy_learn_alpha": (
        "tomotopy, 500 sweeps, learned alpha",
        {**TOMOTOPY, "gibbs_iterations": 500, "learn_alpha": True},
    ),
    "tomotopy_eta01": (
        "tomotopy, 500 sweeps, eta = 0.01",
        {**TOMOTOPY, "gibbs_iterations": 500, "eta": 0.01},
    ),
    "tomotopy_section": (
        "tomotopy, 500 sweeps, section units",
        {**TOMOTOPY, "gibbs_iterations": 500, "unit": "section"},
    ),
    "tomotopy_vocab": (
        "tomotopy, 500 sweeps, no_below 20, no_above 0.1",
        {**TOMOTOPY, "gibbs_iterations": 500, "no_below": 20, "no_above": 0.1},
    ),
}

#: Settings that change the units and vocabulary (a corpus is built once per combination).
CORPUS_KEYS = ("unit", "no_below", "no_above", "min_tokens", "drop_places", "stopwords")


def markdown(df: pd.DataFrame) -> str:
    """A pipe table of ``df`` (no index)."""
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


CACHE = ROOT / "build" / "bench_topic_design"


def _cache_path(name: str, options: dict[str, Any], train: Any) -> Path:
    """Where the fit of ``options`` on ``train`` is kept (keyed by the settings and the data)."""
    blob = json.dumps(options, sort_keys=True).encode() + train.data.tobytes()
    blob += train.indices.tobytes() + str(train.shape).encode()
    return (
        CACHE
        / f"{name}_k{options['k']}_s{options['seed']}_{hashlib.sha1(blob).hexdigest()[:12]}.npz"
    )


def _fit(task: tuple[str, Any, dict[str, Any]]) -> tuple[str, Any]:
    name, train, options = task
    path = _cache_path(name, options, train)
    if path.is_file():
        z = np.load(path)
        fit = LdaFit(
            options["k"],
            options["seed"],
            options["random_state"],
            z["topic_term"],
            z["alpha"],
            float(z["seconds"]),
        )
        return name, fit
    fit = fit_lda(train, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, topic_term=fit.topic_term, alpha=fit.alpha, seconds=fit.seconds)
    return name, fit


def _merged(path: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the rows of the table at ``path`` of other (variant, K, seeds), in the
    order of :data:`VARIANTS`, K and seeds (so runs with other ``--only``, ``--k`` or
    ``--seeds`` add to one table)."""
    key = ["variant", "k", "seeds"]
    if path.is_file():
        old = pd.read_csv(path)
        keep = ~old.set_index(key).index.isin(rows.set_index(key).index)
        rows = pd.concat([old[keep], rows], ignore_index=True)
    order = rows["variant"].map(list(VARIANTS).index)
    return rows.assign(_o=order).sort_values(["_o", "k", "seeds"]).drop(columns="_o")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "build" / "fast")
    ap.add_argument("--config", type=Path, default=ROOT / "params.toml")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="variant names (default: all)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    cfg = config.load(args.config)
    tokens = pd.read_parquet(args.results / "tokens" / "tokens.parquet")
    names = args.only or list(VARIANTS)
    seeds = list(range(1, args.seeds + 1))
    corpora: dict[tuple, Any] = {}
    plans: dict[str, Any] = {}
    tasks = []
    for name in names:
        tc = dataclasses.replace(cfg.topics, **VARIANTS[name][1])
        key = tuple(getattr(tc, k) for k in CORPUS_KEYS)
        if key not in corpora:
            corpus = corpus_from_config(tokens, tc, cfg.root)
            heldout = holdout_mask(
                len(corpus.units), share=tc.holdout, seed=derive_seed(cfg.seed, 1)
            )
            corpora[key] = (corpus, heldout)
        corpus, heldout = corpora[key]
        plans[name] = (tc, corpus, heldout)
        train = corpus.dtm.counts[~heldout]
        options = {
            "k": args.k,
            "engine": tc.engine,
            "passes": tc.passes,
            "iterations": tc.iterations,
            "chunksize": tc.chunksize,
            "gibbs_iterations": tc.gibbs_iterations,
            "alpha": tc.alpha,
            "eta": tc.eta,
            "learn_alpha": tc.learn_alpha,
        }
        for s in seeds:
            rs = derive_seed(cfg.seed, 2, args.k, s)
            tasks.append((name, train, {**options, "seed": s, "random_state": rs}))
    listed = place_names(dataclasses.replace(cfg.topics, drop_places=True), cfg.root).keys()
    listed = set(listed) | set(topic_stoplist(cfg.topics, cfg.root))
    fits: dict[str, list] = {n: [] for n in names}
    rows = []
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(args.workers) as pool:
        for fut in cf.as_completed([pool.submit(_fit, t) for t in tasks]):
            name, fit = fut.result()
            fits[name].append(fit)
            print(f"{time.perf_counter() - t0:7.0f} s  {name} seed {fit.seed}: {fit.seconds:.1f} s")
            if len(fits[name]) < len(seeds):
                continue
            tc, corpus, heldout = plans[name]
            runs = sorted(fits[name], key=lambda f: f.seed)
            table = score_fits(runs, corpus, heldout, top_n=tc.coherence_top_n)
            stab = topic_stability([r.topic_term for r in runs], threshold=tc.stability_threshold)
            ref = runs[stab.reference].topic_term
            top10 = corpus.vocab[np.argsort(-ref, axis=1, kind="stable")[:, :10]]
            rows.append(
                {
                    "variant": name,
                    "design": VARIANTS[name][0],
                    "k": args.k,
                    "seeds": len(runs),
                    "units": len(corpus.units),
                    "terms": len(corpus.vocab),
                    "stable": int(stab.table["stable"].sum()),
                    "stable_share": round(float(stab.table["stable"].mean()), 3),
                    "mean_stability": round(float(stab.table["stability"].mean()), 3),
                    "top_overlap": round(float(stab.table["top_overlap"].mean()), 3),
                    **{
                        m: round(float(table[m].mean()), 4)
                        for m in ("c_npmi", "c_v", "u_mass", "diversity")
                    },
                    "perplexity": round(float(table["perplexity"].mean()), 1),
                    "fit_seconds": round(float(np.mean([r.seconds for r in runs])), 1),
                    "listed_in_top10": int(np.isin(top10, list(listed)).sum()),
                }
            )
            out = _merged(args.out, pd.DataFrame(rows))
            out.to_csv(args.out, index=False)
            print(markdown(out.tail(1)), flush=True)
    print(markdown(pd.read_csv(args.out)))


if __name__ == "__main__":
    main()
