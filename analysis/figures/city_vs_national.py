"""Chosen concepts in each city series against the national series of the same years.

A city series is a place series of ``tables/year_series.csv`` of level ``prefecture`` and
``doc_type`` ``work_report`` (3+ years); its national series is that of its own collection,
``<collection>/national/work_report``, or, when its collection has none, the bundled one
(``bundled/national/work_report``, named in the panel title). Only years present in both series
are drawn. One panel per concept (rows, ``[figures] city_vs_national_concepts``) and city
(columns, at most :data:`MAX_CITIES`, most years first): the city's and the nation's rate per
10,000 characters by year, each with its 95% band.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    PER_CHARS,
    POOLED_CI,
    FigureSkipped,
    FigureSpec,
    concept_label,
    method_line,
    title_lines,
    wrap_label,
)
from analysis.figures.draw import LEVEL_COLORS, TARGET_COLOR, panel_grid, series_band
from analysis.figures.emphasis import CONCEPTS, read_concepts
from analysis.figures.series import (
    NATIONAL,
    UNKNOWN,
    YEAR_SERIES,
    chosen_concepts,
    national_of,
    read_series,
    series_order,
)

CITY_LEVEL = "prefecture"
MAX_CITIES = 4
TOP_CONCEPTS = 3
NATIONAL_COLOR = LEVEL_COLORS["national"]


@dataclass(frozen=True)
class Pair:
    """A city series, the national series it is compared with, and their common years."""

    city: str
    national: str
    place: str
    years: tuple[int, ...]


def city_pairs(table: pd.DataFrame) -> tuple[list[Pair], list[str]]:
    """Every city series of the year-series ``table`` (most years first) with its national
    series and common years, and the city series left without one (with the reason)."""
    cities = table[
        (table["kind"] == "place")
        & (table["level"] == CITY_LEVEL)
        & (table["doc_type"] == "work_report")
    ]
    pairs, unpaired = [], []
    for sid in series_order(cities):
        city = cities[cities["series"] == sid]
        collection = str(city["collection"].iloc[0])
        nat = national_of(table, collection)
        if nat.empty and collection != "bundled":
            nat = national_of(table, "bundled")
        if nat.empty:
            unpaired.append(f"{sid} (no national series)")
            continue
        years = tuple(sorted(set(city["year"]) & set(nat["year"])))
        if not years:
            unpaired.append(f"{sid} (no year in common with {nat['series'].iloc[0]})")
            continue
        pairs.append(Pair(sid, str(nat["series"].iloc[0]), str(city["place"].iloc[0]), years))
    return pairs, unpaired


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples: concepts (rows) x cities (columns), city and national rate by year."""
    table = read_series(results)
    pairs, unpaired = city_pairs(table)
    if not pairs:
        why = "; ".join(unpaired) if unpaired else "none in this corpus"
        raise FigureSkipped(
            f"no {CITY_LEVEL} work-report series (3+ years) of {YEAR_SERIES} has a national "
            f"series to compare with: {why}"
        )
    shown, left_out = pairs[:MAX_CITIES], pairs[MAX_CITIES:]
    concepts, unknown = chosen_concepts(
        read_concepts(results),
        cfg.figures.city_vs_national_concepts,
        table[table["series"].isin([p.city for p in shown])],
        TOP_CONCEPTS,
    )
    if concepts.empty:
        raise FigureSkipped("no concept of the dictionary is mentioned in the city series")
    ncols = len(shown)
    fig = Figure(figsize=(max(7.5, 3.4 * ncols), 1.6 + 2.0 * len(concepts)))
    axes = panel_grid(fig, ncols * len(concepts), ncols=ncols)
    for i, c in enumerate(concepts.itertuples()):
        for ax, pair in zip(axes[i * ncols : (i + 1) * ncols], shown, strict=True):
            for sid, color, who in (
                (pair.national, NATIONAL_COLOR, "national work report"),
                (pair.city, TARGET_COLOR, "city work report (the panel's city)"),
            ):
                s = table[
                    (table["series"] == sid)
                    & (table["concept"] == c.concept)
                    & table["year"].isin(pair.years)
                ]
                series_band(
                    ax, s["year"], s["rate"], s["ci_low"], s["ci_high"], color=color, label=who
                )
            against = "" if pair.national == NATIONAL else f" ({pair.national})"
            ax.set_title(
                wrap_label(
                    f"{concept_label(c.label_en, c.label_zh)}: {pair.place} vs national{against}, "
                    f"{pair.years[0]}-{pair.years[-1]}",
                    56,
                ),
                fontsize=7,
            )
            ax.set_ylim(0, None)
            ax.set_xlim(pair.years[0] - 1, pair.years[-1] + 1)
    for ax in axes[::ncols]:
        ax.set_ylabel("per 10k chars")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    names = [p.city for p in left_out] + unpaired
    width = int(fig.get_figwidth() * 15)  # characters per title line at this size
    lines = (
        f"City vs national: {len(concepts)} concept(s) in {len(shown)} city series and "
        "the national work reports of the same years",
        "rate per 10,000 characters pooled over a year's reports, 95% bootstrap "
        "band; only years with reports in both series (gaps = a year missing from either)",
        *([f"not drawn: {', '.join(names)}"] if names else []),
        *([f"{UNKNOWN} (left out): {', '.join(unknown)}"] if unknown else []),
    )
    title_lines(fig, lines, width=width, fontsize=8.5)
    return fig


SPEC = FigureSpec(
    id="city_vs_national",
    question="Does each city stress the chosen concepts (new energy, rural development, "
    "digitalisation) more or less than the national work report of the same year?",
    inputs=(YEAR_SERIES, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS + ", pooled over a year's reports of the series",
        interval=POOLED_CI,
    ),
    settings=("city_vs_national_concepts",),
)
