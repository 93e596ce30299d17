"""Command-line interface: ``policyshift <command>``; every command only calls the package API.

Every command takes ``--results DIR`` (default from the config, ``results/``) and ``--config``
(default ``params.toml`` in the current directory).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import config as config_mod
from analysis import io

DEBUG_HELP = "show the traceback of an error (a bad config exits 2 with one message)"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", metavar="DIR", help="results directory (default: config)")
    p.add_argument("--config", metavar="TOML", help="config file (default: ./params.toml)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Read raw files into documents and paragraphs."""
    from analysis.corpus import IngestFailed, ingest
    from analysis.metadata import MetadataError

    cfg = config_mod.load(args.config)
    t0 = time.perf_counter()
    try:
        corpus = ingest(
            args.paths or None,
            config=cfg,
            metadata=args.metadata,
            results=args.results,
            strict=args.strict,
        )
    except MetadataError as exc:
        print(f"policyshift ingest: {exc}", file=sys.stderr)
        return 2
    except IngestFailed as exc:
        print(f"policyshift ingest: rejected input (--strict): {exc}", file=sys.stderr)
        return 1
    rep = corpus.report
    status = rep["status"].str.replace(r"split into \d+", "split", regex=True).value_counts()
    print(
        f"ingest: {len(rep)} files ({', '.join(f'{n} {s}' for s, n in status.items())}) -> "
        f"{len(corpus.documents)} reports, {len(corpus.paragraphs)} paragraphs "
        f"in {time.perf_counter() - t0:.1f} s; corpus {corpus.corpus_hash}"
    )
    for r in rep[rep["status"] == "rejected"].itertuples():
        print(f"  rejected {r.file}: {r.reason}", file=sys.stderr)
    return 0


def _results(cfg: config_mod.Config, args: argparse.Namespace) -> Path:
    return cfg.path(args.results or cfg.results)


def cmd_tokens(args: argparse.Namespace) -> int:
    """Build (or reuse) the token cache ``<results>/tokens/tokens.parquet``."""
    from analysis import io
    from analysis.corpus import load_corpus
    from analysis.segment import Tokenizer, build_tokens

    cfg = config_mod.load(args.config)
    results = _results(cfg, args)
    t0 = time.perf_counter()
    _, paragraphs = load_corpus(results)
    tokenizer = Tokenizer(cfg.tokens, cfg.root)
    tokens = build_tokens(
        paragraphs,
        config=cfg.tokens,
        root=cfg.root,
        cache_dir=results / "tokens",
        tokenizer=tokenizer,
    )
    out = results / "tokens" / "tokens.parquet"
    io.record_stage(results, "tokens", [out], cfg, inputs=["corpus/paragraphs.parquet"])
    n = int(tokens["tokens"].map(len).sum())
    print(
        f"tokens: {len(tokens)} paragraphs, {n} tokens in {time.perf_counter() - t0:.2f} s -> {out}"
    )
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    """Print the tokens of TEXT, or of each line of standard input, space-separated."""
    from analysis.segment import Tokenizer, tokenize_lines

    cfg = config_mod.load(args.config)
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    for out in tokenize_lines(lines, Tokenizer(cfg.tokens, cfg.root)):
        print(out)
    return 0


def cmd_lexicon_check(args: argparse.Namespace) -> int:
    """List lexicon entries the tokenizer splits; exit 1 if there is any."""
    from analysis.corpus import load_corpus
    from analysis.segment import Tokenizer, lexicon_check

    cfg = config_mod.load(args.config)
    _, paragraphs = load_corpus(_results(cfg, args))
    found = lexicon_check(
        paragraphs, Tokenizer(cfg.tokens, cfg.root), include_overlaps=args.overlaps
    )
    if found.empty:
        print("lexicon-check: every lexicon entry stays whole in the corpus")
        return 0
    print(found.to_csv(index=False, sep="\t"), end="")
    splits = int((found["kind"] == "split").sum())
    print(
        f"lexicon-check: {splits} split occurrences, {len(found) - splits} overlaps",
        file=sys.stderr,
    )
    return 1 if splits else 0


def cmd_measures(args: argparse.Namespace) -> int:
    """Build the measures tables: concept panel, TF-IDF, keyness, term counts."""
    from analysis.measures import build_measures

    cfg = config_mod.load(args.config)
    results = _results(cfg, args)
    t0 = time.perf_counter()
    written = build_measures(cfg, results=results)
    print(
        f"measures: {len(written)} tables in {time.perf_counter() - t0:.1f} s -> {results}/tables"
    )
    return 0


def cmd_keyness(args: argparse.Namespace) -> int:
    """Keyness of the --target documents against the --reference documents."""
    from analysis.features import build_dtm
    from analysis.keyness import keyness

    cfg = config_mod.load(args.config)
    results = _results(cfg, args)
    tokens = pd.read_parquet(results / "tokens" / "tokens.parquet")
    try:
        table = keyness(build_dtm(tokens, unit=args.unit), args.target, args.reference)
    except ValueError as exc:
        print(f"policyshift keyness: {exc}", file=sys.stderr)
        return 2
    if args.out:
        io.write_csv(table, args.out)
    head = pd.concat([g.head(args.top) for _, g in table.groupby("direction", sort=False)])
    cols = ["term", "target_count", "reference_count", "g2", "q", "log_ratio", "direction"]
    print(head[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(
        f"keyness: {len(table)} terms; target {table['target_total'].iloc[0]} tokens, "
        f"reference {table['reference_total'].iloc[0]} tokens"
        + (f" -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def cmd_kwic(args: argparse.Namespace) -> int:
    """Print every occurrence of TERM in the clean text with its context."""
    from analysis.concepts import ConceptMatcher, load_concepts
    from analysis.corpus import load_corpus
    from analysis.kwic import KWIC_COLUMNS, kwic

    cfg = config_mod.load(args.config)
    _, paragraphs = load_corpus(_results(cfg, args))
    terms = load_concepts(cfg.path(cfg.measures.concepts)).terms["term"].tolist()
    window = args.window if args.window is not None else cfg.measures.kwic_window
    try:
        rows = kwic(
            paragraphs, args.term, window=window, where=args.where, matcher=ConceptMatcher(terms)
        )
    except ValueError as exc:
        print(f"policyshift kwic: {exc}", file=sys.stderr)
        return 2
    if args.out:
        io.write_csv(rows, args.out)
    for r in rows[KWIC_COLUMNS].itertuples(index=False):
        print(f"{r.doc_id}\t{r.year}\t{r.section}\t{r.left:>{window}}[{r.match}]{r.right}")
    nested = int((rows["in_term"] != "").sum())
    print(
        f"kwic: {len(rows)} occurrences of {args.term!r} in {rows['doc_id'].nunique()} reports"
        f" ({nested} inside a longer dictionary term)" + (f" -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    """Fit the topic models: K selection, stability, labels, prevalence, pyLDAvis page."""
    from analysis.topics import run_topics

    cfg = config_mod.load(args.config)
    t0 = time.perf_counter()
    written = run_topics(cfg, results=_results(cfg, args))
    print(f"topics: {len(written)} outputs in {time.perf_counter() - t0:.1f} s")
    for path in written:
        print(f"  {path}")
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw every registered figure (or --only ID) from the saved tables."""
    from analysis.figures import FigureError, build_figures

    cfg = config_mod.load(args.config)
    out = cfg.path(args.out or cfg.figures.out)
    t0 = time.perf_counter()
    try:
        written = build_figures(cfg, results=_results(cfg, args), out=out, only=args.only)
    except FigureError as exc:
        print(f"policyshift figures: {exc}", file=sys.stderr)
        return 1
    print(f"figures: {len(written)} files in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "ingest": (cmd_ingest, "read raw report files into the corpus tables"),
    "tokens": (cmd_tokens, "segment every paragraph into tokens (cached)"),
    "tokenize": (cmd_tokenize, "print the tokens of TEXT or of each stdin line"),
    "lexicon-check": (cmd_lexicon_check, "list lexicon entries the tokenizer would split"),
    "measures": (cmd_measures, "build every measures table (concepts, TF-IDF, keyness)"),
    "keyness": (cmd_keyness, "keyness of a target group against a reference group"),
    "kwic": (cmd_kwic, "every occurrence of a term with its context"),
    "topics": (cmd_topics, "fit LDA topic models: select K, stability, prevalence"),
    "figures": (cmd_figures, "draw every figure from the saved tables"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all commands."""
    parser = argparse.ArgumentParser(prog="policyshift", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help=COMMANDS["ingest"][1])
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/raw)")
    p.add_argument(
        "--metadata",
        action="append",
        metavar="CSV",
        help="metadata CSV; repeat to layer (default: data/metadata.csv)",
    )
    p.add_argument("--strict", action="store_true", help="exit non-zero if any input is rejected")
    _common(p)
    _common(sub.add_parser("tokens", help=COMMANDS["tokens"][1]))
    p = sub.add_parser("tokenize", help=COMMANDS["tokenize"][1])
    p.add_argument("text", nargs="?", help="text to segment (default: read standard input)")
    _common(p)
    p = sub.add_parser("lexicon-check", help=COMMANDS["lexicon-check"][1])
    p.add_argument(
        "--overlaps",
        action="store_true",
        help="also list entries whose edge a neighbouring token crosses",
    )
    _common(p)
    _common(sub.add_parser("measures", help=COMMANDS["measures"][1]))
    p = sub.add_parser("keyness", help=COMMANDS["keyness"][1])
    p.add_argument("--target", required=True, metavar="COND", help="pandas query over docvars")
    p.add_argument("--reference", required=True, metavar="COND", help='pandas query, or "rest"')
    p.add_argument("--unit", choices=["report", "paragraph"], default="report")
    p.add_argument("--out", metavar="FILE.csv", type=Path, help="write the whole table")
    p.add_argument("--top", type=int, default=15, help="terms printed per direction")
    _common(p)
    p = sub.add_parser("kwic", help=COMMANDS["kwic"][1])
    p.add_argument("term", help="the string searched (plain text, not a pattern)")
    p.add_argument("--window", type=int, metavar="N", help="characters each side (default 20)")
    p.add_argument("--where", metavar="COND", help="pandas query over paragraph docvars")
    p.add_argument("--out", metavar="FILE.csv", type=Path, help="write the rows as CSV")
    _common(p)
    _common(sub.add_parser("topics", help=COMMANDS["topics"][1]))
    p = sub.add_parser("figures", help=COMMANDS["figures"][1])
    p.add_argument("--only", action="append", metavar="ID", help="figure id; repeat for several")
    p.add_argument("--out", metavar="DIR", help="output folder (default: config, figures/)")
    _common(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``policyshift`` console script.

    The config is loaded and checked before the command runs (for ``measures`` and ``topics``
    also its docvars against the token cache, when there is one): a bad config prints
    ``policyshift <command>: <message>`` and returns 2; ``--debug`` shows the traceback instead.
    """
    args = build_parser().parse_args(argv)
    try:
        cfg = config_mod.load(args.config)
        if args.command in ("measures", "topics"):
            cache = _results(cfg, args) / "tokens" / "tokens.parquet"
            if cache.is_file():
                import pyarrow.parquet as pq

                columns = pq.read_schema(cache).names
                config_mod.check_docvars(cfg, columns, stage=args.command)
    except ValueError as exc:  # every error of loading a config is a ValueError (ConfigError)
        error: ValueError = exc
    else:
        try:
            return COMMANDS[args.command][0](args)
        except config_mod.ConfigError as exc:  # a config check inside the command
            error = exc
    if args.debug:
        raise error
    print(f"policyshift {args.command}: {error}", file=sys.stderr)
    return 2
