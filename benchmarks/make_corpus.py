"""Write a deterministic synthetic corpus of N times the bundled paragraphs (issue 15).

``python benchmarks/make_corpus.py N --out DIR [--seed S] [--source RESULTS]`` writes
``DIR/raw/<k>/syn_<i>.txt`` (pseudo-reports, at most 1,000 per folder) and ``DIR/metadata.csv``
(one row per file: ``doc_id, source_file, part, title, place, level, province, prefecture,
region, year, doc_type``), so that ``policyshift ingest DIR/raw --metadata DIR/metadata.csv``
reads every file as a valid report.

Each pseudo-report takes the place, level, paragraph count and section layout of a bundled
report drawn at random (the base), a year of 1990-2025, and a title line
``<year>年<place>政府工作报告``. The first paragraph of each of the base's sections (its heading)
is kept; every other paragraph is the one at the same relative position within the same section
of another bundled report of the same level, drawn anew for each paragraph. So review and plan
sections are found as in a real report, no two pseudo-reports share more than their headings
and a few paragraphs (none is flagged as a copy), and the vocabulary and paragraph lengths are
those of the bundled corpus. Masks (``*``) are left out, so ingest has nothing to restore (the
bundled reports' restoration is measured by ``bench_restore_calibration.py``). The bundled
paragraphs come from ``--source`` (a results folder with ``corpus/``) or, by default, an ingest
of ``data/raw`` in memory. Reports are written until N times the bundled paragraph count is
reached. Same N, seed and bundled corpus: the same bytes.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.corpus import split

ROOT = Path(__file__).resolve().parents[1]
PER_FOLDER = 1000
YEARS = (1990, 2025)
META_COLUMNS = [
    "doc_id", "source_file", "part", "title", "place", "level", "province", "prefecture",
    "region", "year", "doc_type",
]  # fmt: skip


def bundled_paragraphs(source: Path | None) -> pd.DataFrame:
    """The bundled corpus's paragraphs (``doc_id, paragraph, text`` and the docvars), from
    ``source/corpus/paragraphs.parquet`` or an ingest of data/raw in memory."""
    if source is not None:
        return pd.read_parquet(source / "corpus" / "paragraphs.parquet")
    from analysis import config as config_mod
    from analysis.corpus.ingest import compute_corpus

    cfg = config_mod.load(ROOT / "params.toml")
    return compute_corpus(None, config=cfg, cache_dir=None).paragraphs


def make_corpus(paragraphs: pd.DataFrame, factor: float, out: Path, *, seed: int = 0) -> dict:
    """Write the pseudo-reports and metadata.csv under ``out``; return counts (reports,
    paragraphs, characters)."""
    rng = np.random.default_rng(seed)
    paragraphs = paragraphs.assign(text=paragraphs["text"].str.replace("*", "", regex=False))
    # no empty paragraph, and no title line of a report (it would split a pseudo-report in two)
    titles = paragraphs["text"].map(lambda t: split.TITLE_RE.match(t.strip()) is not None)
    paragraphs = paragraphs[(paragraphs["text"].str.len() > 0) & ~titles]
    docs = paragraphs.drop_duplicates("doc_id").reset_index(drop=True)
    by_doc = {d: g for d, g in paragraphs.groupby("doc_id", sort=True)}
    texts = {d: g["text"].to_numpy() for d, g in by_doc.items()}
    sections = {d: g["section"].to_numpy() for d, g in by_doc.items()}
    by_section = {
        key: g["text"].to_numpy() for key, g in paragraphs.groupby(["doc_id", "section"], sort=True)
    }
    by_level = {lv: g["doc_id"].to_numpy() for lv, g in docs.groupby("level", sort=True)}
    target = round(factor * len(paragraphs))
    written = chars = 0
    rows = []
    i = 0
    while written < target:
        base = docs.iloc[int(rng.integers(len(docs)))]
        n = len(texts[base["doc_id"]])
        pool = by_level[base["level"]]
        donors = pool[rng.integers(len(pool), size=n)]
        own, labels = texts[base["doc_id"]], sections[base["doc_id"]]
        # the base's runs of one section: [begin, end) of each
        cuts = [0, *(np.flatnonzero(labels[1:] != labels[:-1]) + 1), n]
        body = []
        for begin, end in itertools.pairwise(cuts):
            body.append(own[begin])  # the base's own heading line: its sections stay detectable
            for j in range(begin + 1, end):
                donor_texts = by_section.get((donors[j], labels[j]), texts[donors[j]])
                at = (j - begin) * len(donor_texts) // (end - begin)
                body.append(donor_texts[min(len(donor_texts) - 1, at)])
        year = int(rng.integers(YEARS[0], YEARS[1] + 1))
        title = f"{year}年{base['place']}政府工作报告"
        rel = f"{i // PER_FOLDER:03d}/syn_{i:06d}.txt"
        path = out / "raw" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(title + "\n" + "\n".join(body) + "\n", encoding="utf-8")
        rows.append(
            {
                "doc_id": f"syn_{i:06d}",
                "source_file": rel,
                "part": 1,
                "title": title,
                "place": base["place"],
                "level": base["level"],
                "province": base["province"],
                "prefecture": base["prefecture"],
                "region": base["region"],
                "year": year,
                "doc_type": "work_report",
            }
        )
        written += n
        chars += sum(len(t) for t in body)
        i += 1
    pd.DataFrame(rows, columns=META_COLUMNS).to_csv(
        out / "metadata.csv", index=False, lineterminator="\n"
    )
    return {"reports": i, "paragraphs": written, "characters": chars}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("factor", type=float, help="N: times the bundled paragraph count")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (new)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", type=Path, help="results folder with corpus/ to copy from")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out}: not empty; give a new folder", file=sys.stderr)
        return 2
    counts = make_corpus(bundled_paragraphs(args.source), args.factor, args.out, seed=args.seed)
    print(
        f"{args.out}: {counts['reports']:,} reports, {counts['paragraphs']:,} paragraphs, "
        f"{counts['characters']:,} characters"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
