"""Benchmark of the measures stage on the bundled corpus, each step against its baseline.

- concept counting: our single trie regex (longest match, one pass per paragraph) against the
  obvious baseline, one ``str.count`` per term and paragraph (which also double counts nested
  terms, so only its time is compared);
- bootstrap intervals: resampling by index counts (``analysis.bootstrap.Resampler``) against
  ``rng.multinomial`` weights, same replicates;
- the whole ``build_measures``.

Run: ``python benchmarks/bench_measures.py [--results results]`` (needs corpus and tokens).
Prints a table and writes ``benchmarks/results/bench_measures.csv``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config as config_mod
from analysis.bootstrap import Resampler
from analysis.corpus import load_corpus
from analysis.measures import build_measures
from analysis.measures.concepts import ConceptMatcher, load_concepts

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeat: int = 3) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results")
    args = parser.parse_args()
    cfg = config_mod.load(ROOT / "params.toml")
    results = cfg.path(args.results)
    _, paragraphs = load_corpus(results)
    texts = paragraphs["text"].tolist()
    terms = load_concepts(cfg.path(cfg.measures.concepts)).terms["term"].tolist()
    matcher = ConceptMatcher(terms)

    rows = [
        ("count concepts", "trie regex (ours)", timed(lambda: matcher.count_matrix(texts))),
        (
            "count concepts",
            "str.count per term (baseline)",
            timed(lambda: [[t.count(term) for term in terms] for t in texts], repeat=1),
        ),
    ]
    n, n_boot = 300, 1000

    def multinomial() -> np.ndarray:
        return np.random.default_rng(1).multinomial(n, np.full(n, 1 / n), size=n_boot)

    rows += [
        (
            "bootstrap weights (300 paragraphs x 1000)",
            "index counts (ours)",
            timed(lambda: Resampler.build(n).draw(np.random.default_rng(1), n_boot)),
        ),
        (
            "bootstrap weights (300 paragraphs x 1000)",
            "rng.multinomial (baseline)",
            timed(multinomial),
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for stage in ("corpus", "tokens"):
            shutil.copytree(results / stage, Path(tmp) / stage)
        rows.append(
            (
                "policyshift measures",
                "build_measures",
                timed(lambda: build_measures(cfg, results=tmp), 1),
            )
        )
    table = pd.DataFrame(rows, columns=["step", "method", "seconds"])
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    out = ROOT / "benchmarks" / "results" / "bench_measures.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)


if __name__ == "__main__":
    main()
