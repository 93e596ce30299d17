"""Review vs plan: how much more (or less) each concept is written about when planning than when
reporting past work: the paired difference of the rates with its interval
(``tables/concept_section_diff.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import (
    CONCEPT_COUNT,
    PER_CHARS,
    FigureSkipped,
    FigureSpec,
    concept_label,
    method_line,
    read_table,
)
from analysis.figures.draw import SECTION_COLORS, groups_by_collection

DIFF = "tables/concept_section_diff.csv"
COLUMNS = (
    "group",
    "concept",
    "label_en",
    "label_zh",
    "n_reports",
    "review_count",
    "plan_count",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "zero_in_ci",
)
GROUPS = ("all", "national", "province", "local")
GROUP_TITLES = {
    "all": "All reports",
    "national": "National",
    "province": "Provincial",
    "local": "City and county",
}


def group_title(group: str) -> str:
    """``"All reports"``, or ``"my_reports: Provincial"`` for a group of one collection."""
    collection, _, name = group.rpartition(": ")
    title = GROUP_TITLES.get(name, name)
    return f"{collection}: {title}" if collection else title


def make(results: Path, cfg: Config) -> Figure:
    """Per concept (rows) and report group (panels): plan minus review rate with the paired
    report-cluster interval of the difference; filled where the interval excludes 0."""
    diff = read_table(results, DIFF, columns=COLUMNS)
    diff, groups = groups_by_collection(diff, GROUPS)
    mentioned = diff[(diff["review_count"] + diff["plan_count"]) > 0]
    groups = [g for g in groups if g in set(mentioned["group"])]
    if not groups:
        raise FigureSkipped(
            f"{DIFF} has no report group with both a review and a plan section and a concept "
            "mentioned in either"
        )
    first = groups[0]
    order = (
        diff[diff["group"] == first]
        .set_index("concept")["diff"]
        .fillna(0)
        .sort_values(ascending=False, kind="stable")
    )
    concepts = list(order.index)
    labels = diff.drop_duplicates("concept").set_index("concept")
    fig = Figure(figsize=(11, 1.6 + 0.22 * len(concepts)))
    axes = np.atleast_1d(fig.subplots(1, len(groups), sharey=True, sharex=True))
    y = np.arange(len(concepts))
    for ax, group in zip(axes, groups, strict=True):
        g = diff[diff["group"] == group].set_index("concept").reindex(concepts)
        ax.axvline(0, color="#666666", linewidth=0.8, zorder=1)
        shown = (g["review_count"] + g["plan_count"]) > 0
        sure = shown & ~g["zero_in_ci"].astype(bool)
        for mask, face, name in (
            (sure, None, "interval excludes 0"),
            (shown & ~sure, "white", "interval includes 0"),
        ):
            color = np.where(g["diff"] > 0, SECTION_COLORS["plan"], SECTION_COLORS["review"])
            for side in (SECTION_COLORS["plan"], SECTION_COLORS["review"]):
                m = (mask & (color == side)).to_numpy()
                ax.hlines(y[m], g["diff_ci_low"][m], g["diff_ci_high"][m], color=side, lw=0.9)
                ax.plot(
                    g["diff"][m],
                    y[m],
                    "o",
                    color=side,
                    markerfacecolor=face or side,
                    markersize=3.4,
                    linestyle="none",
                    zorder=4,
                    label=name if side == SECTION_COLORS["plan"] else None,
                )
        n = int(g["n_reports"].max())
        ax.set_title(group_title(group))
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(
            f"plan minus review, per 10k characters\n({n} report{'s' if n != 1 else ''} "
            "with both sections)"
        )
    axes[0].set_yticks(
        y, [concept_label(labels.at[c, "label_en"], labels.at[c, "label_zh"]) for c in concepts]
    )
    axes[0].set_ylim(-0.7, len(concepts) - 0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2)
    fig.suptitle(
        "Plans vs review of past work: plan-section rate minus review-section rate, with "
        f"{cfg.measures.ci_level:.0%} intervals of the difference (reports with both sections)\n"
        f"orange = more in plans, blue = more in reviews; rows sorted by the difference in "
        f"'{group_title(first)}'; hollow = interval includes 0",
        fontsize=9,
    )
    axes[0].invert_yaxis()
    return fig


SPEC = FigureSpec(
    id="review_plan_shift",
    question="Which concepts do reports stress more in their plans than in their review of past "
    "work, and is the shift the same for national, provincial and local reports?",
    inputs=(DIFF,),
    make=make,
    method=method_line(
        counting=CONCEPT_COUNT,
        denominator=PER_CHARS
        + " of each section, pooled over the group's reports with both sections",
        interval="{level} paired report-cluster bootstrap ({interval}) of plan minus review (a drawn report brings both sections)",
    ),
)
