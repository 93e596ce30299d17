"""Topic top terms: the most probable terms of each topic (small multiples)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import NO_INTERVAL, FigureSpec, method_line, read_table, wrap_label
from analysis.figures.draw import MUTED, panel_grid, term_bars
from analysis.figures.topics_common import TOPICS, read_topics

TERMS = "topics/topic_terms.csv"
NCOLS = 5


def make(results: Path, cfg: Config) -> Figure:
    """One panel per topic: its top terms by probability; title with label and prevalence."""
    topics = read_topics(results)
    terms = read_table(results, TERMS, columns=("topic", "rank", "term", "prob"))
    n = cfg.figures.topic_terms
    nrows = -(-len(topics) // NCOLS)
    fig = Figure(figsize=(11, 0.9 + nrows * (0.55 + 0.15 * n)))
    axes = panel_grid(fig, len(topics), ncols=NCOLS)
    for ax, (topic, row) in zip(axes, topics.iterrows(), strict=True):
        top = terms[terms["topic"] == topic].nsmallest(n, "rank")
        stable = bool(row.get("stable", True))
        term_bars(
            ax, top["term"].tolist(), top["prob"].to_numpy(), color="#0072B2" if stable else MUTED
        )
        title = wrap_label(row["label"], 30)
        if "prevalence" in row and row["prevalence"] == row["prevalence"]:
            title += f"\n{100 * row['prevalence']:.1f}% of the corpus"
        ax.set_title(title, fontsize=7)
        ax.tick_params(axis="x", labelsize=5.5)
        ax.tick_params(axis="y", labelsize=6.5)
    fig.suptitle(
        f"Top {n} terms of each of the {len(topics)} topics (probability in the topic); "
        "grey and *: topic not stable across seeds",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="topic_terms",
    question="What is each topic about (its most probable terms), how prevalent is it, and is it "
    "stable across seeds?",
    inputs=(TOPICS, TERMS),
    make=make,
    method=method_line(
        counting="topic-term probabilities of the chosen model",
        denominator="none",
        interval=NO_INTERVAL,
    ),
    settings=("topic_terms",),
)
