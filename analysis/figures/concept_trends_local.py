"""Concept trends of local place series side by side: rate per 10k characters by year, intervals.

The series are the place series (``kind == place``, ``doc_type == work_report``, 3+ years) of
``tables/year_series.csv`` for the places of ``[figures] local_series`` (default 深圳市 and
驻马店市), in whichever collection holds them; with ``[]``, the :data:`MAX_DEFAULT` place series
of a local level (not national or province) with the most years. The concept grid is that of
``concept_trends_national`` (``[figures] trend_concepts``, dictionary order), every series in each
panel in its own colour.
"""

from __future__ import annotations

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
)
from analysis.figures.draw import LINE_COLORS, mark_years, panel_grid, series_band
from analysis.figures.emphasis import CONCEPTS, read_concepts
from analysis.figures.series import YEAR_SERIES, read_series, selected_concepts, series_order

NCOLS = 5
MAX_DEFAULT = 3
UPPER_LEVELS = ("national", "province")
SETTING = "[figures] local_series"


def local_series(table: pd.DataFrame, places: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The series ids to draw (at most ``len(LINE_COLORS)``) and the ``places`` without one.

    ``table`` is the year-series table; a place's series are its work-report place series in
    every collection (ids sorted). With no ``places``, the :data:`MAX_DEFAULT` work-report place
    series of a level other than :data:`UPPER_LEVELS` with the most years.
    """
    placed = table[(table["kind"] == "place") & (table["doc_type"] == "work_report")]
    if not places:
        local = placed[~placed["level"].isin(UPPER_LEVELS)]
        return series_order(local)[:MAX_DEFAULT], []
    ids: list[str] = []
    missing: list[str] = []
    for place in dict.fromkeys(places):
        found = sorted(placed.loc[placed["place"] == place, "series"].unique())
        ids += found
        if not found:
            missing.append(place)
    return ids[: len(LINE_COLORS)], missing


def series_names(table: pd.DataFrame, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Per series, its name (the place, with its collection when several) and its coverage
    (``"26 reports, 2001-2026"``)."""
    rows = table[table["series"].isin(ids)]
    several = rows["collection"].nunique() > 1
    names = {}
    for sid in ids:
        d = rows[rows["series"] == sid]
        years = d.drop_duplicates("year")
        place = d["place"].iloc[0] + (f" [{d['collection'].iloc[0]}]" if several else "")
        coverage = (
            f"{int(years['n_reports'].sum())} reports, {years['year'].min()}-{years['year'].max()}"
        )
        names[sid] = (place, coverage)
    return names


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one per concept: each series' yearly rate with its 95% band."""
    table = read_series(results)
    places = cfg.figures.local_series
    ids, missing = local_series(table, places)
    if not ids:
        wanted = f"none of the places {', '.join(places)} has" if places else "no local place has"
        raise FigureSkipped(
            f"{wanted} a year series of work reports (3+ years) in {YEAR_SERIES}", SETTING
        )
    concepts = selected_concepts(read_concepts(results), cfg.figures.trend_concepts)
    data = table[table["series"].isin(ids)]
    names = series_names(table, ids)
    first, last = int(data["year"].min()), int(data["year"].max())
    key_years = {y: t for y, t in cfg.figures.key_years.items() if first <= int(y) <= last}
    nrows = -(-len(concepts) // NCOLS)
    fig = Figure(figsize=(11, 1.8 + 1.45 * nrows))
    axes = panel_grid(fig, len(concepts), ncols=NCOLS, sharex=True)
    for i, (ax, c) in enumerate(zip(axes, concepts.itertuples(), strict=True)):
        mark_years(ax, key_years, labels=i < NCOLS)
        for color, sid in zip(LINE_COLORS, ids, strict=False):
            s = data[(data["series"] == sid) & (data["concept"] == c.concept)]
            series_band(
                ax,
                s["year"],
                s["rate"],
                s["ci_low"],
                s["ci_high"],
                color=color,
                label=": ".join(names[sid]),
            )
        ax.set_title(concept_label(c.label_en, c.label_zh, width=34), fontsize=7)
        ax.set_ylim(0, None)
        ax.set_xlim(first - 1, last + 1)
        step = 5 if last - first <= 30 else 10
        ax.set_xticks(range(-(-first // step) * step, last + 1, step))
    for ax in axes[::NCOLS]:
        ax.set_ylabel("per 10k chars")
    handles, legend = axes[0].get_legend_handles_labels()
    fig.legend(handles, legend, loc="outside lower center", ncols=min(3, len(legend)))
    marks = " · ".join(f"{y} {t}" for y, t in sorted(key_years.items()))
    lines = (
        f"Concept emphasis by year in {len(ids)} local series: "
        + ", ".join(f"{names[s][0]} ({names[s][1]})" for s in ids),
        "rate per 10,000 characters pooled over a year's work reports, 95% bootstrap "
        "band; gaps = years without a report",
        *([f"not in this corpus ({SETTING}): {', '.join(missing)}"] if missing else []),
        *([f"dotted: {marks}"] if marks else []),
    )
    title_lines(fig, lines)
    return fig


SPEC = FigureSpec(
    id="concept_trends_local",
    question="How has each concept's emphasis changed over the years in the city series "
    "(Shenzhen 2001-2026, Zhumadian 2002-2026), side by side?",
    inputs=(YEAR_SERIES, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS + ", pooled over a year's reports of the series",
        interval=POOLED_CI,
    ),
    settings=("local_series", "trend_concepts", "key_years"),
)
