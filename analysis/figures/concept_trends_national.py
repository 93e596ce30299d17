"""Concept trends in the national reports, 1954-2025: rate per 10k characters with its interval."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import FigureError, FigureSpec, concept_label
from analysis.figures.draw import SERIES_COLOR, mark_years, panel_grid, series_band
from analysis.figures.emphasis import CONCEPTS, PANEL, read_concepts, read_panel

NCOLS = 5


def national_series(panel: pd.DataFrame) -> pd.DataFrame:
    """The national rows of the panel, one report per year (the longest if a year has several)."""
    nat = panel[panel["level"] == "national"].dropna(subset=["year"])
    longest = nat.groupby("doc_id")["chars"].max().rename("doc_chars")
    nat = nat.join(longest, on="doc_id").sort_values(
        ["year", "doc_chars", "doc_id"], ascending=[True, False, True]
    )
    keep = nat.drop_duplicates("year")["doc_id"]
    return nat[nat["doc_id"].isin(keep)]


def selected_concepts(concepts: pd.DataFrame, chosen: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ``concepts`` for the ids in ``chosen`` (in that order), or all if it is empty."""
    if not chosen:
        return concepts
    unknown = [c for c in chosen if c not in set(concepts["concept"])]
    if unknown:
        raise FigureError(f"[figures] trend_concepts: unknown concept(s) {unknown}")
    return concepts.set_index("concept").loc[list(chosen)].reset_index()


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one per concept: yearly rate, 95% interval band, key years dotted."""
    concepts = selected_concepts(read_concepts(results), cfg.figures.trend_concepts)
    nat = national_series(read_panel(results))
    if nat.empty:
        raise FigureError(f"{PANEL} has no national reports")
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
        ax.set_xticks(range(1960, int(years.max()) + 1, 20))
    for ax in axes[::NCOLS]:
        ax.set_ylabel("per 10k chars")
    marks = " · ".join(f"{y} {t}" for y, t in sorted(cfg.figures.key_years.items()))
    fig.suptitle(
        f"Concept emphasis in {nat['doc_id'].nunique()} national reports, "
        f"{years.min()}-{years.max()} (rate per 10,000 characters, 95% paragraph-bootstrap band;"
        f" gaps = years without a report)\ndotted: {marks}",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="concept_trends_national",
    question="How has the national report's emphasis on each concept changed since 1954?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    settings=("trend_concepts", "key_years"),
)
