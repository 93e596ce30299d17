"""Shared by the word-cloud figures: clouds of the most frequent terms per group, in the CJK font.

Word size is the term's count in the group (``tables/group_term_counts.csv``). A term is coloured
(in the group's colour) when its share of the group's listed counts is at least
:data:`DISTINCT_RATIO` times its share in the other groups pooled, and grey otherwise, so the
clouds show both what is frequent and what is particular. A term missing from another group's
list counts there as that list's smallest count (an upper bound, so the ratio errs low).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import FigureSkipped, read_table
from analysis.figures.draw import group_color, groups_by_collection, panel_grid
from analysis.figures.fonts import check_strings, resolve_font

GROUP_TERMS = "tables/group_term_counts.csv"
DISTINCT_RATIO = 1.5
COMMON_COLOR = "#9a9a9a"
SCALE = 3


def distinctiveness(counts: pd.DataFrame) -> pd.DataFrame:
    """Add ``ratio``: the term's share in its group / its share in the other groups pooled.

    ``counts`` has one docvar's rows: ``group, term, count``.
    """
    wide = counts.pivot_table(index="term", columns="group", values="count", aggfunc="sum")
    wide = wide.fillna(counts.groupby("group")["count"].min())
    share = wide / wide.sum(axis=0)
    rows = []
    for group in wide.columns:
        others = wide.drop(columns=group).sum(axis=1)
        other_share = others / others.sum() if others.sum() > 0 else others
        ratio = (share[group] / other_share.replace(0, np.nan)).rename("ratio")
        rows.append(ratio.reset_index().assign(group=group))
    ratios = pd.concat(rows, ignore_index=True)
    return counts.merge(ratios, on=["group", "term"], how="left")


def _colorer(distinct: set[str], color: str) -> Callable[..., str]:
    """A wordcloud ``color_func``: ``color`` for the distinct terms, grey for the others."""

    def color_func(word: str, *args: object, **kwargs: object) -> str:
        return color if word in distinct else COMMON_COLOR

    return color_func


def draw_clouds(
    results: Path, cfg: Config, *, docvar: str, order: tuple[str, ...], title: str
) -> Figure:
    """One word cloud per group of ``docvar`` (groups in ``order`` first), 2 columns."""
    from wordcloud import WordCloud

    counts = read_table(results, GROUP_TERMS, columns=("docvar", "group", "term", "count"))
    counts = counts[counts["docvar"] == docvar].dropna(subset=["group", "term"])
    counts = counts[counts["group"].astype(str).str.strip() != ""]
    counts, groups = groups_by_collection(counts, order)
    n_groups = len(groups)
    if n_groups < 2:
        raise FigureSkipped(
            f"{GROUP_TERMS} has {n_groups} {docvar} group(s) (one {docvar} in the corpus, or none): "
            f"clouds compare 2 or more"
        )
    counts = distinctiveness(counts)
    font = resolve_font(cfg)
    check_strings(counts["term"].astype(str), font)
    width, height = cfg.figures.wordcloud_size
    ncols = 2
    nrows = -(-len(groups) // ncols)
    panel_w = 5.3
    fig = Figure(figsize=(ncols * panel_w, 0.7 + nrows * (panel_w * height / width + 0.35)))
    axes = panel_grid(fig, len(groups), ncols=ncols)
    for ax, group in zip(axes, groups, strict=True):
        g = counts[counts["group"] == group].nlargest(cfg.figures.wordcloud_words, "count")
        distinct = set(g.loc[g["ratio"] >= DISTINCT_RATIO, "term"])
        cloud = WordCloud(
            font_path=str(font.path),
            width=width,
            height=height,
            scale=SCALE,
            max_words=len(g),
            background_color="white",
            prefer_horizontal=1.0,
            relative_scaling=0.35,
            random_state=cfg.seed,
            color_func=_colorer(distinct, group_color(group)),
        ).generate_from_frequencies(dict(zip(g["term"], g["count"].astype(float), strict=True)))
        ax.imshow(cloud.to_array(), interpolation="antialiased")
        ax.set_axis_off()
        ax.set_title(f"{group}: {len(g)} most frequent terms, {len(distinct)} coloured", fontsize=8)
    fig.suptitle(
        f"{title}\nsize: count; coloured: share at least {DISTINCT_RATIO:g}× that in the other "
        f"groups; grey: common to all",
        fontsize=9,
    )
    return fig
