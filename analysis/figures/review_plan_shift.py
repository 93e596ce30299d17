"""Review vs plan: how much each concept is written about when reporting past work vs planning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from analysis.config import Config
from analysis.figures.base import FigureSkipped, FigureSpec, concept_label, read_table
from analysis.figures.draw import SECTION_COLORS, groups_by_collection, interval_points

SHIFT = "tables/concept_section_shift.csv"
COLUMNS = (
    "group",
    "section",
    "concept",
    "label_en",
    "label_zh",
    "count",
    "chars",
    "rate",
    "ci_low",
    "ci_high",
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
    """Dumbbells per concept (rows) and report group (panels): review and plan rates with CIs."""
    shift = read_table(results, SHIFT, columns=COLUMNS)
    shift, groups = groups_by_collection(shift, GROUPS)
    both = (
        shift[shift["rate"] > 0]
        .groupby("group")["section"]
        .agg(lambda s: {"review", "plan"} <= set(s))
    )
    shift = shift[shift["group"].isin(both[both].index)]
    if shift.empty:
        raise FigureSkipped(
            f"{SHIFT} has no report group with concepts mentioned in both its review and its "
            "plan sections"
        )
    groups = [g for g in groups if g in set(shift["group"])]
    rate = shift.pivot_table(
        index="concept", columns=["group", "section"], values="rate", aggfunc="first"
    )
    first = groups[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        order = np.log2(rate[(first, "plan")] / rate[(first, "review")])
    order = (
        order.replace([np.inf, -np.inf], np.nan)
        .fillna(0)
        .sort_values(ascending=False, kind="stable")
    )
    concepts = list(order.index)
    labels = shift.drop_duplicates("concept").set_index("concept")
    ypos = {c: i for i, c in enumerate(concepts)}
    fig = Figure(figsize=(11, 1.6 + 0.22 * len(concepts)))
    axes = fig.subplots(1, len(groups), sharey=True, sharex=True)
    axes = np.atleast_1d(axes)
    positive = shift.loc[shift["rate"] > 0, "rate"]
    for ax, group in zip(axes, groups, strict=True):
        g = shift[shift["group"] == group]
        wide = g.pivot_table(index="concept", columns="section", values="rate", aggfunc="first")
        wide = wide.reindex(concepts)
        y = np.array([ypos[c] for c in wide.index])
        ax.hlines(y, wide["review"], wide["plan"], color="#999999", linewidth=1.0, zorder=2)
        for section in ("review", "plan"):
            s = g[g["section"] == section].set_index("concept").reindex(concepts)
            interval_points(
                ax,
                y,
                s["rate"].where(s["rate"] > 0),
                s["ci_low"],
                s["ci_high"],
                color=SECTION_COLORS[section],
                label=section,
                size=3.2,
            )
        ax.set_xscale("log")
        ax.set_title(group_title(group))
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("rate per 10k characters (log scale)")
    axes[0].set_yticks(
        range(len(concepts)),
        [concept_label(labels.at[c, "label_en"], labels.at[c, "label_zh"]) for c in concepts],
    )
    axes[0].set_ylim(-0.7, len(concepts) - 0.3)
    axes[0].set_xlim(positive.min() * 0.6, positive.max() * 1.6)
    axes[0].xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes[0].xaxis.set_minor_locator(NullLocator())
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, [f"{n} section" for n in names], loc="outside lower center", ncols=2)
    fig.suptitle(
        "Review of past work vs plans: concept rates with 95% paragraph-bootstrap intervals\n"
        f"rows sorted by plan/review ratio in '{group_title(first)}' (top: most "
        "plan-heavy); a missing dot = not mentioned",
        fontsize=9,
    )
    axes[0].invert_yaxis()
    return fig


SPEC = FigureSpec(
    id="review_plan_shift",
    question="Which concepts do reports stress more in their plans than in their review of past "
    "work, and is the shift the same for national, provincial and local reports?",
    inputs=(SHIFT,),
    make=make,
)
