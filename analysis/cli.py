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
from analysis.pipeline import Outcome
from analysis.results import Results

DEBUG_HELP = "show the traceback of an error (a bad config exits 2 with one message)"


def _common(p: argparse.ArgumentParser, *, stage: bool = False) -> argparse.ArgumentParser:
    p.add_argument("--results", metavar="DIR", help="results directory (default: config)")
    p.add_argument("--config", metavar="TOML", help="config file (default: ./params.toml)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    if stage:
        p.add_argument("--force", action="store_true", help="rerun even when up to date")
    return p


def _setup(args: argparse.Namespace) -> tuple[config_mod.Config, Results]:
    from analysis.pipeline import results_of

    cfg = config_mod.load(args.config)
    return cfg, results_of(cfg, args.results)


def _say(outcome: Outcome) -> None:
    print(outcome.line())


def _metadata(cfg: config_mod.Config, given: list[str] | None) -> list[str] | None:
    """The metadata tables of a run: the config's (``data/metadata.csv``, which describes only
    the bundled files), then each ``--metadata CSV`` in order, each overriding the earlier."""
    if not given:
        return None
    return [cfg.ingest.metadata, *given] if cfg.ingest.metadata else list(given)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Read raw files into documents and paragraphs (skipped when up to date)."""
    from analysis.corpus import IngestFailed
    from analysis.corpus.ingest import check_rejections
    from analysis.pipeline import run_ingest

    cfg, results = _setup(args)
    outcome = run_ingest(
        cfg,
        results,
        paths=args.paths or None,
        metadata=_metadata(cfg, args.metadata),
        force=args.force,
        strict_metadata=args.strict_metadata,
    )
    _say(outcome)
    report = results.table("corpus/ingest_report.csv")
    for r in report[report["status"].isin(["rejected", "skipped"])].itertuples():
        print(f"  {r.status} {r.file}: {r.reason}", file=sys.stderr)
    if args.strict:
        try:
            check_rejections(report)
        except IngestFailed as exc:
            print(f"policyshift ingest: input not ingested (--strict): {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    """Build (or reuse) the token table ``<results>/tokens/tokens.parquet``."""
    from analysis.pipeline import run_tokens

    cfg, results = _setup(args)
    _say(run_tokens(cfg, results, force=args.force))
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    """Print the tokens of TEXT, or of each line of standard input, space-separated."""
    from analysis.tokens.segment import Tokenizer, tokenize_lines

    cfg = config_mod.load(args.config)
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    for out in tokenize_lines(lines, Tokenizer(cfg.tokens, cfg.root)):
        print(out)
    return 0


def cmd_lexicon_check(args: argparse.Namespace) -> int:
    """List lexicon entries the tokenizer splits; exit 1 if there is any."""
    from analysis.tokens.segment import Tokenizer, lexicon_check

    cfg, results = _setup(args)
    paragraphs = results.paragraphs()
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
    from analysis.pipeline import run_measures

    cfg, results = _setup(args)
    _say(run_measures(cfg, results, force=args.force))
    return 0


def _conditions_parse(command: str, conditions: list[str]) -> bool:
    """Check docvar conditions against the grammar before anything is read (``"rest"`` is the
    keyness reference keyword); print the first error and return False if one fails."""
    from analysis.conditions import ConditionError, parse

    try:
        for condition in conditions:
            if condition.strip() != "rest":
                parse(condition)
    except ConditionError as exc:
        print(f"policyshift {command}: {exc}", file=sys.stderr)
        return False
    return True


def cmd_keyness(args: argparse.Namespace) -> int:
    """Keyness of the --target documents against the --reference documents."""
    from analysis.measures.keyness import keyness

    if not _conditions_parse("keyness", [args.target, args.reference]):
        return 2
    cfg, results = _setup(args)
    rule = {"q_level": cfg.measures.keyness_q, "max_top_share": cfg.measures.keyness_max_top_share}
    try:
        table = keyness(results.dtm(args.unit), args.target, args.reference, **rule)
    except ValueError as exc:
        print(f"policyshift keyness: {exc}", file=sys.stderr)
        return 2
    if args.out:
        io.write_csv(table, args.out)
    head = pd.concat([g.head(args.top) for _, g in table.groupby("direction", sort=False)])
    cols = ["term", "target_count", "reference_count", "g2", "q", "log_ratio", "direction"]
    cols += ["target_reports", "reference_reports", "q_reports", "robust"]
    print(head[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(
        f"keyness: {len(table)} terms; target {table['target_total'].iloc[0]} tokens, "
        f"reference {table['reference_total'].iloc[0]} tokens; "
        f"{table.attrs['n_target_reports']} vs {table.attrs['n_reference_reports']} reports, "
        f"{int(table['robust'].sum())} robust terms" + (f" -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def cmd_kwic(args: argparse.Namespace) -> int:
    """Print every occurrence of TERM in the clean text with its context."""
    from analysis.measures.concepts import ConceptMatcher, load_concepts
    from analysis.measures.kwic import KWIC_COLUMNS, kwic

    if args.where is not None and not _conditions_parse("kwic", [args.where]):
        return 2
    cfg, results = _setup(args)
    paragraphs = results.paragraphs()
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
    from analysis.pipeline import run_topics

    cfg, results = _setup(args)
    _say(run_topics(cfg, results, force=args.force))
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw the registered figures (or --only ID) whose inputs changed, from the saved tables.

    Every figure its data supports is drawn; then the skipped ones (with the reason) and the
    failed ones (with a one-line error) are named, and the exit status is 1 if there is any.
    """
    from analysis.figures import FigureError
    from analysis.pipeline import results_of, run_figures

    cfg = config_mod.load(args.config)
    results = results_of(cfg, args.results)
    if args.out:
        results = Results(results.root, figures=cfg.path(args.out))
    try:
        outcome = run_figures(cfg, results, only=args.only, force=args.force)
    except FigureError as exc:
        print(f"policyshift figures: {exc}", file=sys.stderr)
        return 2
    _say(outcome)
    for skip in outcome.skipped:
        print(f"  {skip.line()}", file=sys.stderr)
    for failure in outcome.failed:
        print(f"  figures: failed {failure}", file=sys.stderr)
    return 1 if outcome.skipped or outcome.failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report page of the results folder (skipped when up to date)."""
    from analysis.pipeline import run_report

    cfg, results = _setup(args)
    _say(run_report(cfg, results, force=args.force))
    return 0


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when inside it (for messages)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


def run_summary(outcomes: list[Outcome], results: Results, seconds: float) -> list[str]:
    """The closing lines of ``policyshift run``: what ran, what was up to date, each skipped
    analysis with its reason, each failure, and where the outputs are."""
    ran = [o.stage for o in outcomes if o.status == "ran"]
    fresh = [o.stage for o in outcomes if o.status == "up to date"]
    lines = [
        f"run: {len(ran)} stage(s) ran ({', '.join(ran) or 'none'}), "
        f"{len(fresh)} up to date ({', '.join(fresh) or 'none'}), in {seconds:.1f} s"
    ]
    skipped = [s for o in outcomes for s in o.skipped]
    if skipped:
        lines.append(f"skipped ({len(skipped)}; listed in each stage's skipped.csv):")
        lines += [f"  {s.line()}" for s in skipped]
    failed = [f for o in outcomes for f in o.failed]
    if failed:
        lines.append(f"failed ({len(failed)}):")
        lines += [f"  {f}" for f in failed]
    lines.append(f"results: {_shown(results.root)}")
    lines.append(f"figures: {_shown(results.figures_dir)}")
    report = results.root / "report" / "index.html"
    if report.is_file():
        lines.append(f"report:  {_shown(report)}")
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    """Run every stage in order on PATHS (default: the bundled corpus), each skipped when up to
    date; one line per stage, then a summary of what was skipped and where the outputs are."""
    from analysis.pipeline import results_for, run_all

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(
            f"policyshift run: no such file or folder: {', '.join(map(str, missing))}",
            file=sys.stderr,
        )
        return 2
    cfg = config_mod.load(args.config)
    results = results_for(cfg, args.results, paths=args.paths, collection=args.collection)
    t0 = time.perf_counter()
    outcomes = run_all(
        cfg,
        results,
        paths=args.paths or None,
        metadata=_metadata(cfg, args.metadata),
        collection=args.collection,
        force=args.force,
        strict_metadata=args.strict_metadata,
        report=_say,
    )
    lines = run_summary(outcomes, results, time.perf_counter() - t0)
    print("\n".join(lines))
    log = {
        "stages": [
            {
                "stage": o.stage,
                "status": o.status,
                "reasons": list(o.reasons),
                "summary": o.summary,
                "skipped": [s.line() for s in o.skipped],
                "failed": list(o.failed),
            }
            for o in outcomes
        ]
    }
    io.write_json(results.root / "run_log.json", log)
    return 1 if any(o.failed for o in outcomes) else 0


def cmd_init_config(args: argparse.Namespace) -> int:
    """Write DIR/params.toml: the defaults, commented out, extended by the file."""
    path = config_mod.init_config(args.dir)
    print(
        f"init-config: wrote {_shown(path)}; uncomment what you change, then "
        f"`policyshift run PATHS --config {_shown(path)}`"
    )
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
    "report": (cmd_report, "write the report page <results>/report/index.html"),
    "run": (
        cmd_run,
        "run every stage on PATHS (default: bundled corpus), skipping those up to date",
    ),
    "init-config": (cmd_init_config, "write a commented config file that extends the defaults"),
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
        help="metadata CSV over data/metadata.csv; repeat to layer, later ones win",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if any input is rejected or skipped (or a metadata table warned about)",
    )
    p.add_argument(
        "--strict-metadata",
        action="store_true",
        help="exit 2 if a report has no reliable year or place (default: warn, write a template)",
    )
    _common(p, stage=True)
    _common(sub.add_parser("tokens", help=COMMANDS["tokens"][1]), stage=True)
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
    _common(sub.add_parser("measures", help=COMMANDS["measures"][1]), stage=True)
    p = sub.add_parser("keyness", help=COMMANDS["keyness"][1])
    p.add_argument(
        "--target",
        required=True,
        metavar="COND",
        help="docvar condition, e.g. \"level == 'province' and year >= 2020\"",
    )
    p.add_argument("--reference", required=True, metavar="COND", help='docvar condition, or "rest"')
    p.add_argument("--unit", choices=["report", "paragraph"], default="report")
    p.add_argument("--out", metavar="FILE.csv", type=Path, help="write the whole table")
    p.add_argument("--top", type=int, default=15, help="terms printed per direction")
    _common(p)
    p = sub.add_parser("kwic", help=COMMANDS["kwic"][1])
    p.add_argument("term", help="the string searched (plain text, not a pattern)")
    p.add_argument("--window", type=int, metavar="N", help="characters each side (default 20)")
    p.add_argument(
        "--where",
        metavar="COND",
        help="docvar condition over paragraphs, e.g. \"section == 'plan'\"",
    )
    p.add_argument("--out", metavar="FILE.csv", type=Path, help="write the rows as CSV")
    _common(p)
    _common(sub.add_parser("topics", help=COMMANDS["topics"][1]), stage=True)
    p = sub.add_parser("figures", help=COMMANDS["figures"][1])
    p.add_argument("--only", action="append", metavar="ID", help="figure id; repeat for several")
    p.add_argument("--out", metavar="DIR", help="output folder (default: config, figures/)")
    _common(p, stage=True)
    _common(sub.add_parser("report", help=COMMANDS["report"][1]), stage=True)
    p = sub.add_parser("run", help=COMMANDS["run"][1])
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="report files or folders (default: the config's [ingest] raw, the bundled corpus); "
        "results then go to <results>/<folder names> unless --results is given",
    )
    p.add_argument(
        "--metadata",
        action="append",
        metavar="CSV",
        help="metadata CSV over data/metadata.csv; repeat to layer, later ones win",
    )
    p.add_argument(
        "--collection",
        metavar="NAME",
        help="the collection docvar of every input report (default: the folder's name; "
        "'bundled' for data/raw)",
    )
    p.add_argument(
        "--strict-metadata",
        action="store_true",
        help="exit 2 if a report has no reliable year or place (default: warn, write a template)",
    )
    _common(p, stage=True)
    p = sub.add_parser("init-config", help=COMMANDS["init-config"][1])
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to write params.toml into")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``policyshift`` console script.

    The config is loaded and checked before the command does any work. An error that is the
    user's to fix (a bad config value, a metadata table, a missing stage output) prints
    ``policyshift <command>: <message>`` and returns 2; ``--debug`` shows the traceback instead.
    """
    from analysis.corpus import IngestFailed, MetadataError
    from analysis.results import ResultsError

    args = build_parser().parse_args(argv)
    # folders given on the command line are relative to the current directory (config paths
    # are relative to the config's root)
    if getattr(args, "results", None):
        args.results = Path(args.results).absolute()
    if args.command == "figures" and args.out:
        args.out = Path(args.out).absolute()
    try:
        config_mod.load(getattr(args, "config", None))
        return COMMANDS[args.command][0](args)
    except (config_mod.ConfigError, MetadataError, ResultsError) as exc:
        if args.debug:
            raise
        print(f"policyshift {args.command}: {exc}", file=sys.stderr)
        return 2
    except IngestFailed as exc:  # no report accepted (the ingest report says why)
        if args.debug:
            raise
        print(f"policyshift {args.command}: {exc}", file=sys.stderr)
        return 1
