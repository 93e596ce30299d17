"""Plot helpers shared by the figure modules: each draws on a passed ``ax`` and returns it.

Colours that encode data (levels, regions, sections) are fixed here so that a level has the same
colour in every figure; everything else comes from ``policyshift.mplstyle``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure

LEVELS: tuple[str, ...] = ("national", "province", "prefecture", "county-level")
REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
LEVEL_COLORS: dict[str, str] = {
    "national": "#000000",
    "province": "#0072B2",
    "prefecture": "#E69F00",
    "county-level": "#009E73",
}
REGION_COLORS: dict[str, str] = {
    "east": "#0072B2",
    "central": "#E69F00",
    "west": "#009E73",
    "northeast": "#CC79A7",
}
SECTION_COLORS: dict[str, str] = {"review": "#56B4E9", "plan": "#D55E00"}
TARGET_COLOR, REFERENCE_COLOR = "#D55E00", "#0072B2"
MUTED = "#bbbbbb"
SERIES_COLOR = "#0072B2"  # a single series (trends, means)
# colour-blind safe (Okabe-Ito), one per line when a panel has several (concepts, places)
LINE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def ordered(values: Sequence[str], order: Sequence[str]) -> list[str]:
    """The distinct ``values``: those of ``order`` first (in its order), then the others sorted."""
    present = {str(v) for v in values}
    return [v for v in order if v in present] + sorted(present - set(order))


def groups_by_collection(
    table: pd.DataFrame, order: Sequence[str], *, column: str = "group"
) -> tuple[pd.DataFrame, list[str]]:
    """``table`` with its ``column`` values kept apart per collection, and their order.

    A table of one collection (or without a ``collection`` column) is returned as it is with its
    groups :func:`ordered`; with several collections, a group becomes ``"<collection>: <group>"``
    (collections sorted, groups in ``order`` within each), so collections never pool silently.
    """
    table = table.assign(**{column: table[column].astype(str)})
    if "collection" not in table or table["collection"].nunique() <= 1:
        return table, ordered(table[column], order)
    names = []
    for collection in sorted(table["collection"].astype(str).unique()):
        part = table.loc[table["collection"].astype(str) == collection, column]
        names += [f"{collection}: {g}" for g in ordered(part, order)]
    table = table.assign(**{column: table["collection"].astype(str) + ": " + table[column]})
    return table, names


def group_color(group: str) -> str:
    """Colour of a level or region value, also as ``"<collection>: <value>"`` (grey for
    anything else)."""
    group = group.rpartition(": ")[2]
    return LEVEL_COLORS.get(group, REGION_COLORS.get(group, "#666666"))


def panel_grid(
    fig: Figure, n: int, *, ncols: int, sharex: bool = False, sharey: bool = False
) -> list[Axes]:
    """``n`` axes in a grid of ``ncols`` columns (row-major); unused cells are removed."""
    nrows = max(1, math.ceil(n / ncols))
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    if sharex:  # the lowest panel of each column keeps its x tick labels
        for ax in axes[max(0, n - ncols) : n]:
            ax.xaxis.set_tick_params(labelbottom=True)
    return list(axes[:n])


def heatmap(
    ax: Axes,
    values: pd.DataFrame,
    *,
    cmap: str | Colormap,
    norm: Normalize,
    xlabels: Sequence[str] | None = None,
    ylabels: Sequence[str] | None = None,
) -> Axes:
    """Rows x columns of ``values`` as coloured cells, row 0 on top, labels from the index/columns.

    Missing values take the colormap's "bad" colour.
    """
    ax.imshow(
        values.to_numpy(dtype=float), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest"
    )
    ax.set_xticks(
        range(values.shape[1]),
        xlabels if xlabels is not None else values.columns,
        rotation=55,
        ha="right",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(values.shape[0]), ylabels if ylabels is not None else values.index)
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def interval_points(
    ax: Axes,
    y: Sequence[float] | np.ndarray,
    x: Sequence[float] | np.ndarray,
    low: Sequence[float] | np.ndarray,
    high: Sequence[float] | np.ndarray,
    *,
    color: str,
    label: str | None = None,
    marker: str = "o",
    size: float = 3.5,
) -> Axes:
    """Points at ``(x, y)`` with horizontal interval bars ``[low, high]``, drawn raw: an
    interval that misses its point is shown where it is, never stretched to the point."""
    y, x, low, high = (np.asarray(a, dtype=float) for a in (y, x, low, high))
    ax.hlines(y, low, high, color=color, linewidth=0.8, zorder=3)
    ax.plot(x, y, marker, color=color, markersize=size, linestyle="none", label=label, zorder=4)
    return ax


def term_bars(
    ax: Axes,
    terms: Sequence[str],
    values: Sequence[float] | np.ndarray,
    *,
    color: str | Sequence[str],
    value_format: str | None = None,
) -> Axes:
    """Horizontal bars of ``values`` labelled by ``terms``, the first term on top."""
    pos = np.arange(len(terms))[::-1]
    ax.barh(pos, values, color=color, height=0.75)
    ax.set_yticks(pos, list(terms))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    if value_format:
        for p, v in zip(pos, values, strict=True):
            ax.annotate(
                format(v, value_format),
                (v, p),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                fontsize=6,
                color="#444444",
            )
    return ax


def series_band(
    ax: Axes,
    years: Sequence[int] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    low: Sequence[float] | np.ndarray,
    high: Sequence[float] | np.ndarray,
    *,
    color: str,
    label: str | None = None,
) -> Axes:
    """A yearly series with its interval band; lines and bands break where years are missing.

    Each run of consecutive years is drawn as one line with its band; every year has a marker,
    so an isolated year (with no neighbour) still shows.
    """
    years = np.asarray(years, dtype=int)
    y, low, high = (np.asarray(a, dtype=float) for a in (y, low, high))
    order = np.argsort(years)
    years, y, low, high = years[order], y[order], low[order], high[order]
    breaks = np.flatnonzero(np.diff(years) > 1) + 1
    for i, run in enumerate(np.split(np.arange(len(years)), breaks)):
        ax.fill_between(years[run], low[run], high[run], color=color, alpha=0.22, linewidth=0)
        ax.plot(years[run], y[run], color=color, linewidth=1.0, label=label if i == 0 else None)
    ax.plot(years, y, "o", color=color, markersize=1.8)
    return ax


def mark_years(ax: Axes, key_years: Mapping[str, str], *, labels: bool) -> Axes:
    """Dotted vertical lines at ``key_years`` (year -> label); with ``labels``, the years on top."""
    years = sorted(int(y) for y in key_years)
    for year in years:
        ax.axvline(year, color="#999999", linewidth=0.6, linestyle=":", zorder=1)
    if labels and years:
        top = ax.secondary_xaxis("top")
        top.set_xticks(years, [str(y) for y in years], rotation=90)
        top.tick_params(length=0, pad=1, labelsize=5, labelcolor="#777777")
        top.spines["top"].set_visible(False)
    return ax
