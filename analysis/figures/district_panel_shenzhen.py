"""Chosen concepts by district and year under one prefecture (default 深圳市): a heatmap each.

Rows are the county-level places (districts) of the concept panel whose ``prefecture`` is
``[figures] district_prefecture``, columns every year from their first report to their last; a
cell is the concept's rate per 10,000 characters (whole report) of the district's reports of that
year. A year without a report is a hatched empty cell (a gap, never 0); two reports of one year
(the two sessions of a 换届 year) are pooled, counts and characters summed, and marked ``×2``; a
management-committee report (``doc_type`` ``committee_report``, 管委会, not a report to a
people's congress) is marked ``管`` (another document type other than ``work_report``: ``*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    NO_INTERVAL,
    PER_CHARS,
    FigureSkipped,
    FigureSpec,
    concept_label,
    method_line,
    read_table,
    title_lines,
)
from analysis.figures.draw import heatmap, panel_grid
from analysis.figures.emphasis import CONCEPTS, PANEL, PANEL_COLUMNS, read_concepts
from analysis.figures.series import MIN_YEARS, UNKNOWN, chosen_concepts

LEVEL = "county-level"
MIN_DISTRICTS = 2
TOP_CONCEPTS = 5
SETTING = "[figures] district_prefecture"
COMMITTEE = "committee_report"
CMAP = "viridis"
GAP_HATCH = "#b0b0b0"


@dataclass(frozen=True)
class DistrictGrid:
    """The cells of the district panel.

    Attributes
    ----------
    rates : DataFrame
        Rows ``(concept, district)``, columns every year (int) from the first to the last
        report; the rate per 10,000 characters pooled over the district's reports of the year,
        NaN where it has none.
    n_reports : DataFrame
        Rows district, the same columns: number of reports (0 = a gap).
    marks : DataFrame
        Rows district, the same columns: ``""``, or ``管`` for a management-committee report
        (``*`` another non-work-report type), then ``×2`` when reports were pooled.
    """

    rates: pd.DataFrame
    n_reports: pd.DataFrame
    marks: pd.DataFrame


def read_local_panel(results: Path) -> pd.DataFrame:
    """Whole-report rows of the concept panel (with ``prefecture``) for county-level places."""
    panel = read_table(results, PANEL, columns=(*PANEL_COLUMNS, "prefecture"))
    panel = panel[(panel["section"] == "all") & (panel["level"] == LEVEL)]
    return panel.dropna(subset=["year"]).assign(prefecture=panel["prefecture"].fillna(""))


def district_years(panel: pd.DataFrame) -> pd.Series:
    """Distinct years per ``(prefecture, district)`` of ``panel`` (the rows of its places)."""
    return panel.groupby(["prefecture", "place"])["year"].nunique()


def choose_prefecture(panel: pd.DataFrame, wanted: str) -> str:
    """``wanted``, or when it is ``""`` the prefecture with the most districts of
    :data:`~analysis.figures.series.MIN_YEARS`+ years (ties by name; ``""`` if none)."""
    if wanted:
        return wanted
    years = district_years(panel[panel["prefecture"] != ""])
    counts = (years >= MIN_YEARS).groupby(level="prefecture").sum()
    counts = counts[counts > 0]
    if counts.empty:
        return ""
    return str(counts.reset_index().sort_values(["year", "prefecture"], ascending=[False, True])
               .iloc[0]["prefecture"])  # fmt: skip


def _mark(doc_types: set[str], n_reports: int) -> str:
    kind = "管" if COMMITTEE in doc_types else ("*" if doc_types - {"work_report"} else "")
    return kind + (f"×{n_reports}" if n_reports > 1 else "")


def district_grid(panel: pd.DataFrame, prefecture: str, concepts: list[str]) -> DistrictGrid:
    """The cells of ``concepts`` for the county-level places of ``prefecture`` in ``panel``
    (whole-report concept-panel rows); districts ordered by first year, then name."""
    rows = panel[panel["prefecture"] == prefecture]
    several = rows["collection"].nunique() > 1
    rows = rows.assign(
        year=rows["year"].astype(int),
        district=rows["place"] + (" [" + rows["collection"] + "]" if several else ""),
    )
    first = rows.groupby("district")["year"].min()
    districts = sorted(first.index, key=lambda d: (first[d], d))
    years = list(range(int(rows["year"].min()), int(rows["year"].max()) + 1))
    sums = rows.groupby(["concept", "district", "year"])[["count", "chars"]].sum()
    rate = (sums["count"] / sums["chars"] * 1e4).unstack("year")
    index = pd.MultiIndex.from_product([concepts, districts], names=["concept", "district"])
    rates = rate.reindex(index=index, columns=years)
    docs = rows.drop_duplicates("doc_id")
    n = docs.groupby(["district", "year"])["doc_id"].nunique().unstack("year")
    n_reports = n.reindex(index=districts, columns=years).fillna(0).astype(int)
    types = docs.groupby(["district", "year"])["doc_type"].agg(lambda s: set(s.astype(str)))
    marks = pd.DataFrame("", index=pd.Index(districts, name="district"), columns=years)
    for (district, year), doc_types in types.items():
        marks.at[district, year] = _mark(doc_types, int(n_reports.at[district, year]))
    return DistrictGrid(rates=rates, n_reports=n_reports, marks=marks)


def _draw_panel(ax, fig: Figure, values: pd.DataFrame, marks: pd.DataFrame, title: str) -> None:
    """One concept's district x year heatmap with its colour bar, gaps hatched, cells marked."""
    vmax = float(np.nanmax(values.to_numpy(dtype=float), initial=0.0)) or 1.0
    norm = Normalize(vmin=0.0, vmax=vmax)
    cmap = colormaps[CMAP].with_extremes(bad="white")
    heatmap(ax, values, cmap=cmap, norm=norm, xlabels=[str(y) for y in values.columns])
    ax.tick_params(axis="x", labelrotation=90, labelsize=6)
    ax.tick_params(axis="y", labelsize=6.5)
    for r, c in zip(*np.nonzero(values.isna().to_numpy()), strict=True):
        ax.add_patch(
            Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch="////", edgecolor=GAP_HATCH, lw=0)
        )
    for r, c in zip(*np.nonzero(marks.to_numpy() != ""), strict=True):
        value = values.iat[r, c]
        light = not np.isnan(value) and norm(value) > 0.6  # viridis is light at the top
        ax.text(c, r, marks.iat[r, c], ha="center", va="center", fontsize=4.5,
                color="black" if light else "white")  # fmt: skip
    ax.set_title(title, fontsize=7.5)
    cbar = fig.colorbar(ax.images[0], ax=ax, shrink=0.9, pad=0.01, aspect=15)
    cbar.ax.tick_params(labelsize=5.5)
    cbar.set_label("per 10k chars", fontsize=6)


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one heatmap per concept: districts (rows) x years (columns)."""
    panel = read_local_panel(results)
    prefecture = choose_prefecture(panel, cfg.figures.district_prefecture)
    years = district_years(panel[panel["prefecture"] == prefecture]) if prefecture else None
    n_long = int((years >= MIN_YEARS).sum()) if years is not None else 0
    if n_long < MIN_DISTRICTS:
        where = f"under the prefecture {prefecture}" if prefecture else "under any prefecture"
        raise FigureSkipped(
            f"the corpus has {n_long} {LEVEL} place(s) with reports of {MIN_YEARS}+ years {where} "
            f"(the district panel needs {MIN_DISTRICTS})",
            SETTING,
        )
    concepts, unknown = chosen_concepts(
        read_concepts(results),
        cfg.figures.district_concepts,
        panel[panel["prefecture"] == prefecture],
        TOP_CONCEPTS,
    )
    if concepts.empty:
        raise FigureSkipped(
            "no concept of the dictionary is mentioned in the reports of the districts of "
            + prefecture
        )
    grid = district_grid(panel, prefecture, concepts["concept"].tolist())
    n_districts = len(grid.n_reports)
    ncols = 1 if len(concepts) == 1 else 2
    nrows = -(-len(concepts) // ncols)
    fig = Figure(figsize=(11, 1.3 + nrows * (0.8 + 0.2 * n_districts)))
    axes = panel_grid(fig, len(concepts), ncols=ncols)
    for ax, c in zip(axes, concepts.itertuples(), strict=True):
        values = grid.rates.loc[c.concept]
        _draw_panel(ax, fig, values, grid.marks, concept_label(c.label_en, c.label_zh))
    first, last = grid.n_reports.columns[0], grid.n_reports.columns[-1]
    n_docs = int(grid.n_reports.to_numpy().sum())
    committee = int(grid.marks.apply(lambda s: s.str.startswith("管")).to_numpy().sum())
    lines = (
        f"Concept emphasis by district and year: {n_districts} {LEVEL} places of {prefecture}, "
        f"{n_docs} reports, {first}-{last} (rate per 10,000 characters of the whole report)",
        "hatched = no report that year (a gap, not 0); ×2 = the two reports of a 换届 year pooled",
        f"管 = management-committee report (管委会, doc_type committee_report; {committee} "
        "district-years), not a report to a people's congress",
        *([f"{UNKNOWN} (left out): {', '.join(unknown)}"] if unknown else []),
    )
    title_lines(fig, lines, fontsize=8.5)
    return fig


SPEC = FigureSpec(
    id="district_panel_shenzhen",
    question="How does the emphasis on chosen concepts differ between the Shenzhen districts and "
    "change over the years, with the gaps of the panel shown?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS + ", pooled over a district's reports of the year",
        interval=NO_INTERVAL,
    ),
    settings=("district_prefecture", "district_concepts"),
)
