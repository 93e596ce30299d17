"""Wall-clock time of ``policyshift ingest`` on the bundled corpus (issue: under 15 s on 2 cores).

Runs the ingest API ``--repeat`` times (default 3) into a temporary results folder and prints
the median, with the corpus size, as a markdown table (also written to
``benchmarks/results/bench_ingest.md``, which is not committed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from analysis import config
from analysis.corpus import ingest

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Time repeated ingests and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("POLICYSHIFT_QUIET", "1")
    cfg = config.load(ROOT / "params.toml")
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            corpus = ingest(config=cfg, results=tmp)
            times.append(time.perf_counter() - t0)
    n_chars = int(corpus.documents["n_chars"].sum())
    table = "\n".join(
        [
            "| step | reports | characters | cores | median s | min s | max s |",
            "|---|---|---|---|---|---|---|",
            f"| ingest (bundled corpus) | {len(corpus.documents)} | {n_chars} | {os.cpu_count()} | "
            f"{statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |",
        ]
    )
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_ingest.md").write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
