"""Shared by the year-series figures: ``tables/year_series.csv`` and the national series.

A series is the reports of one ``(collection, level, doc_type)`` (``kind = level``) or one
``(collection, place, doc_type)`` (``kind = place``) with at least three distinct years; its
rate is pooled over the series' reports of a year, per 10,000 characters (whole report).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.figures.base import FigureError, FigureSkipped, read_table
from analysis.figures.emphasis import PANEL, read_panel
from analysis.results import Results

YEAR_SERIES = "tables/year_series.csv"
SERIES_COLUMNS = (
    "series", "kind", "collection", "level", "place", "doc_type", "year", "n_reports", "concept",
    "label_en", "label_zh", "count", "chars", "rate", "ci_low", "ci_high",
)  # fmt: skip
NATIONAL = "bundled/national/work_report"
NATIONAL_QUERY = "collection == 'bundled' and level == 'national' and doc_type == 'work_report'"
MIN_YEARS = 3
UNKNOWN = "[figures] concepts not in the concept dictionary"


def read_series(results: Path) -> pd.DataFrame:
    """``tables/year_series.csv`` (columns :data:`SERIES_COLUMNS`), years as integers."""
    table = read_table(results, YEAR_SERIES, columns=SERIES_COLUMNS)
    table = table.dropna(subset=["year"])
    return table.assign(year=table["year"].astype(int))


def national_from_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The bundled national work-report series from the concept panel (section ``all``), in the
    columns of the year-series table: counts and characters pooled over a year's reports."""
    nat = panel[
        (panel["collection"] == "bundled")
        & (panel["level"] == "national")
        & (panel["doc_type"] == "work_report")
    ].dropna(subset=["year"])
    if nat.empty:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    keys = ["year", "concept", "label_en", "label_zh"]
    pooled = nat.groupby(keys, sort=True).agg(
        n_reports=("doc_id", "nunique"),
        count=("count", "sum"),
        chars=("chars", "sum"),
        rate=("rate", "first"),
        ci_low=("ci_low", "first"),
        ci_high=("ci_high", "first"),
    )
    pooled = pooled.reset_index()
    several = pooled["n_reports"] > 1  # a pooled rate; the interval of one report does not apply
    pooled.loc[several, "rate"] = pooled["count"] / pooled["chars"] * 1e4
    pooled.loc[several, ["ci_low", "ci_high"]] = float("nan")
    return pooled.assign(
        series=NATIONAL, kind="level", collection="bundled", level="national", place="",
        doc_type="work_report", year=pooled["year"].astype(int),
    )[list(SERIES_COLUMNS)]  # fmt: skip


def national_series(results: Path) -> pd.DataFrame:
    """The series :data:`NATIONAL` (``collection == bundled and level == national and doc_type
    == work_report``), from ``tables/year_series.csv`` when present, else from the concept
    panel; :class:`FigureSkipped` when it is absent or has fewer than :data:`MIN_YEARS` years.
    Reports of other collections never enter it."""
    if Results(results).path(YEAR_SERIES).is_file():
        table = read_series(results)
        nat = table[table["series"] == NATIONAL]
        source = YEAR_SERIES
    else:
        nat = national_from_panel(read_panel(results))
        source = PANEL
    n_years = nat["year"].nunique()
    if n_years < MIN_YEARS:
        raise FigureSkipped(
            f"no series {NATIONAL} ({NATIONAL_QUERY}) with {MIN_YEARS}+ years in {source} "
            f"(it has {n_years} year(s))"
        )
    return nat.sort_values(["year", "concept"], kind="stable").reset_index(drop=True)


def series_order(table: pd.DataFrame) -> list[str]:
    """Series ids of ``table`` by number of years (most first), then level series before place
    series, then id."""
    stats = table.groupby("series").agg(years=("year", "nunique"), kind=("kind", "first"))
    stats = stats.assign(level_first=stats["kind"] != "level").reset_index()
    stats = stats.sort_values(["years", "level_first", "series"], ascending=[False, True, True])
    return stats["series"].tolist()


def national_of(table: pd.DataFrame, collection: str) -> pd.DataFrame:
    """Rows of the year-series ``table`` for ``<collection>/national/work_report`` (the national
    work-report series of that collection; empty when it has none), sorted by year and
    concept."""
    nat = table[
        (table["kind"] == "level")
        & (table["collection"] == collection)
        & (table["level"] == "national")
        & (table["doc_type"] == "work_report")
    ]
    return nat.sort_values(["year", "concept"], kind="stable").reset_index(drop=True)


def selected_concepts(
    concepts: pd.DataFrame, chosen: tuple[str, ...], *, setting: str = "trend_concepts"
) -> pd.DataFrame:
    """Rows of ``concepts`` for the ids in ``chosen`` (in that order), or all if it is empty; an
    unknown id is a :class:`FigureError` naming ``[figures] <setting>``."""
    if not chosen:
        return concepts
    unknown = [c for c in chosen if c not in set(concepts["concept"])]
    if unknown:
        raise FigureError(f"[figures] {setting}: unknown concept(s) {unknown}")
    return concepts.set_index("concept").loc[list(chosen)].reset_index()


def top_concepts(table: pd.DataFrame, concepts: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` concepts with the highest rate pooled over ``table`` (rows with ``concept``,
    ``count`` and ``chars``; ties by id), as rows of ``concepts``."""
    sums = table.groupby("concept")[["count", "chars"]].sum()
    rate = (sums["count"] / sums["chars"].where(sums["chars"] > 0)).fillna(0)
    order = pd.DataFrame({"rate": rate}).reset_index()
    order = order[order["rate"] > 0].sort_values(["rate", "concept"], ascending=[False, True])
    chosen = order["concept"].head(n).tolist()
    return concepts.set_index("concept").loc[chosen].reset_index()


def chosen_concepts(
    concepts: pd.DataFrame, chosen: tuple[str, ...], rows: pd.DataFrame, n: int
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of ``concepts`` for the ids of ``chosen`` the dictionary has (in that order), and
    the ids it lacks (to be named, not an error: the dictionary is a setting too). With none of
    them known, or ``chosen`` empty, the ``n`` concepts with the highest rate pooled over
    ``rows`` (:func:`top_concepts`)."""
    ids = set(concepts["concept"])
    known = [c for c in dict.fromkeys(chosen) if c in ids]
    unknown = [c for c in dict.fromkeys(chosen) if c not in ids]
    if known:
        return concepts.set_index("concept").loc[known].reset_index(), unknown
    return top_concepts(rows, concepts, n), unknown
