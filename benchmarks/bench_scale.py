"""Wall time, throughput and peak memory of each stage as the corpus grows (issue 15).

``python benchmarks/bench_scale.py [--sizes 1 10] [--full]`` writes, in a temporary folder, a
synthetic corpus of each size (``make_corpus.py``: N times the bundled paragraphs) and runs
``policyshift ingest``, ``tokens``, ``measures`` and ``topics`` on it, each in its own subprocess
(peak resident set size from ``os.wait4``), with the defaults of params.toml except one topic fit
(K = 20, one seed, the stability refits of the default) and no figures. ``--full`` adds 100x.
Prints a markdown table (also ``benchmarks/results/bench_scale.md``, not committed): wall time,
characters per second per core (the corpus's characters over the wall time and the cores
used), peak RSS; then, per stage, the ratio of its wall time between consecutive sizes (linear
growth: the ratio of the sizes).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_corpus import bundled_paragraphs, make_corpus  # noqa: E402
from measure import run_cli  # noqa: E402

GB = 1024**3
STAGES = ("ingest", "tokens", "measures", "topics")
CONFIG = """extends = {base!r}
results = "results"
[topics]
k_grid = [20]
seeds = [1]
chosen_k = 20
"""


def bench_size(factor: float, paragraphs: pd.DataFrame, work: Path) -> list[dict]:
    """Every stage on a corpus of ``factor`` times the bundled paragraphs, in ``work``."""
    counts = make_corpus(paragraphs, factor, work / "corpus", seed=0)
    config = work / "bench.toml"
    config.write_text(CONFIG.format(base=(ROOT / "params.toml").as_posix()), encoding="utf-8")
    cores = os.cpu_count() or 1
    rows = []
    for stage in STAGES:
        args = ["--config", str(config), "--results", str(work / "results")]
        if stage == "ingest":
            args = [str(work / "corpus" / "raw"), "--metadata", str(work / "corpus" / "metadata.csv"), *args]  # fmt: skip
        seconds, rss = run_cli([stage, *args], work)
        rows.append(
            {
                "size": f"{factor:g}x",
                "reports": counts["reports"],
                "characters": counts["characters"],
                "stage": stage,
                "wall_s": round(seconds, 1),
                "M_chars_per_s_per_core": round(counts["characters"] / seconds / cores / 1e6, 3),
                "peak_rss_gb": round(rss / GB, 2),
            }
        )
        print(rows[-1], flush=True)
    return rows


def growth(table: pd.DataFrame) -> pd.DataFrame:
    """Per stage, the wall-time ratio between consecutive sizes, beside the size ratio."""
    rows = []
    sizes = list(dict.fromkeys(table["size"]))
    for a, b in itertools.pairwise(sizes):
        ta, tb = (table[table["size"] == s].set_index("stage") for s in (a, b))
        for stage in STAGES:
            rows.append(
                {
                    "stage": stage,
                    "sizes": f"{b}/{a}",
                    "characters_ratio": round(tb.loc[stage, "characters"] / ta.loc[stage, "characters"], 2),
                    "wall_ratio": round(tb.loc[stage, "wall_s"] / ta.loc[stage, "wall_s"], 2),
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a markdown table."""
    lines = [list(map(str, table.columns)), ["---"] * table.shape[1]]
    lines += [[str(v) for v in row] for row in table.itertuples(index=False)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--full", action="store_true", help="add 100x")
    args = parser.parse_args(argv)
    sizes = [*args.sizes, *([100.0] if args.full and 100.0 not in args.sizes else [])]
    paragraphs = bundled_paragraphs(None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        for factor in sizes:
            rows += bench_size(factor, paragraphs, Path(tmp) / f"x{factor:g}")
    table = pd.DataFrame(rows)
    ratios = growth(table)
    text = markdown(table) + "\n" + (f"\n{markdown(ratios)}\n" if len(ratios) else "")
    print(text)
    out = ROOT / "benchmarks" / "results" / "bench_scale.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
