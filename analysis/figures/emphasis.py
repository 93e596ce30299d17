"""Shared by the concept-emphasis figures: the concept panel as a place x concept rate matrix.

A rate is a concept's count per 10,000 characters of clean text (``tables/concept_panel``,
section ``all``); pooling several reports adds their counts and characters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from analysis.figures.base import concept_label, read_table
from analysis.figures.draw import heatmap

PANEL = "tables/concept_panel.parquet"
CONCEPTS = "tables/concepts.csv"
PANEL_COLUMNS = (
    "doc_id", "place", "level", "province", "region", "year", "doc_type", "collection", "section",
    "concept",
    "label_en", "label_zh", "count", "chars", "rate", "ci_low", "ci_high",
)  # fmt: skip
# Colour range of the heatmaps: log2 of rate / concept mean, clipped to +-LOG2_CLIP.
LOG2_CLIP = 2.0
NOT_MENTIONED = "#d9d9d9"


def read_concepts(results: Path) -> pd.DataFrame:
    """``tables/concepts.csv`` (concept, label_en, label_zh ...) in dictionary order."""
    return read_table(results, CONCEPTS, columns=("concept", "label_en", "label_zh"))


def read_panel(results: Path, *, section: str = "all") -> pd.DataFrame:
    """Rows of ``tables/concept_panel.parquet`` for one section (default the whole report)."""
    panel = read_table(results, PANEL, columns=PANEL_COLUMNS)
    return panel[panel["section"] == section].reset_index(drop=True)


def pooled_rates(panel: pd.DataFrame, by: list[str], concepts: pd.Series) -> pd.DataFrame:
    """Rate per 10k characters of each concept (columns, in ``concepts`` order) per group ``by``.

    Counts and characters of the reports in a group are summed before dividing.
    """
    sums = panel.groupby([*by, "concept"], sort=True, dropna=False)[["count", "chars"]].sum()
    rate = (sums["count"] / sums["chars"] * 1e4).unstack("concept")
    return rate.reindex(columns=list(concepts))


def draw_emphasis(
    fig: Figure,
    rates: pd.DataFrame,
    *,
    concepts: pd.DataFrame,
    row_labels: list[str],
    groups: list[str],
    title: str,
) -> Figure:
    """Heatmap of ``rates`` (rows x concepts) relative to each concept's mean over the rows.

    Colour is ``log2(rate / column mean)`` clipped to +-:data:`LOG2_CLIP` (blue: less than the
    other rows, red: more); a grey cell is a concept the report does not mention. Concepts no
    row mentions are left out and named in the title. The column mean (per 10k characters) is
    printed above each column. ``groups`` (one per row, rows sorted by it) are named at the right
    with a white line between them.
    """
    unused = rates.columns[rates.fillna(0).sum(axis=0) == 0]
    rates = rates.drop(columns=unused)
    concepts = concepts.set_index("concept")
    mean = rates.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.log2(rates.where(rates > 0) / mean)
    rel = rel.clip(-LOG2_CLIP, LOG2_CLIP)
    ax = fig.subplots()
    labels = [
        concept_label(concepts.at[c, "label_en"], concepts.at[c, "label_zh"]) for c in rates.columns
    ]
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-LOG2_CLIP, vmax=LOG2_CLIP)
    cmap = colormaps["RdBu_r"].with_extremes(bad=NOT_MENTIONED)
    heatmap(ax, rel, cmap=cmap, norm=norm, xlabels=labels, ylabels=row_labels)
    top = ax.secondary_xaxis("top")
    top.set_xticks(range(len(mean)), [f"{m:.1f}" for m in mean])
    top.tick_params(length=0, labelsize=5.5, labelcolor="#444444")
    top.spines["top"].set_visible(False)
    bounds = [i for i in range(1, len(groups)) if groups[i] != groups[i - 1]]
    for b in bounds:
        ax.axhline(b - 0.5, color="white", linewidth=2.0)
    for start, end in zip([0, *bounds], [*bounds, len(groups)], strict=True):
        ax.annotate(
            groups[start],
            (1.0, (start + end - 1) / 2),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ticks = np.arange(-LOG2_CLIP, LOG2_CLIP + 1)
    cbar = fig.colorbar(ax.images[0], ax=ax, shrink=0.45, pad=0.01, aspect=25, ticks=ticks)
    cbar.ax.set_yticklabels([f"{2.0**t:g}×" for t in ticks])
    cbar.set_label("rate relative to the concept's mean over the rows")
    note = "numbers on top: mean rate per 10,000 characters; grey: not mentioned"
    if len(unused):
        names = ", ".join(concepts.at[c, "label_en"] for c in unused)
        note += f"\nnot mentioned in any of these reports (left out): {names}"
    ax.set_title(f"{title}\n{note}")
    return fig
