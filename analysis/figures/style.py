"""The figure style: ``policyshift.mplstyle`` plus the resolved CJK font family."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import matplotlib.style

from analysis.figures.fonts import CJKFont

STYLE_FILE = Path(__file__).with_name("policyshift.mplstyle")


@contextlib.contextmanager
def figure_style(font: CJKFont) -> Iterator[None]:
    """Apply matplotlib's defaults, then the style file, then ``font`` as the only family."""
    with matplotlib.style.context(
        [str(STYLE_FILE), {"font.family": [font.name]}], after_reset=True
    ):
        yield
