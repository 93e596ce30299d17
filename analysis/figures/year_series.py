"""Year series other than the bundled national one: one panel per series, selected concepts.

Every series of ``tables/year_series.csv`` (a level or a place of one collection and document
type, with 3+ years) except ``bundled/national/work_report`` (drawn by
``concept_trends_national``) gets a panel, up to :data:`MAX_PANELS` (those with the most years
first); the ones left out are named under the figure. The concepts are ``[figures]
trend_concepts`` or, when that is empty, the :data:`TOP_CONCEPTS` with the highest rate pooled
over the drawn series.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    PER_CHARS,
    POOLED_CI,
    FigureSkipped,
    FigureSpec,
    concept_label,
    method_line,
    wrap_label,
)
from analysis.figures.draw import LINE_COLORS, panel_grid, series_band
from analysis.figures.emphasis import CONCEPTS, read_concepts
from analysis.figures.series import (
    NATIONAL,
    YEAR_SERIES,
    read_series,
    selected_concepts,
    series_order,
    top_concepts,
)

MAX_PANELS = 12
TOP_CONCEPTS = 5
NCOLS = 3


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one per series: each selected concept's yearly rate with its band."""
    table = read_series(results)
    table = table[table["series"] != NATIONAL]
    if table.empty:
        raise FigureSkipped(
            f"{YEAR_SERIES} has no series other than {NATIONAL} (a series needs reports of 3+ "
            "years of one level or place; see tables/skipped.csv)"
        )
    order = series_order(table)
    shown, left_out = order[:MAX_PANELS], order[MAX_PANELS:]
    table = table[table["series"].isin(shown)]
    concepts = read_concepts(results)
    if cfg.figures.trend_concepts:
        concepts = selected_concepts(concepts, cfg.figures.trend_concepts)
    else:
        concepts = top_concepts(table, concepts, TOP_CONCEPTS)
    if concepts.empty:
        raise FigureSkipped(f"no concept is mentioned in the series of {YEAR_SERIES}")
    nrows = -(-len(shown) // NCOLS)
    fig = Figure(figsize=(11, 1.6 + 2.3 * nrows))
    axes = panel_grid(fig, len(shown), ncols=NCOLS)
    for ax, series in zip(axes, shown, strict=True):
        d = table[table["series"] == series]
        for color, c in zip(LINE_COLORS * 3, concepts.itertuples(), strict=False):
            s = d[d["concept"] == c.concept]
            series_band(
                ax,
                s["year"],
                s["rate"],
                s["ci_low"],
                s["ci_high"],
                color=color,
                label=concept_label(c.label_en, c.label_zh),
            )
        n_reports = int(d.drop_duplicates("year")["n_reports"].sum())
        ax.set_title(wrap_label(f"{series} ({n_reports} reports)", 48), fontsize=7.5)
        ax.set_ylim(0, None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=6.5)
    for ax in axes[::NCOLS]:
        ax.set_ylabel("per 10k chars")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)))
    note = ""
    if left_out:
        note = f"\nnot drawn ({len(left_out)} more series): " + wrap_label(", ".join(left_out), 150)
    fig.suptitle(
        f"Concept emphasis over the years in {len(shown)} series other than {NATIONAL} "
        "(rate per 10,000 characters, pooled over a year's reports; 95% band)" + note,
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="year_series",
    question="How has the emphasis on the main concepts changed over the years in each level and "
    "place with reports of three or more years (other than the bundled national series)?",
    inputs=(YEAR_SERIES, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS + ", pooled over a year's reports of the series",
        interval=POOLED_CI,
    ),
    settings=("trend_concepts",),
)
