"""Concept emphasis of the provinces: province x concept rates, 2025 and 2026 reports pooled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    NO_INTERVAL,
    PER_CHARS,
    FigureSkipped,
    FigureSpec,
    method_line,
)
from analysis.figures.draw import REGIONS
from analysis.figures.emphasis import (
    CONCEPTS,
    PANEL,
    draw_emphasis,
    pooled_rates,
    read_concepts,
    read_panel,
)


def make(results: Path, cfg: Config) -> Figure:
    """One row per province (its reports pooled), grouped by region."""
    concepts = read_concepts(results)
    panel = read_panel(results)
    panel = panel[panel["level"] == "province"]
    n_provinces = panel["province"].nunique()
    if n_provinces < 2:
        raise FigureSkipped(
            f"the corpus has province reports of {n_provinces} province(s); the province "
            "heatmap compares 2 or more"
        )
    panel = panel.assign(region=panel["region"].fillna("").replace("", "(no region)"))
    several = panel["collection"].nunique() > 1
    by = ["region", "province", *(["collection"] if several else [])]
    rates = pooled_rates(panel, by, concepts["concept"])
    keys = rates.index.to_frame(index=False)
    order = pd.Categorical(
        keys["region"], categories=[*REGIONS, *sorted(set(keys["region"]) - set(REGIONS))]
    )
    rates = rates.iloc[pd.Series(order).argsort(kind="stable").to_numpy()]
    keys = rates.index.to_frame(index=False)
    years = sorted(panel["year"].dropna().astype(int).unique())
    fig = Figure(figsize=(11, 1.9 + 0.19 * len(rates) + 2.2))
    return draw_emphasis(
        fig,
        rates,
        concepts=concepts,
        row_labels=[
            f"{r.province} [{r.collection}]" if several else r.province for r in keys.itertuples()
        ],
        groups=keys["region"].tolist(),
        title=f"Concept emphasis in the {len(rates)} provinces (reports of "
        f"{', '.join(map(str, years))} pooled, whole report)",
    )


SPEC = FigureSpec(
    id="concept_heatmap_provinces",
    question="Which policy concepts does each province emphasise more or less than the others?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS
        + ", pooled over a province's reports (colour: log2 of the rate over the concept's mean)",
        interval=NO_INTERVAL,
    ),
)
