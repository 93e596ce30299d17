"""Concept emphasis of the city and county reports: report x concept rates per 10k characters."""

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
from analysis.figures.emphasis import (
    CONCEPTS,
    PANEL,
    draw_emphasis,
    pooled_rates,
    read_concepts,
    read_panel,
)

LOCAL_LEVELS = ("prefecture", "county-level")


def make(results: Path, cfg: Config) -> Figure:
    """One row per local report (place and year), grouped by province."""
    concepts = read_concepts(results)
    panel = read_panel(results)
    panel = panel[panel["level"].isin(LOCAL_LEVELS)]
    n_reports = panel["doc_id"].nunique()
    if n_reports < 2:
        raise FigureSkipped(
            f"the corpus has {n_reports} {' or '.join(LOCAL_LEVELS)} report(s); the local "
            "heatmap compares 2 or more"
        )
    panel = panel.assign(province=panel["province"].fillna("").replace("", "(no province)"))
    rates = pooled_rates(
        panel,
        ["province", "place", "year", "doc_type", "collection", "doc_id"],
        concepts["concept"],
    )
    keys = rates.index.to_frame(index=False)
    several = keys["collection"].nunique() > 1
    labels = [
        f"{r.place} {'' if pd.isna(r.year) else r.year}"
        + ("" if r.doc_type == "work_report" else f" ({r.doc_type})")
        + (f" [{r.collection}]" if several else "")
        for r in keys.itertuples()
    ]
    fig = Figure(figsize=(11, 1.9 + 0.19 * len(rates) + 2.2))
    return draw_emphasis(
        fig,
        rates,
        concepts=concepts,
        row_labels=labels,
        groups=keys["province"].tolist(),
        title=f"Concept emphasis in {len(rates)} city and county reports (whole report)",
    )


SPEC = FigureSpec(
    id="concept_heatmap_local",
    question="Which policy concepts does each city or county report emphasise more or less than "
    "the other local reports?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS
        + ", pooled over a place's reports (colour: log2 of the rate over the concept's mean)",
        interval=NO_INTERVAL,
    ),
)
