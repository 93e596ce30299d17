"""Corpus overview: which reports there are (level, province, year), how long, and their flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import NO_INTERVAL, FigureSpec, method_line, read_table
from analysis.figures.draw import LEVELS, group_color, ordered

DOCUMENTS = "corpus/documents.parquet"
COLUMNS = (
    "doc_id", "place", "level", "province", "year", "n_chars", "truncated", "abridged",
    "numbers_deleted", "masked_restored", "masked_unresolved", "number_gaps", "t2s_converted",
    "duplicate_of", "known_issues",
)  # fmt: skip
# Flags computed at ingest (True when the condition holds) and their labels.
FLAG_LABELS: dict[str, str] = {
    "truncated": "truncated (text incomplete)",
    "abridged": "abridged (newspaper summary)",
    "numbers_deleted": "numbers deleted",
    "number_gaps": "number gaps (突破亿元)",
    "masked_unresolved": "masked chars left as *",
    "masked_restored": "masked chars restored",
    "t2s_converted": "converted from traditional",
    "duplicate_of": "duplicate of another report",
}
# Source problems noted in data/metadata.csv (known_issues) and removed or handled at ingest.
ISSUE_LABELS: dict[str, str] = {
    "ocr_errors": "source: OCR errors",
    "toc": "source: table of contents",
    "no_line_breaks": "source: lost line breaks",
    "segment_lines": "source: broken lines",
    "traditional": "source: traditional script",
    "advertisement": "source: advertisement",
    "glossary": "source: glossary appended",
    "appendix_tables": "source: tables appended",
    "attachment_names": "source: attachment file names",
    "web_chrome": "source: web page chrome",
    "crawler_header": "source: crawler header lines",
    "wiki_footer": "source: Wikisource footer",
    "truncated_start": "source: opening missing",
}


def flag_table(docs: pd.DataFrame) -> pd.DataFrame:
    """Reports per flag (rows, in :data:`FLAG_LABELS` then issue order) and level (columns).

    Flags held by no report are left out, except the content flags, which show as zero.
    """
    flags = pd.DataFrame(index=docs.index)
    for col in FLAG_LABELS:
        s = docs[col]
        if col == "duplicate_of":
            flags[col] = s.notna() & (s.astype("string").fillna("") != "")
        elif s.dtype == bool:
            flags[col] = s
        else:
            flags[col] = s.fillna(0).astype(int) > 0
    issues = docs["known_issues"].fillna("").astype(str).str.split(";")
    for issue in ISSUE_LABELS:
        held = issues.map(lambda xs, i=issue: i in xs)
        if held.any():
            flags[issue] = held
    counts = flags.astype(int).groupby(docs["level"]).sum().T
    counts = counts.reindex(columns=ordered(counts.columns, LEVELS), fill_value=0)
    counts.index = [FLAG_LABELS.get(i, ISSUE_LABELS.get(i, i)) for i in counts.index]
    return counts


def _empty(ax: Axes, text: str, title: str) -> Axes:
    """An axes that says in words why it shows nothing."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8, color="#555555")
    ax.set_title(title)
    return ax


def _timeline(ax: Axes, docs: pd.DataFrame) -> Axes:
    title = "Reports by level and year (one dot per year; number = reports that year)"
    dated = docs.dropna(subset=["year"])
    if dated.empty:
        return _empty(ax, "no report has a year (see corpus/metadata_template.csv)", title)
    counts = dated.groupby(["level", "year"]).size()
    levels = ordered(counts.index.get_level_values(0), LEVELS)
    for row, level in enumerate(levels):
        years = counts.loc[level]
        y = len(levels) - 1 - row
        ax.scatter(
            years.index,
            np.full(len(years), y),
            s=8 + 6 * np.sqrt(years.to_numpy()),
            color=group_color(level),
            zorder=3,
            linewidths=0,
        )
        for year, n in years.items():
            if n > 1:
                ax.annotate(
                    str(n),
                    (year, y),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=6,
                )
        ax.annotate(
            f"{years.sum()} reports",
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=6.5,
        )
    ax.set_yticks(range(len(levels)), levels[::-1])
    ax.set_ylim(-0.7, len(levels) - 0.3)
    ax.grid(axis="y", visible=False)
    year_min, year_max = int(dated["year"].min()), int(dated["year"].max())
    ax.set_xlim(year_min - 1.5, year_max + 1.5)
    ax.set_xlabel("year of the report")
    undated = len(docs) - len(dated)
    ax.set_title(title + (f"; {undated} report(s) without a year not shown" if undated else ""))
    return ax


def _stacked_barh(ax: Axes, counts: pd.DataFrame) -> Axes:
    """Rows of ``counts`` as horizontal bars stacked by level (columns), first row on top."""
    pos = np.arange(len(counts))[::-1]
    left = np.zeros(len(counts))
    for level in counts.columns:
        ax.barh(pos, counts[level], left=left, color=group_color(level), label=level, height=0.7)
        left += counts[level].to_numpy()
    for p, total in zip(pos, left, strict=True):
        ax.annotate(
            str(int(total)),
            (total, p),
            xytext=(2, 0),
            textcoords="offset points",
            va="center",
            fontsize=6,
        )
    ax.set_yticks(pos, counts.index)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(1.0, left.max(initial=0.0)) * 1.12)
    return ax


def _lengths(ax: Axes, docs: pd.DataFrame, *, seed: int) -> Axes:
    rng = np.random.default_rng(seed)
    levels = ordered(docs["level"], LEVELS)
    medians: list[float] = []
    for i, level in enumerate(levels):
        k = docs.loc[docs["level"] == level, "n_chars"].to_numpy(dtype=float) / 1000
        ax.scatter(
            i + rng.uniform(-0.22, 0.22, len(k)),
            k,
            s=7,
            color=group_color(level),
            alpha=0.75,
            linewidths=0,
        )
        medians.append(float(np.median(k)))
        ax.plot([i - 0.32, i + 0.32], [medians[-1]] * 2, color="#222222", linewidth=1.2)
    ax.set_xticks(
        range(len(levels)),
        [f"{lv}\nmedian {m:.1f}k" for lv, m in zip(levels, medians, strict=True)],
    )
    ax.set_xlim(-0.5, len(levels) - 0.5)
    ax.set_ylim(0, None)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("thousand characters (clean text)")
    ax.set_title("Report length by level (bar = median)")
    return ax


def make(results: Path, cfg: Config) -> Figure:
    """Timeline of reports by level and year, reports per province, lengths, quality flags."""
    docs = read_table(results, DOCUMENTS, columns=COLUMNS)
    fig = Figure(figsize=(10, 9.5))
    axd = fig.subplot_mosaic(
        [["time", "time"], ["prov", "len"], ["prov", "flags"]],
        height_ratios=[1.0, 1.35, 1.35],
        width_ratios=[1, 1.25],
    )
    _timeline(axd["time"], docs)
    sub = docs[docs["level"] != "national"]
    sub = sub.assign(province=sub["province"].fillna("").replace("", "(no province)"))
    if sub.empty:
        _empty(axd["prov"], "no sub-national reports", "Sub-national reports by province")
    else:
        by_prov = sub.groupby(["province", "level"]).size().unstack(fill_value=0)
        by_prov = by_prov.reindex(columns=ordered(by_prov.columns, LEVELS))
        total = by_prov.sum(axis=1).sort_values(ascending=False, kind="stable")
        ax = _stacked_barh(axd["prov"], by_prov.loc[total.index])
        ax.set_xlabel("reports")
        ax.set_title("Sub-national reports by province")
        ax.legend(loc="lower right", title="level")
    _lengths(axd["len"], docs, seed=cfg.seed)
    ax = _stacked_barh(axd["flags"], flag_table(docs))
    ax.set_xlabel("reports")
    ax.set_title("Quality flags and source problems handled at ingest")
    ax.legend(loc="upper right", title="level")
    n_docs, n_places = len(docs), docs["place"].nunique()
    fig.suptitle(f"Corpus: {n_docs} reports from {n_places} places")
    return fig


SPEC = FigureSpec(
    id="corpus_overview",
    question="Which reports does the corpus hold (level, province, year), how long are they, "
    "and which carry quality flags?",
    inputs=(DOCUMENTS,),
    make=make,
    method=method_line(
        counting="reports, places and years, and report length in characters of clean text (whitespace excluded)",
        denominator="none (counts and lengths)",
        interval=NO_INTERVAL,
    ),
    seeded=True,
)
