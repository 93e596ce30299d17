"""What every figure module shares: the spec it registers, its errors, and reading saved tables.

A figure reads tables under ``results/`` only (never raw text, never a model fit). A figure whose
data does not support it (one level, one year, no topics, an input table absent) raises
:class:`FigureSkipped` with the reason; a missing column or any other defect is a
:class:`FigureError` naming it. :func:`analysis.figures.build_figures` adds the figure id and
draws the other figures either way.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from analysis.config import Config
from analysis.results import Results, ResultsError

MakeFn = Callable[[Path, Config], Figure]


class FigureError(RuntimeError):
    """A figure cannot be built: unknown id, missing column, missing glyph."""


class FigureSkipped(Exception):
    """A figure does not apply to the corpus at hand (not an error).

    ``reason`` says why in words a user can act on ("the corpus has no province reports");
    ``setting`` names the config key that asked for it (``[figures] keyness_comparisons``), or
    ``""``.
    """

    def __init__(self, reason: str, setting: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.setting = setting


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure.

    Attributes
    ----------
    id : str
        File stem of ``<out>/<id>.png`` and ``.pdf``; the ``--only`` argument.
    question : str
        The question the figure answers (README, manifest).
    method : str
        The short stated-rules line drawn under the figure and shown in the manifest and the
        HTML report's caption: ``"counting: ...; denominator: ...; interval: ..."``
        (:func:`method_line`); ``{level}`` and ``{interval}`` are filled from ``[measures]
        ci_level`` and ``ci_interval`` (:meth:`caption`).
    inputs : tuple[str, ...] or callable
        Tables it reads, relative to the results folder (or a function of the config returning
        them, when settings choose the tables); their sha256 goes to the manifest.
    make : callable
        ``make(results, cfg) -> Figure``.
    settings : tuple[str, ...]
        Names of the ``[figures]`` config values that change it (recorded in the manifest).
    seeded : bool
        Whether it uses ``cfg.seed`` (layout or jitter).
    optional : tuple[str, ...] or callable
        Tables read when present (recorded with their sha256 when they are), or a function
        ``(cfg, results) -> tables`` when the saved tables decide which are read; the figure
        is drawn without the absent ones.
    """

    id: str
    question: str
    inputs: tuple[str, ...] | Callable[[Config], tuple[str, ...]]
    make: MakeFn
    method: str
    settings: tuple[str, ...] = ()
    seeded: bool = False
    optional: tuple[str, ...] | Callable[[Config, Path], tuple[str, ...]] = ()

    def caption(self, cfg: Config) -> str:
        """The method line with the interval level and kind of ``cfg`` filled in."""
        interval = {"percentile": "percentile", "bca": "BCa"}[cfg.measures.ci_interval]
        return self.method.format(level=f"{cfg.measures.ci_level:.0%}", interval=interval)

    def tables(self, cfg: Config) -> tuple[str, ...]:
        """The input tables under ``cfg`` the figure needs, relative to the results folder."""
        return self.inputs(cfg) if callable(self.inputs) else self.inputs

    def present_tables(self, cfg: Config, results: Path) -> tuple[str, ...]:
        """The needed and optional input tables that exist under ``results``."""
        res = Results(results)
        optional = self.optional(cfg, results) if callable(self.optional) else self.optional
        tables = dict.fromkeys((*self.tables(cfg), *optional))
        return tuple(rel for rel in tables if res.path(rel).is_file())

    def missing_tables(self, cfg: Config, results: Path) -> tuple[str, ...]:
        """The needed input tables absent from ``results``."""
        res = Results(results)
        return tuple(rel for rel in self.tables(cfg) if not res.path(rel).is_file())


#: Parts of the method lines shared by the figures.
CONCEPT_COUNT = "longest-match dictionary count of the concept's terms"
PER_CHARS = "10,000 characters of clean text (whitespace excluded)"
PARAGRAPH_CI = "{level} paragraph bootstrap ({interval}) of each report"
POOLED_CI = (
    "{level} report-cluster bootstrap ({interval}) where reports are pooled, paragraph "
    "bootstrap for a single report"
)
NO_INTERVAL = "no interval"


def method_line(*, counting: str, denominator: str, interval: str) -> str:
    """``"counting: ...; denominator: ...; interval: ..."``: what a figure counted, divided by
    and how its intervals were computed (or ``no interval``)."""
    return f"counting: {counting}; denominator: {denominator}; interval: {interval}"


def draw_method(fig: Figure, line: str, *, fontsize: float = 6.5) -> None:
    """The method line under the figure, in a strip added at the bottom.

    The figure is laid out first (constrained layout) and then frozen: it grows by the strip's
    height and every axes, figure text and figure legend moves up by that height, so nothing
    changes size and the line never overlaps a legend or a label. Wrapped to the figure's
    width.
    """
    width_in, height_in = fig.get_size_inches()
    text = wrap_label(line, max(60, int(width_in * 20)))
    strip = ((text.count("\n") + 1) * fontsize * 1.3 + 8) / 72  # inches
    fig.draw_without_rendering()
    legends = [
        (leg, leg.get_window_extent().transformed(fig.transFigure.inverted()))
        for leg in fig.legends
    ]
    fig.set_layout_engine("none")
    total = height_in + strip
    frac = strip / total
    fig.set_size_inches(width_in, total)

    def up(y: float) -> float:
        return frac + y * (1 - frac)

    for ax in fig.axes:
        if ax.get_axes_locator() is None:
            pos = ax.get_position()
            ax.set_position((pos.x0, up(pos.y0), pos.width, pos.height * (1 - frac)))
    for txt in [*fig.texts, fig._suptitle, fig._supxlabel, fig._supylabel]:
        if txt is not None:
            x, y = txt.get_position()
            txt.set_position((x, up(y)))
    for leg, box in legends:
        leg.set_loc("lower left")
        leg.set_bbox_to_anchor((box.x0, up(box.y0)), transform=fig.transFigure)
        leg.borderaxespad = 0.0
    fig.text(
        0.5,
        3 / 72 / total,
        text,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        color="#555555",
    )


def read_table(results: Path, rel: str, *, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a saved Parquet or CSV table ``results/rel`` (:meth:`analysis.results.Results.table`),
    checking that ``columns`` exist; a missing table or column is a :class:`FigureError`."""
    try:
        return Results(results).table(rel, columns=columns)
    except ResultsError as exc:
        raise FigureError(str(exc)) from exc


def read_json(results: Path, rel: str) -> dict[str, Any]:
    """Read a saved JSON file ``results/rel``."""
    try:
        return Results(results).json(rel)
    except ResultsError as exc:
        raise FigureError(str(exc)) from exc


def concept_label(
    label_en: str, label_zh: str, *, zh: bool = True, width: int | None = None
) -> str:
    """``"New energy (新能源)"``, or the English label alone with ``zh=False``.

    ``width`` wraps the label at spaces to lines of at most that many characters (the Chinese
    part is never broken).
    """
    label = f"{label_en} ({label_zh})" if zh and label_zh else label_en
    return wrap_label(label, width) if width else label


def wrap_label(text: str, width: int) -> str:
    """``text`` wrapped at spaces to lines of at most ``width`` characters (words never broken)."""
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def title_lines(
    fig: Figure, lines: Sequence[str], *, width: int = 160, fontsize: float = 9
) -> None:
    """The figure title: each of ``lines`` wrapped to ``width`` characters, one under another."""
    fig.suptitle("\n".join(wrap_label(line, width) for line in lines), fontsize=fontsize)
