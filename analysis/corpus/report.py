"""The ingest report in Markdown (``<results>/corpus/ingest_report.md``): every input file, what
each cleaning rule removed, the quality flags, restorations and where metadata came from."""

from __future__ import annotations

import re

import pandas as pd

# Characters that end or change a Markdown table cell: | and line breaks end it, backticks open
# code spans, \ escapes, < opens HTML.
_CELL_RE = re.compile(r"[|`\\<]")


def cell(value: object) -> str:
    """``value`` as the text of one Markdown table cell: line breaks become the visible
    ``\\n``, and ``| ` \\ <`` are backslash-escaped, so any file name stays in its cell."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CELL_RE.sub(lambda m: "\\" + m.group(), text)
    return text.replace("\n", "\\n")


def _count(value: object) -> object:
    """A count read back from CSV as a float (``3.0``) as the integer it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def render_report(
    documents: pd.DataFrame,
    report: pd.DataFrame,
    rules: pd.DataFrame,
    restorations: pd.DataFrame,
    template: pd.DataFrame | None = None,
) -> str:
    """Markdown ingest report: files, rejections, cleaning per rule, flags, restorations, where
    metadata came from and the reports whose year or place needs checking (``template``)."""
    n_files = len(report)
    lines = [
        "# Ingest report",
        "",
        f"{n_files} input files; {len(documents)} reports.",
        "",
        "## Files",
        "",
        "| file | status | reports | encoding | reason | doc_ids |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.astype(object).fillna("").itertuples():
        cells = (r.file, r.status, _count(r.reports), getattr(r, "encoding", ""), r.reason)
        lines.append("| " + " | ".join(map(cell, (*cells, r.doc_ids))) + " |")
    lines += [
        "",
        "## What each cleaning rule removed or changed (characters)",
        "",
        "| rule | reports | characters |",
        "|---|---|---|",
    ]
    if len(rules):
        agg = rules.groupby("rule")["chars"].agg(["count", "sum"]).sort_index()
        lines += [f"| {k} | {v['count']} | {v['sum']} |" for k, v in agg.iterrows()]
    lines += [
        "",
        "## Quality flags",
        "",
        "| doc_id | truncated | truncated_start | abridged | masked restored / unresolved "
        "| number gaps | traditional->simplified | duplicate_of |",
        "|---|---|---|---|---|---|---|---|",
    ]
    flagged = documents[
        documents["truncated"]
        | documents["abridged"]
        | (documents["masked_restored"] + documents["masked_unresolved"] > 0)
        | documents["numbers_deleted"]
        | (documents["t2s_converted"] > 0)
        | documents["duplicate_of"].notna()
    ]
    for d in flagged.itertuples():
        lines.append(
            f"| {d.doc_id} | {d.truncated} | {getattr(d, 'truncated_start', False)} | "
            f"{d.abridged} | {d.masked_restored} / "
            f"{d.masked_unresolved} | {d.number_gaps} | {d.t2s_converted} | "
            f"{d.duplicate_of or ''} |"
        )
    if len(restorations):
        lines += [
            "",
            "## Masked characters",
            "",
            "Restored from corpus statistics (see `restorations.csv` for every one):",
            "",
            "| restored as | count | mean confidence |",
            "|---|---|---|",
        ]
        agg = restorations.groupby("char")["confidence"].agg(["count", "mean"])
        lines += [f"| {k} | {int(v['count'])} | {v['mean']:.2f} |" for k, v in agg.iterrows()]
    src_cols = [c for c in documents.columns if c.endswith("_source")]
    lines += [
        "",
        "## Where metadata came from",
        "",
        "| field | table | user | inferred | missing |",
        "|---|---|---|---|---|",
    ]
    for c in src_cols:
        vc = documents[c].value_counts()
        lines.append(
            f"| {c[:-7]} | {vc.get('table', 0)} | {vc.get('user', 0)} | "
            f"{vc.get('inferred', 0)} | {vc.get('missing', 0)} |"
        )
    lines += _template_section(template)
    return "\n".join(lines) + "\n"


def _template_section(template: pd.DataFrame | None) -> list[str]:
    """The reports of ``metadata_template.csv``, or a line saying none needs checking."""
    lines = ["", "## Year and place to check", ""]
    if template is None or template.empty:
        return [
            *lines,
            "Every report has a year and a place (from a table or inferred with "
            "medium or high confidence); no `metadata_template.csv` was written.",
        ]
    lines += [
        f"{len(template)} report(s) have no year or place, or only an uncertain one. "
        "`metadata_template.csv` lists them with every metadata field; copy it out of the "
        "results folder, fill it in and pass it back with `--metadata`.",
        "",
        "| source file | part | issue |",
        "|---|---|---|",
    ]
    lines += [
        f"| {cell(r.source_file)} | {r.part} | {cell(r.issue)} |" for r in template.itertuples()
    ]
    return lines
