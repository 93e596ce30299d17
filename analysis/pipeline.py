"""Running the stages: each is skipped when its stamp says it is up to date, else rerun with the
reason said; :func:`run_all` runs ingest -> tokens -> measures -> topics -> figures.

A stage is up to date when the stamp on disk (:mod:`analysis.stamps`) equals the one this run
would write (same upstream tables, input files, config sections, code and package versions) and
every output it lists is on disk with its recorded sha256. ``force`` reruns regardless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from analysis import stamps
from analysis.config import Config
from analysis.results import Results
from analysis.skips import Skip

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
            return Outcome(stage, "up to date")
        t0 = time.perf_counter()
        summary = build(stamp)
        return Outcome(stage, "ran", tuple(reasons), time.perf_counter() - t0, summary)


def run_ingest(
    cfg: Config,
    results: Results,
    *,
    paths: Sequence[str | Path] | None = None,
    metadata: Sequence[str | Path] | None = None,
    collection: str | None = None,
    force: bool = False,
) -> Outcome:
    """Ingest ``paths`` (default ``[ingest] raw``) unless the corpus is up to date; every report
    gets the ``collection`` docvar (see :func:`analysis.corpus.ingest.collection_name`)."""
    from analysis.corpus.ingest import compute_corpus, plan_ingest, write_corpus

    paths = list(paths) if paths else None
    metadata = list(metadata) if metadata is not None else None

    def build(stamp: dict[str, Any]) -> str:
        corpus = compute_corpus(paths, config=cfg, metadata=metadata, collection=collection)
        write_corpus(corpus, results, cfg, stamp=stamp)
        rep = corpus.report
        status = rep["status"].str.replace(r"split into \d+", "split", regex=True)
        counts = ", ".join(f"{n} {s}" for s, n in status.value_counts().items())
        return (
            f"{len(rep)} files ({counts}) -> {len(corpus.documents)} reports, "
            f"{len(corpus.paragraphs)} paragraphs; corpus {corpus.corpus_hash}"
        )

    return _run(
        "ingest",
        results,
        (),
        lambda: plan_ingest(paths, config=cfg, metadata=metadata, collection=collection),
        build,
        force=force,
    )


def run_tokens(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Segment the paragraphs unless the token table is up to date (reusing its cache)."""
    from analysis.tokens.cache import compute_tokens, plan_tokens, write_tokens

    def build(stamp: dict[str, Any]) -> str:
        tokens, key = compute_tokens(
            results.paragraphs(), config=cfg.tokens, root=cfg.root, cache_dir=results.tokens_dir
        )
        write_tokens(tokens, key, results, stamp=stamp)
        n = int(tokens["tokens"].map(len).sum())
        return f"{len(tokens)} paragraphs, {n} tokens"

    return _run(
        "tokens", results, ("ingest",), lambda: plan_tokens(cfg, results), build, force=force
    )


def run_measures(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Build the measures tables unless they are up to date."""
    from analysis.measures.build import compute_measures, plan_measures, write_measures

    _check_docvars(cfg, results, "measures")

    def build(stamp: dict[str, Any]) -> str:
        result = compute_measures(results.paragraphs(), results.tokens(), cfg)
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


def run_topics(cfg: Config, results: Results, *, force: bool = False) -> Outcome:
    """Fit the topic models unless their outputs are up to date."""
    from analysis.topics.build import compute_topics, plan_topics, write_topics

    _check_docvars(cfg, results, "topics")

    def build(stamp: dict[str, Any]) -> str:
        output = compute_topics(results.tokens(), cfg)
        written = write_topics(output, results, stamp=stamp)
        return f"K = {output.result.selection['k']}, {len(written)} outputs -> {results.topics_dir}"

    return _run(
        "topics", results, ("tokens",), lambda: plan_topics(cfg, results), build, force=force
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


def run_all(
    cfg: Config,
    results: Results,
    *,
    force: bool = False,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run every stage in order (each skipped when up to date); ``report`` is called after
    each stage with its outcome."""
    outcomes = []
    for step in (run_ingest, run_tokens, run_measures, run_topics, run_figures):
        outcome = step(cfg, results, force=force)
        report(outcome)
        outcomes.append(outcome)
    return outcomes
