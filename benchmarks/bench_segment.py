"""Speed and agreement of the policyshift tokenizer against plain jieba with the same dictionary.

Run: ``python benchmarks/bench_segment.py [--results DIR] [--repeat 20]``. Reads
``<results>/corpus/paragraphs.parquet`` (or ingests ``data/raw`` into a temporary folder when it is
missing), then times, in one run:

- reference: ``jieba.Tokenizer().lcut(text, HMM=False)`` per paragraph in this process, with jieba's
  ``dict.txt`` and the policy lexicon added at the same frequency (``LEXICON_FREQ``);
- ours: ``Tokenizer.tokenize_many`` (rjieba, all cores, numbers mapped, filters applied);

on the whole corpus and on ``--repeat`` copies of it, and reports agreement of the raw token
sequences (``Tokenizer`` before filtering vs the reference). Prints a markdown table and writes it
to ``benchmarks/results/bench_segment.md``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import statistics
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis.config import TokenConfig
from analysis.tokens.lexicon import jieba_dict_path
from analysis.tokens.segment import LEXICON_FREQ, Tokenizer

ROOT = Path(__file__).resolve().parents[1]


def load_texts(results: Path) -> list[str]:
    """Paragraph texts of the ingested corpus (ingesting into a temp dir when needed)."""
    path = results / "corpus" / "paragraphs.parquet"
    if path.exists():
        return pd.read_parquet(path, columns=["text"])["text"].tolist()
    from analysis import config
    from analysis.corpus import ingest

    with tempfile.TemporaryDirectory() as tmp:
        corpus = ingest(config=config.load(ROOT / "params.toml"), results=tmp)
        return corpus.paragraphs["text"].tolist()


def reference_segmenter(lexicon: dict[str, str]):
    """Plain jieba instance: default dict.txt + the lexicon at LEXICON_FREQ."""
    import jieba

    ref = jieba.Tokenizer(dictionary=str(jieba_dict_path()))
    ref.initialize()
    for term in lexicon:
        ref.add_word(term, LEXICON_FREQ)
    return ref


def spans(tokens: list[str]) -> set[tuple[int, int]]:
    """Character spans ``(start, end)`` of a token sequence."""
    out, pos = set(), 0
    for t in tokens:
        out.add((pos, pos + len(t)))
        pos += len(t)
    return out


def agreement(ours: list[list[str]], ref: list[list[str]]) -> tuple[float, float, list[int]]:
    """(share of paragraphs with identical tokens, share of reference tokens matched by span,
    indices of differing paragraphs)."""
    differ = [i for i, (a, b) in enumerate(zip(ours, ref, strict=True)) if a != b]
    n_ref = sum(len(b) for b in ref)
    missing = sum(len(spans(ref[i]) - spans(ours[i])) for i in differ)
    return 1 - len(differ) / len(ref), 1 - missing / n_ref, differ


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--repeat", type=int, default=20, help="copies of the corpus for the large run")
    args = ap.parse_args(argv)

    texts = load_texts(args.results)
    tokenizer = Tokenizer(TokenConfig(), ROOT).fit()
    ref = reference_segmenter(tokenizer.lexicon_)
    workers = os.cpu_count() or 1

    rows = []
    # The corpus run is timed 3 times for both engines (median), the 20x run once each (one
    # jieba pass takes over 2 minutes); runs alternate, so both see the same machine load.
    runs = (("corpus", texts, 3), (f"corpus x{args.repeat}", texts * args.repeat, 1))
    for label, corpus, times in runs:
        n_chars = sum(map(len, corpus))
        ours, refs = [], []
        for _ in range(times):
            t0 = time.perf_counter()
            tokenizer.tokenize_many(corpus)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for t in corpus:
                ref.lcut(t, HMM=False)
            refs.append(time.perf_counter() - t0)
        rows.append((label, len(corpus), n_chars, statistics.median(refs), statistics.median(ours)))

    ours_raw = tokenizer._cut_many(texts)
    ref_raw = [ref.lcut(t, HMM=False) for t in texts]
    par_share, tok_share, differ = agreement(ours_raw, ref_raw)

    lines = [
        "# Tokenizer benchmark",
        "",
        f"{platform.processor() or platform.machine()}, {workers} cores (os.cpu_count), "
        f"Python {platform.python_version()}, jieba {metadata.version('jieba')}, "
        f"rjieba {metadata.version('rjieba')}. Reference: jieba.lcut(HMM=False), one process, "
        "same dictionary (dict.txt + policy lexicon). Ours: Tokenizer.tokenize_many (rjieba, "
        f"{workers} worker processes, numbers mapped, stopwords/punctuation removed).",
        "",
        "| input | paragraphs | characters | jieba s | jieba chars/s | ours s | ours chars/s "
        "| speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n, n_chars, t_ref, t_ours in rows:
        lines.append(
            f"| {label} | {n:,} | {n_chars:,} | {t_ref:.2f} | {n_chars / t_ref:,.0f} "
            f"| {t_ours:.2f} | {n_chars / t_ours:,.0f} | {t_ref / t_ours:.1f}x |"
        )
    lines += [
        "",
        f"Raw-token agreement with the reference on the corpus ({len(texts):,} paragraphs): "
        f"paragraphs identical {par_share:.4%}, tokens matched {tok_share:.4%}, "
        f"differing paragraphs: {len(differ)}.",
    ]
    for i in differ:
        ops = difflib.SequenceMatcher(a=ours_raw[i], b=ref_raw[i], autojunk=False).get_opcodes()
        diffs = [
            f"{'/'.join(ours_raw[i][a0:a1])} vs {'/'.join(ref_raw[i][b0:b1])}"
            for op, a0, a1, b0, b1 in ops
            if op != "equal"
        ]
        lines.append(f"- paragraph {i} (ours vs jieba): {'; '.join(diffs)}")
    table = "\n".join(lines) + "\n"
    print(table)
    out = ROOT / "benchmarks" / "results" / "bench_segment.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
