"""Wall time, throughput and peak memory of each stage as the corpus grows (issue 15).

``python benchmarks/bench_scale.py [--sizes 1 10] [--full]`` writes, in a temporary folder, a
synthetic corpus of each size (``make_corpus.py``: N times the bundled paragraphs) and runs
``policyshift ingest``, ``tokens``, ``measures`` and ``topics`` on it, each in its own subprocess
(peak resident set size of the command and its worker processes: ``measure.run_cli``), with the
defaults of params.toml except one topic fit (K = 20, one seed, the stability refits of the
default) and no figures. ``--full`` adds 100x; ``--stages ingest tokens measures`` stops before
the topics. ``--engines local dask`` runs every size on both engines side by side (``[engine]
scheduler = "dask"``, ``address = "local:2"``: a Dask ``LocalCluster`` of 2 workers, their memory
counted in the peak RSS) and says whether their tables and topics are the same bytes.
Prints a markdown table (also ``benchmarks/results/bench_scale.md``, not committed): wall time,
characters per second per core (the corpus's characters over the wall time and the cores
used), peak RSS; then, per engine and stage, the ratio of its wall time between consecutive
sizes (linear growth: the ratio of the sizes).
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

from analysis.io import sha256_file  # noqa: E402

GB = 1024**3
STAGES = ("ingest", "tokens", "measures", "topics")
CONFIG = """extends = {base!r}
results = "results"
[topics]
k_grid = [20]
seeds = [1]
chosen_k = 20
"""
ENGINES = {"local": "", "dask": '[engine]\nscheduler = "dask"\naddress = "local:2"\n'}


def bench_size(
    factor: float,
    paragraphs: pd.DataFrame,
    work: Path,
    engines: list[str],
    stages: tuple[str, ...] = STAGES,
) -> list[dict]:
    """Every stage on a corpus of ``factor`` times the bundled paragraphs, in ``work``, once per
    engine (results in ``work/results_<engine>``)."""
    counts = make_corpus(paragraphs, factor, work / "corpus", seed=0)
    cores = os.cpu_count() or 1
    rows = []
    for engine, stage in itertools.product(engines, stages):
        config = work / f"bench_{engine}.toml"
        base = CONFIG.format(base=(ROOT / "params.toml").as_posix())
        config.write_text(base + ENGINES[engine], encoding="utf-8")
        args = ["--config", str(config), "--results", str(work / f"results_{engine}")]
        if stage == "ingest":
            args = [str(work / "corpus" / "raw"), "--metadata", str(work / "corpus" / "metadata.csv"), *args]  # fmt: skip
        seconds, rss = run_cli([stage, *args], work)
        rows.append(
            {
                "size": f"{factor:g}x",
                "engine": engine,
                "reports": counts["reports"],
                "characters": counts["characters"],
                "stage": stage,
                "wall_s": round(seconds, 1),
                "M_chars_per_s_per_core": round(counts["characters"] / seconds / cores / 1e6, 3),
                "peak_rss_gb": round(rss / GB, 2),
            }
        )
        print(rows[-1], flush=True)
    if len(engines) > 1:
        digests = [_digests(work / f"results_{e}") for e in engines]
        same = all(d == digests[0] for d in digests[1:])
        print(f"{factor:g}x: tables and topics of {' and '.join(engines)}: "
              f"{'the same bytes' if same else 'DIFFERENT'}", flush=True)  # fmt: skip
    return rows


def _digests(results: Path) -> dict[str, str]:
    """sha256 of each file of ``tables/`` and ``topics/`` but wall times and stamps."""
    return {
        p.relative_to(results).as_posix(): sha256_file(p)
        for folder in ("tables", "topics")
        for p in sorted((results / folder).rglob("*"))
        if p.is_file() and p.name not in ("timings.csv", "stamp.json")
    }


def growth(table: pd.DataFrame) -> pd.DataFrame:
    """Per stage, the wall-time ratio between consecutive sizes, beside the size ratio."""
    rows = []
    sizes = list(dict.fromkeys(table["size"]))
    for engine, (a, b) in itertools.product(
        dict.fromkeys(table["engine"]), itertools.pairwise(sizes)
    ):
        mine = table[table["engine"] == engine]
        ta, tb = (mine[mine["size"] == s].set_index("stage") for s in (a, b))
        for stage in dict.fromkeys(mine["stage"]):
            rows.append(
                {
                    "engine": engine,
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
    parser.add_argument("--engines", nargs="+", choices=sorted(ENGINES), default=["local"])
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES),
                        help="the first stages only (each needs the ones before it)")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = [*args.sizes, *([100.0] if args.full and 100.0 not in args.sizes else [])]
    paragraphs = bundled_paragraphs(None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        for factor in sizes:
            rows += bench_size(
                factor, paragraphs, Path(tmp) / f"x{factor:g}", args.engines, tuple(args.stages)
            )
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
