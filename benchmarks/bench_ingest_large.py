"""Peak memory and wall time of ``policyshift ingest`` on a large compilation file (issue 13).

In one run, in a temporary folder: ingest the bundled corpus (the baseline), write a
compilation of about ``--mb`` MB (default 200) from its clean reports, each under a title line
(its own, else ``<year>年<place>政府工作报告``), repeated with a copy number on every line so
that no copy is a repeat of another, and ingest that one file. Reports that still hold a masked
``*`` after restoration are left out: this benchmark measures reading, decoding, cleaning and
splitting a large file. (Restoration builds an n-gram index of the whole collection of a masked
report, about 80 bytes per character of that collection, whether it comes in one file or many;
that cost belongs to the size of a collection, not of a file, and is not bounded here.) Each ingest runs in its own
subprocess; its peak resident set size is read with ``os.wait4``. Prints a markdown table
(also written to ``benchmarks/results/bench_ingest_large.md``, not committed) and exits 1 when
the large ingest peaks at ``--limit-gb`` GB (default 2) or more.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from analysis.corpus import restore, split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run_cli

ROOT = Path(__file__).resolve().parents[1]
GB = 1024**3


def run_ingest(paths: list[Path], results: Path) -> tuple[float, int]:
    """Run ``policyshift ingest paths --results results --force`` in a subprocess; return its
    wall time (s) and peak resident set size (bytes)."""
    return run_cli(["ingest", *map(str, paths), "--results", str(results), "--force"], ROOT)


def title_line(doc: pd.Series) -> str:
    """The title line a report of the compilation opens with (one :data:`split.TITLE_RE`
    matches)."""
    title = str(doc["title"] or "").strip()
    if split.TITLE_RE.match(title):
        return title
    return (
        f"{doc['year'] if pd.notna(doc['year']) else 2000}年{doc['place'] or '某某市'}政府工作报告"
    )


def write_compilation(documents: pd.DataFrame, path: Path, *, size: int) -> int:
    """Write at least ``size`` bytes (UTF-8) of ``documents``' reports under their title lines
    to ``path``; copy ``k`` > 0 ends every line but
    the title with `` <k>``. Returns the number of reports."""
    n = 0
    written = 0
    with path.open("w", encoding="utf-8") as out:
        copy = 0
        while written < size:
            tag = f" {copy}" if copy else ""
            for _, doc in documents.iterrows():
                title = title_line(doc)
                lines = str(doc["text"]).split("\n")
                if lines[0].strip() == title:
                    lines = lines[1:]
                body = "\n".join(x + tag if x.strip() else x for x in lines)
                block = f"{title}\n{body}\n"
                written += len(block.encode("utf-8"))
                out.write(block)
                n += 1
            copy += 1
    return n


def main() -> None:
    """Ingest the bundled corpus and a large compilation; print time and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the compilation (MB)")
    parser.add_argument("--limit-gb", type=float, default=2.0, help="peak RSS limit (GB)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        raw = ROOT / "data" / "raw"
        seconds, peak = run_ingest([raw], base)
        documents = pd.read_parquet(base / "corpus" / "documents.parquet")
        documents = documents[[not restore.masked_offsets(t) for t in documents["text"]]]
        size = sum(p.stat().st_size for p in raw.rglob("*.txt"))
        rows.append(("bundled corpus (baseline)", size, len(documents), seconds, peak))
        big = Path(tmp) / "compilation" / "compilation.txt"
        big.parent.mkdir()
        n = write_compilation(documents, big, size=int(args.mb * 1e6))
        seconds, peak = run_ingest([big], Path(tmp) / "large")
        rows.append((f"one compilation of {n} reports", big.stat().st_size, n, seconds, peak))
    table = "\n".join(
        [
            "| ingest | input MB | reports | cores | wall s | peak RSS MB | peak / input |",
            "|---|---|---|---|---|---|---|",
            *(
                f"| {name} | {size / 1e6:.1f} | {n} | {os.cpu_count()} | {s:.1f} | "
                f"{rss / 1e6:.0f} | {rss / size:.1f} |"
                for name, size, n, s, rss in rows
            ),
        ]
    )
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_ingest_large.md").write_text(table + "\n", encoding="utf-8")
    peak = rows[-1][-1]
    if peak >= args.limit_gb * GB:
        print(f"large ingest peaked at {peak / GB:.2f} GB >= {args.limit_gb} GB", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
