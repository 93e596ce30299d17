"""Topic prevalence by region and by level: mean topic share with its interval per group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import FigureSkipped, FigureSpec, method_line, read_table, wrap_label
from analysis.figures.draw import LEVELS, REGIONS, group_color, interval_points, ordered
from analysis.figures.topics_common import TOPICS, read_topics

GROUPS = "topics/prevalence_groups.csv"
DOCVARS = {"region": REGIONS, "level": LEVELS}


def make(results: Path, cfg: Config) -> Figure:
    """Two panels (region, level): per topic (rows) one dot per group with its 95% interval."""
    topics = read_topics(results)
    prev = read_table(
        results, GROUPS, columns=("docvar", "group", "topic", "mean", "ci_low", "ci_high", "n_docs")
    )
    prev = prev[prev["group"].notna() & (prev["group"].astype(str).str.strip() != "")]
    prev = prev.assign(group=prev["group"].astype(str))
    n_groups = prev.groupby("docvar")["group"].nunique()
    docvars = [d for d in DOCVARS if n_groups.get(d, 0) >= 2]
    if not docvars:
        raise FigureSkipped(
            f"{GROUPS} has fewer than 2 groups of {' and of '.join(DOCVARS)} "
            "(one region and one level: nothing to compare)"
        )
    fig = Figure(figsize=(11, 1.8 + 0.4 * len(topics)))
    axes = np.atleast_1d(fig.subplots(1, len(docvars), sharey=True))
    for ax, docvar in zip(axes, docvars, strict=True):
        d = prev[prev["docvar"] == docvar]
        groups = ordered(d["group"], DOCVARS[docvar])
        step = 0.7 / max(1, len(groups))
        for i, group in enumerate(groups):
            g = d[d["group"] == group].set_index("topic").reindex(topics.index)
            y = np.arange(len(topics)) + (i - (len(groups) - 1) / 2) * step
            n_docs = int(g["n_docs"].max()) if g["n_docs"].notna().any() else 0
            interval_points(
                ax,
                y,
                g["mean"],
                g["ci_low"],
                g["ci_high"],
                color=group_color(group),
                label=f"{group} ({n_docs})",
                size=3,
            )
        for b in np.arange(len(topics) - 1) + 0.5:
            ax.axhline(b, color="#eeeeee", linewidth=0.6)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, None)
        ax.set_xlabel("mean topic proportion (95% interval)")
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=min(2, len(groups)),
            title=f"by {docvar} (documents)",
            borderaxespad=0.3,
        )
    axes[0].set_yticks(range(len(topics)), [wrap_label(t, 36) for t in topics["label"]])
    axes[0].set_ylim(len(topics) - 0.5, -0.5)
    fig.suptitle(
        f"Topic prevalence by {' and by '.join(docvars)} "
        "(intervals: bootstrap over documents and model runs; * = unstable topic)",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="topic_prevalence_groups",
    question="Which topics are more prevalent in which region and at which level of government?",
    inputs=(TOPICS, GROUPS),
    make=make,
    method=method_line(
        counting="topic proportions of each unit (mean over model runs)",
        denominator="tokens of the group's units (token-weighted mean)",
        interval="95% report-cluster bootstrap (percentile) with a model run drawn per replicate",
    ),
)
