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

from analysis import config as config_mod


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", metavar="DIR", help="results directory (default: config)")
    p.add_argument("--config", metavar="TOML", help="config file (default: ./params.toml)")


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


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "ingest": (cmd_ingest, "read raw report files into the corpus tables"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all commands."""
    parser = argparse.ArgumentParser(prog="policyshift", description=__doc__.split("\n")[0])
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``policyshift`` console script."""
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command][0](args)
