"""Render a figure to deterministic PNG and PDF bytes, failing on any missing glyph.

Determinism: the PDF gets fixed metadata (no creation or modification date) and the PNG no
software stamp, so the same figure gives the same bytes on every run. Font subsets embedded in the
PDF (TrueType/CID, ``pdf.fonttype: 42``) are built deterministically by matplotlib.

Glyphs are checked twice: matplotlib's "Glyph ... missing from font(s)" warnings during rendering
become a :class:`FigureError`, and every visible text of the drawn figure is checked against the
font's character map (so a box never reaches a file even if the warning changes).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from typing import Literal

from matplotlib.figure import Figure
from matplotlib.text import Text

from analysis.figures.base import FigureError
from analysis.figures.fonts import CJKFont, check_strings, describe_char

FORMATS: tuple[Literal["png", "pdf"], ...] = ("png", "pdf")
PDF_METADATA = {
    "Creator": "policyshift",
    "Producer": "policyshift",
    "CreationDate": None,
    "ModDate": None,
}
PNG_METADATA = {"Software": None}
NO_LIGATURES = ("-liga", "-clig")
_GLYPH_WARNING = re.compile(r"Glyph (\d+) .*missing from font")


def figure_texts(fig: Figure) -> list[str]:
    """Every visible, non-empty text of ``fig`` (titles, labels, tick labels, legends, notes)."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _save(fig: Figure, fmt: Literal["png", "pdf"], *, dpi: int) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=dpi, metadata=PNG_METADATA)
        else:
            fig.savefig(buf, format="pdf", metadata=PDF_METADATA)
    chars = []
    for w in caught:
        m = _GLYPH_WARNING.search(str(w.message))
        if m:
            chars.append(chr(int(m.group(1))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if chars:
        missing = ", ".join(describe_char(c) for c in dict.fromkeys(chars))
        raise FigureError(f"missing glyph(s) while rendering {fmt}: {missing}")
    return buf.getvalue()


def render(
    fig: Figure, font: CJKFont, *, dpi: int, formats: Sequence[Literal["png", "pdf"]] = FORMATS
) -> dict[str, bytes]:
    """PNG (at ``dpi``) and PDF bytes of ``fig``; :class:`FigureError` on a missing glyph.

    The PNG is drawn first (whether asked for or not) and the drawn texts are checked against
    the font before any other format.

    Latin ligatures (fi, fl ...) are turned off in every text first: a ligature glyph maps to
    several characters, which makes matplotlib embed a second subset of the font in the PDF
    (slow with a large CJK font). Matplotlib ignores the setting for multi-line texts, so a PDF
    may still hold two subsets; the output is deterministic either way.
    """
    for text in fig.findobj(Text):
        if text.get_fontfeatures() is None:
            text.set_fontfeatures(NO_LIGATURES)
    out = {"png": _save(fig, "png", dpi=dpi)}
    check_strings(figure_texts(fig), font)
    for fmt in formats:
        if fmt not in out:
            out[fmt] = _save(fig, fmt, dpi=dpi)
    return {fmt: out[fmt] for fmt in formats}
