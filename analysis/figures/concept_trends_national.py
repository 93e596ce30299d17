"""Concept trends in the bundled national work reports: rate per 10k characters with its interval.

The series is ``bundled/national/work_report`` of ``tables/year_series.csv`` (or, without that
table, the concept panel's ``collection == 'bundled' and level == 'national' and doc_type ==
'work_report'`` reports), so a user's folder ingested alongside never changes it; other series
are drawn by ``year_series``.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    PER_CHARS,
    POOLED_CI,
    FigureSpec,
    concept_label,
    method_line,
)
from analysis.figures.draw import SERIES_COLOR, mark_years, panel_grid, series_band
from analysis.figures.emphasis import CONCEPTS, PANEL, read_concepts
from analysis.figures.series import NATIONAL, YEAR_SERIES, national_series, selected_concepts

NCOLS = 5


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one per concept: yearly rate, 95% interval band, key years dotted."""
    concepts = selected_concepts(read_concepts(results), cfg.figures.trend_concepts)
    nat = national_series(results)
    nrows = -(-len(concepts) // NCOLS)
    fig = Figure(figsize=(11, 1.2 + 1.45 * nrows))
    axes = panel_grid(fig, len(concepts), ncols=NCOLS, sharex=True)
    years = nat["year"].astype(int)
    for i, (ax, c) in enumerate(zip(axes, concepts.itertuples(), strict=True)):
        d = nat[nat["concept"] == c.concept]
        mark_years(ax, cfg.figures.key_years, labels=i < NCOLS)
        series_band(
            ax,
            d["year"].astype(int),
            d["rate"],
            d["ci_low"],
            d["ci_high"],
            color=SERIES_COLOR,
        )
        ax.set_title(concept_label(c.label_en, c.label_zh, width=34), fontsize=7)
        ax.set_ylim(0, None)
        ax.set_xlim(years.min() - 2, years.max() + 2)
        ax.set_xticks(range(-(-int(years.min()) // 20) * 20, int(years.max()) + 1, 20))
    for ax in axes[::NCOLS]:
        ax.set_ylabel("per 10k chars")
    marks = " · ".join(f"{y} {t}" for y, t in sorted(cfg.figures.key_years.items()))
    fig.suptitle(
        f"Concept emphasis in {int(nat.drop_duplicates('year')['n_reports'].sum())} national "
        f"reports ({NATIONAL}), "
        f"{years.min()}-{years.max()} (rate per 10,000 characters, 95% bootstrap band;"
        f" gaps = years without a report)\ndotted: {marks}",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="concept_trends_national",
    question="How has the national report's emphasis on each concept changed since 1954?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS,
        interval=POOLED_CI,
    ),
    settings=("trend_concepts", "key_years"),
    optional=(YEAR_SERIES,),
)
