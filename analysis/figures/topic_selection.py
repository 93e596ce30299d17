"""Topic model selection: each metric against K, one dot per seed, and the chosen K."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from analysis.config import Config
from analysis.figures.base import FigureError, FigureSpec, method_line, read_json, read_table
from analysis.figures.draw import SERIES_COLOR, panel_grid

SELECTION = "topics/model_selection.csv"
CHOICE = "topics/selection.json"
# Known metrics, their axis title and which direction is better. ``{n}`` in a title is the
# ``[topics] coherence_top_n`` the metric was scored on. ``exclusivity`` is the mean over topics
# and their top-n terms of phi_kw / sum_j phi_jw (``analysis.topics.exclusivity``), not FREX.
METRICS: dict[str, tuple[str, str]] = {
    "c_v": ("C_v coherence", "higher"),
    "c_npmi": ("NPMI coherence", "higher"),
    "u_mass": ("UMass coherence", "higher"),
    "perplexity": ("held-out perplexity", "lower"),
    "diversity": ("topic diversity", "higher"),
    "exclusivity": ("exclusivity of the top-{n} terms", "higher"),
}
NCOLS = 3


def chosen_k(choice: dict) -> int:
    """The chosen K of ``selection.json`` (key ``k``, ``chosen_k`` or ``K``)."""
    for key in ("k", "chosen_k", "K"):
        if key in choice:
            return int(choice[key])
    raise FigureError(f"{CHOICE} has no chosen K (keys k, chosen_k or K); has {sorted(choice)}")


def make(results: Path, cfg: Config) -> Figure:
    """One panel per metric: runs (grey dots), mean over seeds (line), chosen K (dashed)."""
    table = read_table(results, SELECTION, columns=("k", "seed"))
    choice = read_json(results, CHOICE)
    k_star = chosen_k(choice)
    metrics = [m for m in METRICS if m in table.columns and table[m].notna().any()]
    if not metrics:
        raise FigureError(f"{SELECTION} has none of the metrics {list(METRICS)}")
    n_seeds = table["seed"].nunique()
    fig = Figure(figsize=(10, 0.9 + 2.3 * -(-len(metrics) // NCOLS)))
    axes = panel_grid(fig, len(metrics), ncols=NCOLS, sharex=True)
    for ax, metric in zip(axes, metrics, strict=True):
        d = table.dropna(subset=[metric])
        mean = d.groupby("k")[metric].agg(["mean", "min", "max"])
        ax.fill_between(
            mean.index, mean["min"], mean["max"], color="#cccccc", alpha=0.6, linewidth=0
        )
        ax.scatter(d["k"], d[metric], s=6, color="#777777", linewidths=0, zorder=3)
        ax.plot(mean.index, mean["mean"], color=SERIES_COLOR, marker="o", markersize=3)
        ax.axvline(k_star, color="#D55E00", linestyle="--", linewidth=1.0)
        title, better = METRICS[metric]
        title = title.format(n=cfg.topics.coherence_top_n)
        ax.set_title(f"{title} ({better} is better)")
        ax.set_xticks(sorted(table["k"].unique()))
    for ax in axes[-NCOLS:]:
        ax.set_xlabel("number of topics K")
    rule, metric, override = choice.get("rule"), choice.get("metric"), choice.get("override")
    note = f"chosen K = {k_star}"
    if override:
        note += f" (fixed in the config: {override})"
    elif rule:
        note += f" (rule {rule}" + (f" on mean {metric}" if metric else "") + ")"
    fig.suptitle(
        f"Topic model selection: {n_seeds} seeds per K (dots; band = range, line = mean)\n"
        f"dashed: {note}",
        fontsize=9,
    )
    return fig


SPEC = FigureSpec(
    id="topic_selection",
    question="How do coherence, perplexity, diversity and exclusivity change with the number of "
    "topics, how much do they vary between seeds, and which K was chosen?",
    inputs=(SELECTION, CHOICE),
    make=make,
    method=method_line(
        counting="model metrics of each fitted K and seed",
        denominator="none",
        interval="no interval (one point per seed)",
    ),
)
