"""The report stage: one self-contained, offline page per run, ``<results>/report/index.html``.

The page shows the corpus (every report with its quality flags and where its metadata came
from) and the ingest report, what each stage skipped and why, every figure (embedded as
``data:`` PNGs, PDFs linked), the top rows of the main tables with relative links to the full
files, a link to the LDAvis page, and the provenance recorded in the stage stamps (the same
stamps :meth:`~analysis.results.Results.write_manifest` builds ``manifest.json`` from; the page
does not read ``manifest.json`` itself, which this stage rewrites).

The bytes depend only on the files read (no timestamps, no absolute paths, sorted orders), so
the stamp (:func:`plan_report`) records the sha256 of each of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis import stamps
from analysis.config import Config
from analysis.report import html as h
from analysis.report import parts
from analysis.results import Results

STAGE = "report"
PAGE = "index.html"
TOP_ROWS = 10
UPSTREAM = ("ingest", "tokens", "measures", "topics", "figures")
READS = ("ingest", "measures", "topics", "figures")  # stages whose files the page reads
CODE = ("report", "results.py", "skips.py", "figures/registry.py")  # registry: figure order
# Files of the upstream stages the page reads beside their stamps (relative to each folder).
_READ = {
    "ingest": ("documents.parquet", "ingest_report.csv", "skipped.csv"),
    "tokens": ("skipped.csv",),
    "measures": (
        "concept_panel.parquet",
        "year_series.csv",
        "concept_section_shift.csv",
        "keyness/*.csv",
        "tfidf_top_terms.csv",
        "skipped.csv",
    ),
    "topics": (
        "topics.csv",
        "selection.json",
        "model_selection.csv",
        "ldavis.html",
        "skipped.csv",
    ),
    "figures": ("*.png", "manifest.json", "skipped.csv"),
}


def report_inputs(results: Results) -> list[Path]:
    """Every file the page is built from: the stamp of each upstream stage (which lists the
    sha256 of every output, so the links and the provenance follow them) and each file read.
    Absent files are left out (the page says they are absent)."""
    files: set[Path] = set()
    for stage in UPSTREAM:
        folder = results.stage_dir(stage)
        files.add(folder / "stamp.json")
        for pattern in _READ.get(stage, ()):
            files.update(folder.glob(pattern))
    return sorted(p for p in files if p.is_file())


def plan_report(cfg: Config, results: Results, *, top_rows: int = TOP_ROWS) -> dict[str, Any]:
    """The stamp a run of the report stage would write: the sha256 of every input file
    (relative to the results folder), the page settings and the code."""
    del cfg  # the page reads no config section: every value it shows comes from the stamps
    upstream = stamps.file_digests(report_inputs(results), results.root)
    corpus = results.stamp("ingest") or {}
    return stamps.make_stamp(
        STAGE,
        config={STAGE: {"top_rows": top_rows}},
        code=CODE,
        upstream=upstream,
        corpus_hash=corpus.get("corpus_hash"),
    )


def compute_report(results: Results, *, top_rows: int = TOP_ROWS) -> str:
    """The page as HTML text, from the saved outputs of ``results`` (pure: writes nothing)."""
    src = parts.Sources(results, results.root / STAGE, top_rows)
    nav = h.items(
        h.anchor(a, t)
        for a, t in (
            ("corpus", "Corpus"),
            ("skipped", "What was skipped"),
            ("figures", "Figures"),
            ("tables", "Main tables"),
            ("ldavis", "Topic explorer"),
            ("provenance", "Provenance"),
        )
    )
    corpus = results.stamp("ingest") or {}
    intro = h.para(
        "One run of policyshift: "
        + (f"corpus {corpus['corpus_hash']}" if corpus.get("corpus_hash") else "no corpus yet")
        + ". Every link is relative to this page; nothing loads from the network."
    )
    body = "\n".join(
        [
            intro,
            f"<nav>{nav}</nav>",
            parts.corpus_part(src),
            parts.skipped_part(src),
            parts.figures_part(src),
            parts.tables_part(src),
            parts.ldavis_part(src),
            parts.provenance_part(src, UPSTREAM),
        ]
    )
    return h.page("policyshift report", body)


def write_report(page: str, results: Results, *, stamp: dict[str, Any]) -> Path:
    """Write ``<results>/report/index.html`` as the report stage's folder, with its stamp."""
    with results.write_stage(STAGE, reads=READS) as w:
        w.text(page, PAGE)
        w.stamp = stamp
    return results.stage_dir(STAGE) / PAGE


def build_report(results: Results, cfg: Config, *, top_rows: int = TOP_ROWS) -> Path:
    """Build and write the page (always; :func:`analysis.pipeline.run_report` skips it when
    up to date). Returns the path of ``index.html``."""
    with results.reading(*READS):
        stamp = plan_report(cfg, results, top_rows=top_rows)
        return write_report(compute_report(results, top_rows=top_rows), results, stamp=stamp)
