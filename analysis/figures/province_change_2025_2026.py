"""Provinces 2025 -> 2026: change of each concept's rate between a province's two reports.

Drawn from the work reports of provinces that have a report of both years in one collection;
skipped when there is none (a province reports of other years, or none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    NO_INTERVAL,
    PER_CHARS,
    FigureSkipped,
    FigureSpec,
    concept_label,
    method_line,
)
from analysis.figures.draw import REGIONS, group_color, ordered
from analysis.figures.emphasis import CONCEPTS, PANEL, read_concepts, read_panel

YEARS = (2025, 2026)


def province_change(panel: pd.DataFrame) -> pd.DataFrame:
    """Per province and concept: rate in each of :data:`YEARS` and ``change`` (later - earlier)."""
    prov = panel[
        (panel["level"] == "province")
        & (panel["doc_type"] == "work_report")
        & panel["year"].isin(YEARS)
    ]
    prov = prov.assign(region=prov["region"].fillna("").replace("", "(no region)"))
    keys = ["collection", "region", "province", "concept"]
    sums = prov.groupby([*keys, "year"], observed=True)[["count", "chars"]].sum()
    rate = (sums["count"] / sums["chars"] * 1e4).rename("rate").reset_index()
    wide = rate.pivot_table(index=keys, columns="year", values="rate", aggfunc="first")
    if any(y not in wide.columns for y in YEARS):
        wide = pd.DataFrame(columns=[*keys, *YEARS])
    wide = wide.dropna(subset=list(YEARS)).reset_index()
    if wide.empty:
        years = sorted(panel.loc[panel["level"] == "province", "year"].dropna().unique())
        raise FigureSkipped(
            f"no province has work reports of both {YEARS[0]} and {YEARS[1]} in one collection "
            f"(province reports of years: {', '.join(map(str, years)) or 'none'})"
        )
    wide["change"] = wide[YEARS[1]] - wide[YEARS[0]]
    return wide


def make(results: Path, cfg: Config) -> Figure:
    """Each province's change per concept (dots, by region), the median, and counts up/down."""
    concepts = read_concepts(results).set_index("concept")
    change = province_change(read_panel(results))
    used = change.groupby("concept")[list(YEARS)].sum().sum(axis=1) > 0
    unused = [c for c in used.index if not used[c]]
    change = change[~change["concept"].isin(unused)]
    stats = change.groupby("concept")["change"].agg(
        median="median", up=lambda s: int((s > 0).sum()), down=lambda s: int((s < 0).sum())
    )
    stats = stats.sort_values("median", ascending=False, kind="stable")
    ypos = {c: i for i, c in enumerate(stats.index)}
    rng = np.random.default_rng(cfg.seed)
    fig = Figure(figsize=(9, 1.4 + 0.24 * len(stats)))
    ax = fig.subplots()
    ax.axvline(0, color="#333333", linewidth=0.7)
    regions = ordered(change["region"], REGIONS)
    for region in regions:
        d = change[change["region"] == region]
        y = d["concept"].map(ypos).to_numpy() + rng.uniform(-0.25, 0.25, len(d))
        ax.scatter(
            d["change"], y, s=6, color=group_color(region), alpha=0.7, linewidths=0, label=region
        )
    ax.scatter(
        stats["median"],
        range(len(stats)),
        marker="|",
        s=90,
        color="#000000",
        linewidths=1.6,
        label="median",
        zorder=4,
    )
    for i, r in enumerate(stats.itertuples()):
        ax.annotate(
            f"{r.up}↑ {r.down}↓",
            (1.0, i),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=6.5,
        )
    ax.set_yticks(
        range(len(stats)),
        [
            concept_label(concepts.at[c, "label_en"], concepts.at[c, "label_zh"])
            for c in stats.index
        ],
    )
    ax.set_ylim(len(stats) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    n = change["province"].nunique()
    ax.set_xlabel(
        f"change in rate per 10,000 characters, {YEARS[0]} → {YEARS[1]} (one dot per province)"
    )
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=len(regions) + 1,
        markerscale=1.8,
    )
    ax.set_title(
        f"How {n} provinces changed their emphasis from the {YEARS[0]} to the {YEARS[1]} report\n"
        f"sorted by the median change; right: provinces up ↑ / down ↓"
        + (
            f"\nnot mentioned by any province (left out): {', '.join(concepts.loc[unused, 'label_en'])}"
            if unused
            else ""
        )
    )
    return fig


SPEC = FigureSpec(
    id="province_change_2025_2026",
    question="Which concepts did the provinces stress more, or less, in 2026 than in 2025, and "
    "how many provinces moved each way?",
    inputs=(PANEL, CONCEPTS),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS + " of each province's report, change = 2026 rate minus 2025 rate",
        interval=NO_INTERVAL,
    ),
    seeded=True,
)
