"""Wall-clock time of ``make all`` with nothing changed (issue: under 5 s on 2 cores).

Builds the bundled corpus with the small test config ``tests/fast.toml`` into a temporary
results folder (once, about a minute), then times ``--repeat`` runs of ``policyshift run`` that
find every stage up to date, against two baselines measured in the same run: the interpreter
starting and importing the CLI (``python -m analysis --help``), and reading and hashing every
file the stamps check (the floor of any content-based check). Prints a markdown table (also
written to ``benchmarks/results/bench_rebuild.md``, which is not committed).

Run: ``python benchmarks/bench_rebuild.py [--repeat 5] [--results DIR]`` (an existing DIR built
with the fast config is reused).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import config, io
from analysis.pipeline import results_of
from analysis.results import STAGES

ROOT = Path(__file__).resolve().parents[1]
FAST = ROOT / "tests" / "fast.toml"


def timed(cmd: list[str], repeat: int) -> list[float]:
    """Wall times of ``repeat`` runs of ``cmd`` (each must exit 0)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def checked_files(cfg: config.Config, results: Path) -> list[Path]:
    """Every file a no-op run hashes: the inputs and outputs listed in the stamps."""
    res = results_of(cfg, results)
    files: list[Path] = []
    for stage in STAGES:
        stamp = res.stamp(stage) or {}
        files += [cfg.root / rel for rel in stamp.get("inputs", {})]
        files += [res.root / rel for rel in stamp.get("upstream", {})]
        files += [res.stage_dir(stage) / rel for rel in stamp.get("outputs", {})]
    return [f for f in files if f.is_file()]


def main() -> None:
    """Build once, then time no-op runs against the baselines; print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", type=Path, help="results folder (default: a temporary one)")
    args = parser.parse_args()
    os.environ["POLICYSHIFT_QUIET"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results or Path(tmp) / "results"
        run = [sys.executable, "-m", "analysis", "run", "--config", str(FAST)]
        run += ["--results", str(results)]
        subprocess.run(run, cwd=ROOT, check=True, capture_output=True)  # build (or reuse)
        noop = timed(run, args.repeat)
        start = timed([sys.executable, "-m", "analysis", "--help"], args.repeat)
        cfg = config.load(FAST)
        files = checked_files(cfg, results)
        t0 = time.perf_counter()
        n_bytes = sum(f.stat().st_size for f in files)
        for f in files:
            io.sha256_file(f)
        hashing = time.perf_counter() - t0
    rows = [
        ("`policyshift run`, every stage up to date (= `make all`)", noop),
        ("baseline: start Python and import the CLI", start),
        (f"baseline: hash the {len(files)} files stamps check ({n_bytes / 1e6:.0f} MB)", [hashing]),
    ]
    table = "\n".join(
        [
            f"| step ({os.cpu_count()} cores) | median s | min s | max s |",
            "|---|---|---|---|",
            *(
                f"| {name} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} |"
                for name, t in rows
            ),
        ]
    )
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_rebuild.md").write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
