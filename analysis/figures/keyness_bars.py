"""Keyness: the terms most over-represented on each side of the main comparisons (G2 bars).

Draws the comparisons of ``[figures] keyness_comparisons`` that ``tables/keyness/index.csv``
holds; when it holds none of them, the first :data:`MAX_DERIVED` comparisons of the index
(derived ones included: those the measures stage chose for this corpus), so the figure applies to
any corpus with a comparison at all. The configured ids not drawn are named under the figure.

With ``[figures] robust_only`` (the default) each panel draws only the terms whose ``robust``
column is true (both the pooled and the report-level q below ``keyness_q``, and not held mostly
by one report: :func:`analysis.measures.keyness.add_dispersion`),
and the title says so; a panel with no robust term says that instead of bars. The tables keep
every term.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from analysis.config import Config
from analysis.figures.base import FigureError, FigureSkipped, FigureSpec, method_line, read_table
from analysis.figures.draw import MUTED, REFERENCE_COLOR, TARGET_COLOR, panel_grid

INDEX = "tables/keyness/index.csv"
COLUMNS = ("term", "target_count", "reference_count", "g2", "q", "log_ratio", "direction")
ROBUST = "robust"
Q_MAX = 0.05
MAX_DERIVED = 4
SETTING = "[figures] keyness_comparisons"


def table_of(comparison: str) -> str:
    """The table of one comparison, relative to the results folder."""
    return f"tables/keyness/{comparison}.csv"


def drawn_tables(cfg: Config, results: Path) -> tuple[str, ...]:
    """The tables of the comparisons :func:`choose` picks from the saved index (none when the
    index is absent or unreadable: the figure then skips or fails on its own)."""
    try:
        index = read_table(results, INDEX, columns=("comparison",))
    except FigureError:
        return ()
    return tuple(table_of(c) for c in choose(index, cfg.figures.keyness_comparisons)[0])


def choose(index: pd.DataFrame, chosen: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The comparisons to draw and the configured ids that the index lacks.

    The configured ids present in ``index`` (in their order); if none is, the first
    :data:`MAX_DERIVED` of the index (in its order).
    """
    known = list(dict.fromkeys(index["comparison"].astype(str)))
    present = [c for c in chosen if c in known]
    absent = [c for c in chosen if c not in known]
    return (present or known[:MAX_DERIVED]), absent


def top_terms(table: pd.DataFrame, *, n: int, robust_only: bool = False) -> pd.DataFrame:
    """The ``n`` terms with the largest G2 on each side (with ``robust_only``, of the terms whose
    ``robust`` column is true); ``signed`` is G2, negative for reference."""
    if robust_only:
        table = table[table[ROBUST].astype(bool)]
    parts = [
        table[table["direction"] == side].nlargest(n, "g2") for side in ("target", "reference")
    ]
    out = pd.concat(parts, ignore_index=True)
    out["signed"] = np.where(out["direction"] == "target", out["g2"], -out["g2"])
    return out


def _bars(ax: Axes, terms: pd.DataFrame) -> Axes:
    pos = np.arange(len(terms))[::-1]
    base = np.where(terms["direction"] == "target", TARGET_COLOR, REFERENCE_COLOR)
    colors = np.where(terms["q"] < Q_MAX, base, MUTED)
    ax.barh(pos, terms["signed"], color=colors, height=0.75)
    for p, row in zip(pos, terms.itertuples(), strict=True):
        right = row.signed >= 0
        ax.annotate(
            row.term,
            (0, p),
            xytext=(-3 if right else 3, 0),
            textcoords="offset points",
            ha="right" if right else "left",
            va="center",
            fontsize=6.5,
        )
    if terms.empty:
        ax.annotate(
            "no robust term on either side",
            (0.5, 0.5),
            xycoords="axes fraction",
            ha="center",
            va="center",
            fontsize=7,
            color=MUTED,
        )
    ax.axvline(0, color="#333333", linewidth=0.6)
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    lim = float(terms["g2"].max()) * 1.05 if len(terms) else 1.0
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}"))
    return ax


def make(results: Path, cfg: Config) -> Figure:
    """One panel per comparison: target terms (right) and reference terms (left) by G2."""
    index = read_table(
        results, INDEX, columns=("comparison", "label", "n_target_docs", "n_reference_docs", "unit")
    )
    chosen, absent = choose(index, cfg.figures.keyness_comparisons)
    if not chosen:
        raise FigureSkipped(f"{INDEX} lists no comparison for this corpus", SETTING)
    index = index.drop_duplicates("comparison").set_index("comparison")
    n = cfg.figures.keyness_terms
    robust_only = cfg.figures.robust_only
    columns = (*COLUMNS, ROBUST) if robust_only else COLUMNS
    ncols = min(2, len(chosen))
    nrows = -(-len(chosen) // ncols)
    fig = Figure(figsize=(5.4 * ncols, 0.9 + nrows * (0.6 + 0.16 * 2 * n)))
    axes = panel_grid(fig, len(chosen), ncols=ncols)
    for ax, comparison in zip(axes, chosen, strict=True):
        table = read_table(results, table_of(comparison), columns=columns)
        _bars(ax, top_terms(table, n=n, robust_only=robust_only))
        meta = index.loc[comparison]
        target, _, reference = str(meta["label"]).partition(" vs ")
        unit = meta["unit"]
        ax.set_title(str(meta["label"]), fontsize=8)
        ax.annotate(
            f"← more in: {reference or 'reference'}\n({meta['n_reference_docs']} {unit}s)",
            (0.01, 1.0),
            xycoords="axes fraction",
            ha="left",
            va="top",
            fontsize=6.5,
            color=REFERENCE_COLOR,
        )
        ax.annotate(
            f"more in: {target} →\n({meta['n_target_docs']} {unit}s)",
            (0.99, 0.0),
            xycoords="axes fraction",
            ha="right",
            va="bottom",
            fontsize=6.5,
            color=TARGET_COLOR,
        )
        ax.set_xlabel("G² (log-likelihood keyness)")
    fig.legend(
        handles=[
            Patch(color=TARGET_COLOR, label="more frequent in the first group"),
            Patch(color=REFERENCE_COLOR, label="more frequent in the second group"),
            Patch(color=MUTED, label=f"not significant (Benjamini-Hochberg q of {Q_MAX} or more)"),
        ],
        loc="outside lower center",
        ncols=3,
    )
    note = ""
    if absent:
        note = f"\n{SETTING}: not in this corpus's comparisons (not drawn): {', '.join(absent)}"
    rule = ""
    if robust_only:
        rule = "\n" + robust_rule(index, cfg)
    title = f"Keyness: top {n} terms on each side of each comparison{rule}{note}"
    fig.suptitle(title, fontsize=10)
    return fig


def robust_rule(index: pd.DataFrame, cfg: Config) -> str:
    """The subtitle of a robust-only figure, with the levels the tables were made with (the
    index's ``keyness_q`` and ``keyness_max_top_share``; the config's when the index lacks them
    or they differ between comparisons)."""
    q, share = cfg.measures.keyness_q, cfg.measures.keyness_max_top_share
    for col in ("keyness_q", "keyness_max_top_share"):
        if col in index and index[col].nunique() == 1:
            value = float(index[col].iloc[0])
            q, share = (value, share) if col == "keyness_q" else (q, value)
    return (
        f"robust terms only ([figures] robust_only): G² q and report-level (rank-sum) q both "
        f"< {q:g},\nno report holding > {share:.0%} of the term's count unless it stays key "
        "without that report"
    )


SPEC = FigureSpec(
    id="keyness_bars",
    question="Which terms most distinguish each side of the main comparisons (on the bundled "
    "corpus: review from plan, recent from earlier national reports, 2026 from 2025 provincial "
    "reports, Zhejiang from other local reports)?",
    inputs=(INDEX,),
    make=make,
    method=method_line(
        counting="token count (segmented tokens)",
        denominator="all tokens of each side (bars: G2 log-likelihood), and each report's "
        "tokens for the per-report rates per 10k of the robustness test",
        interval="no interval (G2, and rank-sum on per-report rates, q = Benjamini-Hochberg)",
    ),
    settings=("keyness_comparisons", "keyness_terms", "robust_only"),
    optional=drawn_tables,
)
