"""Figures: one module per figure, each ``make(results, cfg) -> Figure`` from saved tables only.

``REGISTRY`` maps a figure id to its :class:`FigureSpec` (question, input tables, settings);
:func:`build_figures` draws them in the style of ``policyshift.mplstyle`` with one CJK font
(:mod:`analysis.figures.fonts`) and writes PNG, PDF and ``manifest.json``.
"""

from analysis.figures.base import FigureError, FigureSkipped, FigureSpec
from analysis.figures.build import FiguresBuilt, build_figures, make_figure
from analysis.figures.registry import REGISTRY

__all__ = [
    "REGISTRY",
    "FigureError",
    "FigureSkipped",
    "FigureSpec",
    "FiguresBuilt",
    "build_figures",
    "make_figure",
]
