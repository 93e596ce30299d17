"""Topic prevalence over the national reports: each topic's yearly share with its interval."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import FigureSkipped, FigureSpec, method_line, read_table, wrap_label
from analysis.figures.draw import SERIES_COLOR, mark_years, panel_grid, series_band
from analysis.figures.topics_common import TOPICS, read_topics

YEARS = "topics/prevalence_national_years.csv"
NCOLS = 5


def make(results: Path, cfg: Config) -> Figure:
    """Small multiples, one per topic: yearly mean proportion, 95% band, key years dotted."""
    topics = read_topics(results)
    prev = read_table(results, YEARS, columns=("year", "topic", "mean", "ci_low", "ci_high"))
    prev = prev.dropna(subset=["year"])
    if prev["year"].nunique() < 3:
        raise FigureSkipped(
            f"{YEARS} has {prev['year'].nunique()} year(s) of national reports; the figure needs 3+"
        )
    nrows = -(-len(topics) // NCOLS)
    fig = Figure(figsize=(11, 1.2 + 1.5 * nrows))
    axes = panel_grid(fig, len(topics), ncols=NCOLS, sharex=True, sharey=True)
    years = prev["year"].astype(int)
    for i, (ax, (topic, row)) in enumerate(zip(axes, topics.iterrows(), strict=True)):
        d = prev[prev["topic"] == topic]
        mark_years(ax, cfg.figures.key_years, labels=i < NCOLS)
        series_band(
            ax,
            d["year"].astype(int),
            d["mean"],
            d["ci_low"],
            d["ci_high"],
            color=SERIES_COLOR,
        )
        ax.set_title(wrap_label(row["label"], 34), fontsize=7)
        ax.set_xlim(years.min() - 2, years.max() + 2)
    axes[0].set_ylim(0, float(prev[["mean", "ci_high"]].max().max()) * 1.05)
    for ax in axes[::NCOLS]:
        ax.set_ylabel("topic share")
    marks = " · ".join(f"{y} {t}" for y, t in sorted(cfg.figures.key_years.items()))
    fig.suptitle(
        f"Topic prevalence in the national reports, {years.min()}-{years.max()} (mean proportion, "
        f"95% band; * = unstable topic)\ndotted: {marks}",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="topic_prevalence_national",
    question="How has each topic's share of the national reports changed over the years?",
    inputs=(TOPICS, YEARS),
    make=make,
    method=method_line(
        counting="topic proportions of each unit (mean over model runs)",
        denominator="tokens of the year's units (token-weighted mean)",
        interval="95% paragraph bootstrap (percentile) of the year's report with a model run drawn per replicate, reports resampled where a year has several",
    ),
    settings=("key_years",),
)
