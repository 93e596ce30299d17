"""Word clouds per level of government (national, province, prefecture, county-level)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import NO_INTERVAL, FigureSpec, method_line
from analysis.figures.clouds import GROUP_TERMS, draw_clouds
from analysis.figures.draw import LEVELS


def make(results: Path, cfg: Config) -> Figure:
    """One cloud per level."""
    return draw_clouds(
        results,
        cfg,
        docvar="level",
        order=LEVELS,
        title="Most frequent terms by level of government",
    )


SPEC = FigureSpec(
    id="wordclouds_level",
    question="Which terms dominate the reports of each level of government, and which are "
    "particular to it?",
    inputs=(GROUP_TERMS,),
    make=make,
    method=method_line(
        counting="token count (segmented tokens)",
        denominator="none (word size by count)",
        interval=NO_INTERVAL,
    ),
    settings=("wordcloud_words", "wordcloud_size"),
    seeded=True,
)
