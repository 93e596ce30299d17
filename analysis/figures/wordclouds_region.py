"""Word clouds per region (east, central, west, northeast) of the sub-national reports."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import NO_INTERVAL, FigureSpec, method_line
from analysis.figures.clouds import GROUP_TERMS, draw_clouds
from analysis.figures.draw import REGIONS


def make(results: Path, cfg: Config) -> Figure:
    """One cloud per region."""
    return draw_clouds(
        results, cfg, docvar="region", order=REGIONS, title="Most frequent terms by region"
    )


SPEC = FigureSpec(
    id="wordclouds_region",
    question="Which terms dominate the reports of each region, and which are particular to it?",
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
