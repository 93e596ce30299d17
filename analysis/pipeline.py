"""Running the stages: each is skipped when its stamp says it is up to date, else rerun with the
reason said; :func:`run_all` runs ingest -> tokens -> measures -> topics -> figures
-> report.

A stage is up to date when the stamp on disk (:mod:`analysis.stamps`) equals the one this run
would write (same upstream tables, input files, config sections, code and package versions) and
every output it lists is on disk with its recorded sha256. ``force`` reruns regardless.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from analysis import stamps
from analysis.config import Config
from analysis.results import Results
from analysis.skips import SKIPPED_FILE, Skip, skips_of

Status = Literal["ran", "up to date"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one stage: ``status``, the ``reasons`` it ran, wall ``seconds``, a
    one-line ``summary`` of its outputs, the analyses it ``skipped`` (each with its reason) and
    the ones that ``failed`` (``"<id>: <one-line error>"``; the stage went on without them)."""

    stage: str
    status: Status
    reasons: tuple[str, ...] = ()
    seconds: float = 0.0
    summary: str = ""
    skipped: tuple[Skip, ...] = ()
    failed: tuple[str, ...] = ()

    def line(self) -> str:
        """``measures: ran in 8.1 s (config [measures] changed): 18 tables`` or ``...: up to date``."""
        if self.status == "up to date":
            return f"{self.stage}: up to date" + (f" ({self.summary})" if self.summary else "")
        why = "; ".join(self.reasons[:3]) + ("; ..." if len(self.reasons) > 3 else "")
        text = f"{self.stage}: ran in {self.seconds:.1f} s ({why})"
        return text + (f": {self.summary}" if self.summary else "")


def results_of(cfg: Config, results: str | Path | Results | None = None) -> Results:
    """The :class:`Results` of ``results`` (default: the config's ``results``).

    Figures go to the config's ``[figures] out`` when the results folder is the config's own
    (the bundled default puts them in the repo's ``figures/``), else to ``<results>/figures/``,
    so ``--results DIR`` never writes outside ``DIR``.
    """
    if isinstance(results, Results):
        return results
    root = cfg.path(results or cfg.results)
    own = root.resolve() == cfg.path(cfg.results).resolve()
    return Results(root, figures=cfg.path(cfg.figures.out) if own else root / "figures")


def _check_docvars(cfg: Config, results: Results, stage: Literal["measures", "topics"]) -> None:
    """The docvars a stage's settings name exist in the token table (before any other work)."""
    from analysis.config import check_docvars

    if results.tokens_path.is_file():
        import pyarrow.parquet as pq

        check_docvars(cfg, pq.read_schema(results.tokens_path).names, stage=stage)


def _run(
    stage: str,
    results: Results,
    reads: Sequence[str],
    plan: Callable[[], dict[str, Any]],
    build: Callable[[dict[str, Any]], str],
    *,
    force: bool,
) -> Outcome:
    with results.locking(stage, reads=reads):
        stamp = plan()
        old = results.stamp(stage)
        reasons = ["--force"] if force else stamps.stale_reasons(old, stamp)
        if not reasons and old is not None:
            reasons = stamps.output_reasons(old, results.stage_dir(stage))
        if not reasons:
            return Outcome(stage, "up to date", skipped=stage_skips(results, stage))
        t0 = time.perf_counter()
        summary = build(stamp)
        seconds = time.perf_counter() - t0
        return Outcome(stage, "ran", tuple(reasons), seconds, summary, stage_skips(results, stage))


def stage_skips(results: Results, stage: str) -> tuple[Skip, ...]:
    """The analyses ``stage`` skipped in its current outputs (its ``skipped.csv``)."""
    import pandas as pd

    path = results.stage_dir(stage) / SKIPPED_FILE
    if not path.is_file():
        return ()
    return tuple(skips_of(pd.read_csv(path, dtype=str, keep_default_na=False)))


def run_ingest(
    cfg: Config,
    results: Results,
    *,
    paths: Sequence[str | Path] | None = None,
    metadata: Sequence[str | Path] | None = None,
    collection: str | None = None,
    force: bool = False,
    strict_metadata: bool = False,
) -> Outcome:
    """Ingest ``paths`` (default ``[ingest] raw``) unless the corpus is up to date; every report
    gets the ``collection`` docvar (see :func:`analysis.corpus.ingest.collection_name`).
    Reports without a reliable year or place are warned about (stderr) and listed in
    ``corpus/metadata_template.csv``; ``strict_metadata`` raises
    :class:`~analysis.corpus.metadata.MetadataIncomplete` instead, also when up to date. When
    no input gave a report, :class:`~analysis.corpus.ingest.NoReports` is raised (after the
    ingest report is written), also when up to date."""
    from analysis.corpus.ingest import (
        check_accepted,
        check_metadata_paths,
        check_metadata_tables,
        compute_corpus,
        ingest_sources,
        plan_ingest,
        reference_cache,
        warn_metadata,
        write_corpus,
    )
    from analysis.corpus.metadata import TEMPLATE, check_metadata

    paths = list(paths) if paths else None
    metadata = list(metadata) if metadata is not None else None
    check_metadata_paths(ingest_sources(paths, cfg, metadata)[1], results)

    def build(stamp: dict[str, Any]) -> str:
        corpus = compute_corpus(
            paths,
            config=cfg,
            metadata=metadata,
            collection=collection,
            strict_metadata=strict_metadata,
            cache_dir=reference_cache(results),
        )
        write_corpus(corpus, results, cfg, stamp=stamp)
        warn_metadata(corpus, results, cfg, metadata)
        rep = corpus.report
        status = rep["status"].str.replace(r"split into \d+", "split", regex=True)
        counts = ", ".join(f"{n} {s}" for s, n in status.value_counts().items())
        return (
            f"{len(rep)} files ({counts}) -> {len(corpus.documents)} reports, "
            f"{len(corpus.paragraphs)} paragraphs; corpus {corpus.corpus_hash}"
        )

    outcome = _run(
        "ingest",
        results,
        (),
        lambda: plan_ingest(paths, config=cfg, metadata=metadata, collection=collection),
        build,
        force=force,
    )
    template = results.corpus_dir / TEMPLATE
    report = results.table("corpus/ingest_report.csv")
    if strict_metadata and outcome.status == "up to date":
        check_metadata_tables(report)
        if template.is_file():
            check_metadata(results.table(f"corpus/{TEMPLATE}"))
    check_accepted(report, results)
    return outcome


def run_tokens(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Segment the paragraphs unless the token table is up to date (reusing its cache)."""
    from analysis.tokens.cache import compute_tokens, plan_tokens, tokens_input, write_tokens

    def build(stamp: dict[str, Any]) -> str:
        paragraphs, dropped = tokens_input(cfg, results)
        tokens, key = compute_tokens(
            paragraphs,
            config=cfg.tokens,
            root=cfg.root,
            cache_dir=results.tokens_dir,
            engine=cfg.engine,
        )
        write_tokens(tokens, key, results, stamp=stamp, dropped=dropped)
        n = int(tokens["tokens"].map(len).sum())
        left_out = f"; {len(dropped)} duplicate report(s) left out" if len(dropped) else ""
        return f"{len(tokens)} paragraphs, {n} tokens{left_out}"

    return _run(
        "tokens", results, ("ingest",), lambda: plan_tokens(cfg, results), build, force=force
    )


def run_measures(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Build the measures tables unless they are up to date."""
    from analysis.measures.build import compute_measures, plan_measures, write_measures

    _check_docvars(cfg, results, "measures")

    def build(stamp: dict[str, Any]) -> str:
        result = compute_measures(results.paragraphs(), results.tokens(), cfg)
        _warn_settings(result.skips)
        written = write_measures(result, results, stamp=stamp)
        return f"{len(written)} tables -> {results.tables_dir}"

    return _run(
        "measures",
        results,
        ("ingest", "tokens"),
        lambda: plan_measures(cfg, results),
        build,
        force=force,
    )


def _warn_settings(skips: Sequence[Skip]) -> None:
    """One warning line on stderr per skipped analysis that a config setting asked for."""
    for skip in skips:
        if skip.setting:
            print(f"warning: {skip.line()}", file=sys.stderr)


def run_topics(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Fit the topic models unless their outputs are up to date."""
    from analysis.topics.build import PARAGRAPH_COLUMNS, compute_topics, plan_topics, write_topics

    _check_docvars(cfg, results, "topics")

    def build(stamp: dict[str, Any]) -> str:
        paragraphs = results.paragraphs(columns=PARAGRAPH_COLUMNS)
        output = compute_topics(results.tokens(), cfg, paragraphs=paragraphs)
        _warn_settings(skips_of(output.files["skipped.csv"]))
        written = write_topics(output, results, stamp=stamp)
        if output.result is None:
            return f"no model ({output.files['skipped.csv']['reason'].iloc[0]})"
        return f"K = {output.result.selection['k']}, {len(written)} outputs -> {results.topics_dir}"

    return _run(
        "topics",
        results,
        ("ingest", "tokens"),
        lambda: plan_topics(cfg, results),
        build,
        force=force,
    )


def run_figures(
    cfg: Config,
    results: Results,
    *,
    only: Sequence[str] | None = None,
    force: bool = False,
) -> Outcome:
    """Draw the figures whose inputs, settings or code changed (all with ``force``).

    A figure that does not apply is in ``skipped``, one that failed in ``failed``; the others
    are drawn either way and the caller decides the exit status.
    """
    from analysis.figures import build_figures

    t0 = time.perf_counter()
    built = build_figures(
        cfg, results=results.root, out=results.figures_dir, only=only, force=force
    )
    failed = tuple(f"{i}: {error}" for i, error in built.failed)
    notes = []
    if built.skipped:
        notes.append(f"{len(built.skipped)} skipped")
    if failed:
        notes.append(f"{len(failed)} failed (see {results.figures_dir / 'errors.log'})")
    if not built.written:
        summary = "; ".join(notes)
        return Outcome("figures", "up to date", summary=summary, skipped=built.skipped)
    reasons = (
        ("--force",) if force else (f"{len(built.drawn) + len(failed)} figure(s) out of date",)
    )
    drawn = ", ".join(built.drawn) or "no figure drawn"
    summary = "; ".join([f"{drawn} -> {results.figures_dir}", *notes])
    seconds = time.perf_counter() - t0
    return Outcome("figures", "ran", reasons, seconds, summary, built.skipped, failed)


def run_report(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Write the report page ``<results>/report/index.html`` unless it is up to date."""
    from analysis.report.build import READS, compute_report, plan_report, write_report

    def build(stamp: dict[str, Any]) -> str:
        path = write_report(compute_report(results), results, stamp=stamp)
        return f"{results.rel(path)} ({path.stat().st_size:,} bytes)"

    return _run("report", results, READS, lambda: plan_report(cfg, results), build, force=force)


def run_all(
    cfg: Config,
    results: Results,
    *,
    paths: Sequence[str | Path] | None = None,
    metadata: Sequence[str | Path] | None = None,
    collection: str | None = None,
    force: bool = False,
    strict_metadata: bool = False,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run ingest -> tokens -> measures -> topics -> figures -> report in order (each skipped
    when up to date) on ``paths`` (default the config's ``[ingest] raw``); ``report`` is called
    after each stage with its outcome."""
    outcomes = [
        run_ingest(
            cfg,
            results,
            paths=paths,
            metadata=metadata,
            collection=collection,
            force=force,
            strict_metadata=strict_metadata,
        )
    ]
    report(outcomes[-1])
    for step in (run_tokens, run_measures, run_topics, run_figures, run_report):
        outcome = step(cfg, results, force=force)
        report(outcome)
        outcomes.append(outcome)
    return outcomes


_SLUG_RE = re.compile(r"[^\w.-]+")


def inputs_name(paths: Sequence[str | Path], collection: str | None = None) -> str:
    """The folder name of the results of a run on ``paths``: ``collection`` if given, else the
    input folders' names (a file's stem) joined by ``+``, sanitized (letters, digits, ``_.-``)."""
    names = [collection] if collection else [Path(p).stem or Path(p).resolve().name for p in paths]
    slug = "+".join(_SLUG_RE.sub("_", n).strip("._-") or "input" for n in names)
    return slug[:80] or "input"


def results_for(
    cfg: Config,
    results: str | Path | None = None,
    *,
    paths: Sequence[str | Path] | None = None,
    collection: str | None = None,
) -> Results:
    """The results of a run: ``results`` if given; else the config's for the default input;
    else, for a run on ``paths``, ``<config results>/<inputs_name(paths)>`` with its figures in
    it (so a run on a user's folder never replaces the bundled corpus's results)."""
    if results is not None or not paths:
        return results_of(cfg, results)
    return Results(cfg.path(cfg.results) / inputs_name(paths, collection))
