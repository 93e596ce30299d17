"""The sections of the report page, each built from saved outputs of one stage.

Every function takes a :class:`Sources` (the results folder, the folder the page is written to,
and the number of rows shown per table) and returns an HTML fragment. A part whose input is
absent says so in a line instead of failing; a table that lacks a column it shows says which.
Nothing here writes a file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report import html as h
from analysis.results import STAGES, Results, ResultsError

CORPUS_COLUMNS = (
    "doc_id",
    "collection",
    "place",
    "level",
    "year",
    "doc_type",
    "n_han",
    "n_paragraphs",
    "truncated",
    "abridged",
    "masked_restored",
    "masked_unresolved",
    "numbers_deleted",
    "duplicate_of",
)
FLAG_COLUMNS = (
    "truncated",
    "abridged",
    "masked_unresolved",
    "numbers_deleted",
    "duplicate_of",
)
SOURCE_SUFFIXES = ("_source", "_confidence")
ORIGINS = ("table", "user", "inferred", "missing")  # values of a <field>_source column
TABLE_SUFFIXES = (".csv", ".parquet", ".dta", ".json", ".html", ".md")
NETWORK_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.I)


@dataclass(frozen=True)
class Sources:
    """Where the page reads from and is written to.

    ``results`` is the results folder, ``page_dir`` the folder of ``index.html`` (links are
    relative to it), ``top_rows`` the rows shown of each table.
    """

    results: Results
    page_dir: Path
    top_rows: int

    def rel(self, path: Path) -> str:
        """``path`` relative to the page's folder (POSIX): the ``href`` of a link to it."""
        return Path(
            os.path.relpath(os.path.abspath(path), os.path.abspath(self.page_dir))
        ).as_posix()

    def shown(self, path: Path) -> str:
        """``path`` relative to the results folder, for text on the page (never absolute)."""
        return Path(
            os.path.relpath(os.path.abspath(path), os.path.abspath(self.results.root))
        ).as_posix()

    def file_links(self, *paths: Path) -> str:
        """Links to those of ``paths`` that exist."""
        return h.links(self.rel(p) for p in paths if p.is_file())


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _missing(src: Sources, path: Path, stage: str) -> str:
    return h.para(f"{src.shown(path)} is absent: the {stage} stage has not written it.", note=True)


def _guarded(build: Callable[[], str], what: str) -> str:
    """``build()``, or a line naming the column or file it lacked."""
    try:
        return build()
    except (KeyError, ResultsError, ValueError) as exc:
        return h.para(f"{what} cannot be shown: {exc}", note=True)


def _cols(df: pd.DataFrame, wanted: Sequence[str]) -> list[str]:
    return [c for c in wanted if c in df.columns]


# -- corpus ------------------------------------------------------------------------------------
def corpus_part(src: Sources) -> str:
    """Counts by collection, level and doc_type; the table of reports with quality flags and
    the origin of each metadata field; the ingest report (every input file)."""
    res = src.results
    out = [h.heading(2, "corpus", "Corpus")]
    if not res.documents_path.is_file():
        return "".join([*out, _missing(src, res.documents_path, "ingest")])
    docs = res.documents()
    csv = res.corpus_dir / "documents.csv"
    out.append(
        f"<p>{len(docs)} reports. Full table: {src.file_links(res.documents_path, csv)}.</p>"
    )
    groups = _cols(docs, ("collection", "level", "doc_type"))
    if groups:
        counts = docs.groupby(groups, dropna=False).size().reset_index(name="reports")
        out.append(h.table(counts))
    flags = _cols(docs, FLAG_COLUMNS)
    counted = _cols(docs, ("masked_restored", *FLAG_COLUMNS))
    if counted:
        n_set = [int(docs[c].map(h.truthy).sum()) for c in counted]
        out.append(h.heading(3, "quality", "Quality flags"))
        out.append(h.para("Reports with each flag set (or with restored masked characters)."))
        out.append(h.table(pd.DataFrame({"flag": counted, "reports": n_set})))
    sources = [c for c in docs.columns if c.endswith(SOURCE_SUFFIXES)]
    if sources:
        out.append(h.heading(3, "metadata-sources", "Where the metadata came from"))
        origin = [c for c in sources if c.endswith("_source")]
        long = docs[origin].melt(var_name="field", value_name="source").fillna("missing")
        tally = pd.crosstab(long["field"], long["source"])
        others = sorted(set(tally.columns) - set(ORIGINS))
        tally = tally.reindex(columns=[*ORIGINS, *others], fill_value=0)
        tally = tally.reset_index().rename_axis(columns=None)
        tally["field"] = tally["field"].str.removesuffix("_source")
        out.append(h.table(tally))
    out.append(h.heading(3, "reports", "Reports"))
    shown = docs[[*_cols(docs, CORPUS_COLUMNS), *sources]]
    out.append(h.table(shown, flags=flags, scroll=True))
    out.append(_ingest_report(src))
    return "".join(out)


def _ingest_report(src: Sources) -> str:
    path = src.results.corpus_dir / "ingest_report.csv"
    head = h.heading(3, "ingest", "Every input file")
    if not path.is_file():
        return head + _missing(src, path, "ingest")
    report = _read(path)
    md = src.results.corpus_dir / "ingest_report.md"
    status = report["status"].astype(str).str.replace(r"split into \d+", "split", regex=True)
    counts = status.value_counts().sort_index()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    intro = f"<p>{h.esc(f'{len(report)} files: {summary}.')} Full report: "
    intro += f"{src.file_links(path, md)}.</p>"
    return head + intro + h.table(report, scroll=True)


# -- skipped -----------------------------------------------------------------------------------
def skipped_part(src: Sources) -> str:
    """Every analysis a stage skipped, with the setting that asked for it and the reason."""
    out = [h.heading(2, "skipped", "What was skipped, and why")]
    table = src.results.skipped()
    if table.empty:
        out.append(h.para("No stage skipped an analysis."))
        return "".join(out)
    per = table["stage"].value_counts()
    stages = [s for s in STAGES if s in per.index] + sorted(set(per.index) - set(STAGES))
    out.append(h.para(", ".join(f"{s}: {per[s]}" for s in stages) + "."))
    out.append(h.table(table, scroll=True))
    return "".join(out)


# -- figures -----------------------------------------------------------------------------------
def figure_files(results: Results) -> list[Path]:
    """The PNG figures in the figures folder: the registered ones in registry order (the
    README's), then any other PNG by name."""
    from analysis.figures import REGISTRY

    folder = results.figures_dir
    if not folder.is_dir():
        return []
    pngs = {p.name: p for p in folder.glob("*.png") if p.is_file()}
    ordered = [f"{i}.png" for i in REGISTRY]
    names = [n for n in ordered if n in pngs] + sorted(set(pngs) - set(ordered))
    return [pngs[n] for n in names]


def _figure_entries(results: Results) -> dict[str, Any]:
    path = results.figures_dir / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("figures", {}))
    except (json.JSONDecodeError, AttributeError):
        return {}


def figures_part(src: Sources) -> str:
    """Every PNG of the figures folder, embedded, with the question it answers, its method
    line (counting rule, denominator, interval) and a link to its PDF."""
    res = src.results
    out = [h.heading(2, "figures", "Figures")]
    files = figure_files(res)
    if not files:
        out.append(h.para(f"No figures in {src.shown(res.figures_dir)}.", note=True))
        return "".join(out)
    entries = _figure_entries(res)
    out.append(h.para(f"{len(files)} figures from {src.shown(res.figures_dir)}."))
    for png in files:
        fig_id = png.stem
        question = entries.get(fig_id, {}).get("question", "")
        method = entries.get(fig_id, {}).get("method", "")
        pdf = png.with_suffix(".pdf")
        caption = f"<b>{h.esc(fig_id)}</b>" + (f": {h.esc(question)}" if question else "")
        if method:
            caption += f' <span class="method">({h.esc(method)})</span>'

        caption += " " + h.link(src.rel(png), "PNG")
        if pdf.is_file():
            caption += " " + h.link(src.rel(pdf), "PDF")
        img = h.image(png.read_bytes(), alt=fig_id)
        out.append(
            f'<figure id="fig-{h.esc(fig_id)}">{img}<figcaption>{caption}</figcaption></figure>'
        )
    return "".join(out)


# -- tables ------------------------------------------------------------------------------------
def _table_block(
    src: Sources, anchor: str, title: str, files: Sequence[Path], body: Callable[[], str]
) -> str:
    head = h.heading(3, anchor, title)
    present = [p for p in files if p.is_file()]
    if not present:
        return head + _missing(
            src, files[0], "measures" if "tables" in files[0].parts else "topics"
        )
    return head + f"<p>Full table: {src.file_links(*files)}.</p>" + _guarded(body, title)


def tables_part(src: Sources) -> str:
    """The top rows of the main tables, each with links to its full files."""
    res, n = src.results, src.top_rows
    t, tp = res.tables_dir, res.topics_dir
    out = [h.heading(2, "tables", "Main tables")]

    def panel() -> str:
        df = res.table("concept_panel")
        df = df[df["section"] == "all"].sort_values(
            ["rate", "doc_id", "concept"], ascending=[False, True, True]
        )
        cols = _cols(
            df,
            (
                "doc_id",
                "collection",
                "place",
                "year",
                "concept",
                "label_en",
                "count",
                "chars",
                "rate",
                "ci_low",
                "ci_high",
            ),
        )
        return h.para(
            f"Highest concept rates (per 10,000 characters, whole reports), of {len(df)} report x concept rows."
        ) + h.table(df[cols], max_rows=n)

    out.append(
        _table_block(
            src,
            "concept-panel",
            "Concept panel",
            [t / "concept_panel.parquet", t / "concept_panel.csv", t / "concept_panel.dta"],
            panel,
        )
    )

    def series() -> str:
        df = _read(t / "year_series.csv")
        keys = _cols(df, ("series", "kind", "collection", "level", "place", "doc_type"))
        summary = (
            df.groupby(keys, dropna=False, sort=True)
            .agg(
                first_year=("year", "min"),
                last_year=("year", "max"),
                years=("year", "nunique"),
                reports=("n_reports", "sum"),
            )
            .reset_index()
        )
        concepts = df["concept"].nunique() if "concept" in df.columns else 0
        summary["reports"] = summary["reports"] // max(concepts, 1)
        return h.para("One row per series (reports summed over years).") + h.table(summary)

    out.append(_table_block(src, "year-series", "Year series", [t / "year_series.csv"], series))

    def section_diff() -> str:
        df = _read(t / "concept_section_diff.csv")
        cols = _cols(
            df,
            (
                "collection",
                "group",
                "concept",
                "label_en",
                "n_reports",
                "review_rate",
                "plan_rate",
                "diff",
                "diff_ci_low",
                "diff_ci_high",
                "zero_in_ci",
                "ci_method",
            ),
        )
        return h.para(
            "Plan minus review rate per 10,000 characters, over the reports with both sections, "
            "with the interval of the difference (reports resampled as pairs)."
        ) + h.table(df[cols], max_rows=n)

    out.append(
        _table_block(
            src,
            "section-diff",
            "Plan minus review",
            [t / "concept_section_diff.csv"],
            section_diff,
        )
    )
    out.append(
        _table_block(
            src,
            "section-shift",
            "Review vs plan",
            [t / "concept_section_shift.csv"],
            lambda: h.table(_read(t / "concept_section_shift.csv"), max_rows=n),
        )
    )
    out.append(_keyness(src))

    def tfidf() -> str:
        df = _read(t / "tfidf_top_terms.csv").sort_values(["scope", "group", "rank"])
        top = df.groupby(["scope", "group"], sort=True)["term"].apply(
            lambda s: " ".join(map(str, s.head(n)))
        )
        top = top.reset_index().rename(columns={"term": f"top {n} terms"})
        blocks = [h.para(f"The {n} most distinctive terms of the first {n} groups of each scope.")]
        for scope, part in top.groupby("scope", sort=True):
            blocks.append(
                h.para(f"{scope}: {len(part)} groups")
                + h.table(part.drop(columns="scope"), max_rows=n)
            )
        return "".join(blocks)

    out.append(_table_block(src, "tfidf", "TF-IDF top terms", [t / "tfidf_top_terms.csv"], tfidf))
    out.append(
        _table_block(
            src,
            "topic-terms",
            "Topics",
            [tp / "topics.csv", tp / "topic_terms.csv"],
            lambda: h.table(_read(tp / "topics.csv"), scroll=True),
        )
    )
    out.append(
        _table_block(
            src,
            "selection",
            "Choice of K",
            [tp / "selection.json", tp / "model_selection.csv"],
            lambda: _selection(src),
        )
    )
    out.append(_all_files(src))
    return "".join(out)


def _keyness(src: Sources) -> str:
    folder = src.results.tables_dir / "keyness"
    index = folder / "index.csv"

    def body() -> str:
        idx = _read(index)
        blocks = [h.table(idx, scroll=True)]
        for comp in idx["comparison"].astype(str):
            path = folder / f"{comp}.csv"
            if path.parent != folder or not path.is_file():
                blocks.append(h.para(f"keyness/{comp}.csv is absent.", note=True))
                continue
            df = _read(path)
            cols = _cols(
                df, ("term", "target_count", "reference_count", "g2", "q", "log_ratio", "direction")
            )
            top = (
                pd.concat([g.head(src.top_rows) for _, g in df.groupby("direction", sort=True)])
                if "direction" in df.columns
                else df.head(src.top_rows)
            )
            blocks.append(h.heading(4, f"keyness-{comp}", comp))
            blocks.append(f"<p>Full table: {src.file_links(path)}.</p>" + h.table(top[cols]))
        return "".join(blocks)

    return _table_block(src, "keyness", "Keyness comparisons", [index], body)


def _selection(src: Sources) -> str:
    path = src.results.topics_dir / "selection.json"
    blocks = []
    if path.is_file():
        sel = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            {
                "key": k,
                "value": json.dumps(v, ensure_ascii=False, sort_keys=True)
                if isinstance(v, dict | list)
                else v,
            }
            for k, v in sorted(sel.items())
        ]
        blocks.append(h.table(pd.DataFrame(rows, columns=["key", "value"])))
    ms = src.results.topics_dir / "model_selection.csv"
    if ms.is_file():
        blocks.append(h.table(_read(ms), max_rows=src.top_rows, scroll=True))
    return "".join(blocks)


def _all_files(src: Sources) -> str:
    """Links to every table file of the measures and topics folders."""
    out = [h.heading(3, "all-files", "Every table file")]
    entries = []
    for folder in (src.results.tables_dir, src.results.topics_dir):
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*")):
            if (
                p.is_file()
                and p.suffix in TABLE_SUFFIXES
                and p.name != "stamp.json"
                and not p.name.startswith(".")
            ):
                entries.append(h.link(src.rel(p), src.shown(p)) + f" ({p.stat().st_size:,} bytes)")
    out.append(h.items(entries) if entries else h.para("No table files yet.", note=True))
    return "".join(out)


# -- topics page -------------------------------------------------------------------------------
def network_refs(page: str) -> list[str]:
    """URLs a page loads or links from the network (``src``/``href`` to ``http(s)://`` or
    ``//``), sorted and unique."""
    return sorted(set(NETWORK_REF.findall(page)))


def ldavis_part(src: Sources) -> str:
    """A link to the LDAvis page and whether it works offline."""
    out = [h.heading(2, "ldavis", "Topic explorer (LDAvis)")]
    path = src.results.topics_dir / "ldavis.html"
    if not path.is_file():
        out.append(_missing(src, path, "topics"))
        return "".join(out)
    refs = network_refs(path.read_text(encoding="utf-8", errors="replace"))
    status = (
        "loads nothing from the network"
        if not refs
        else f"refers to the network: {', '.join(refs)}"
    )
    out.append(f"<p>{h.link(src.rel(path), 'Open the LDAvis page')} ({h.esc(status)}).</p>")
    return "".join(out)


# -- provenance --------------------------------------------------------------------------------
def provenance_part(src: Sources, stages: Sequence[str]) -> str:
    """The stamps of ``stages``: config and corpus hashes, code identity, seeds, outputs; the
    package versions they record; the figure font."""
    res = src.results
    out = [h.heading(2, "provenance", "Provenance (manifest summary)")]
    rows, versions = [], {}
    for stage in stages:
        stamp = res.stamp(stage)
        if stamp is None:
            rows.append({"stage": stage, "status": "not built"})
            continue
        # the figures stamp holds one entry per figure, each with its own provenance
        entries = list(stamp.get("figures", {}).values()) if stage == "figures" else [stamp]
        rows.append(
            {
                "stage": stage,
                "status": "built",
                **{key: _joined(entries, key) for key in ("config_hash", "corpus_hash", "seed")},
                **{key: _joined(entries, "code", key) for key in ("version", "source_hash", "git")},
                "outputs": len(stamp.get("outputs", {})),
            }
        )
        for entry in entries:
            for name, version in entry.get("versions", {}).items():
                versions.setdefault(name, set()).add(str(version))
    columns = [
        "stage",
        "status",
        "config_hash",
        "corpus_hash",
        "seed",
        "version",
        "source_hash",
        "git",
        "outputs",
    ]
    # manifest.json is rebuilt once this page is written (it lists the page too): always linked
    manifest = h.link(src.rel(res.manifest_path), "manifest.json")
    out.append(f"<p>Every output with its sha256, config and inputs: {manifest}.</p>")
    out.append(h.table(pd.DataFrame(rows, columns=columns).astype(object).fillna("")))
    figs = _figure_entries(res)
    fonts = sorted(
        {
            (e.get("font", {}).get("file", ""), e.get("font", {}).get("sha256", ""))
            for e in figs.values()
        }
    )
    if fonts:
        out.append(h.para("Figure font: " + "; ".join(f"{f} (sha256 {s[:16]})" for f, s in fonts)))
    if versions:
        table = pd.DataFrame(
            [
                {"package": k, "version": ", ".join(sorted(v))}
                for k, v in sorted(versions.items(), key=lambda kv: kv[0].lower())
            ]
        )
        out.append(h.heading(3, "versions", "Package versions"))
        out.append(h.table(table))
    return "".join(out)


def _joined(entries: Sequence[dict[str, Any]], *keys: str) -> str:
    """The distinct values of ``entry[keys[0]][keys[1]]...`` over ``entries``, sorted and
    comma-separated (a source hash cut to 16 hex digits)."""
    values = set()
    for entry in entries:
        value: Any = entry
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and value != "":
            values.add(str(value)[:16] if keys[-1] == "source_hash" else str(value))
    return ", ".join(sorted(values))
