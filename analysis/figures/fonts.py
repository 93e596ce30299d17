"""The CJK font of every figure: which file, registered with matplotlib, and glyph checks.

``[figures] font = ""`` (the default) means the Noto Sans CJK SC file shipped inside the
``mplfonts`` package (found in its package folder; its installer, which writes into matplotlib's
data folder, is never called), checked against the pinned :data:`MPLFONTS_SHA256`. So by default
the figure bytes do not depend on which fonts a machine has installed. An installed system font
is used only when ``[figures] font`` names one, as a font file (a value ending in ``.otf``,
``.ttf`` or ``.ttc``, or containing a path separator; relative to the config) or as a family
name looked up in matplotlib's font manager (e.g. ``"Noto Sans CJK SC"``). The same file is given
to matplotlib (all text, one family, no fallback) and to ``wordcloud.WordCloud(font_path=...)``,
so a character the font lacks is caught by :func:`check_strings` before it can render as a box.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matplotlib import font_manager

from analysis import io
from analysis.config import Config
from analysis.figures.base import FigureError

MPLFONTS_FILE = "NotoSansCJKsc-Regular.otf"
# sha256 of mplfonts/fonts/NotoSansCJKsc-Regular.otf (the same bytes in mplfonts 0.0.8 and
# 0.0.11): the default font of every figure.
MPLFONTS_SHA256 = "1652500938055a232cfbfa321de6ebaadfc5635dd9f75e369bc991d14a6512dd"
FONT_SUFFIXES = (".otf", ".ttf", ".ttc")

Source = Literal["config", "system", "mplfonts"]


@dataclass(frozen=True)
class CJKFont:
    """A resolved font: its file, its family name in matplotlib, and where it came from.

    ``source`` is ``"mplfonts"`` (the default, sha-pinned file), ``"config"`` (a file named by
    ``[figures] font``) or ``"system"`` (an installed font whose family ``[figures] font`` names).
    """

    path: Path
    name: str
    source: Source


# Font files this module added to matplotlib's font manager: never mistaken for system fonts.
_added: set[Path] = set()


def _register(path: Path, source: Source) -> CJKFont:
    """Make ``path`` the font matplotlib uses for its family name, and check that it does.

    Another installed file with the same family name (a system Noto Sans CJK SC, say) would
    otherwise win matplotlib's lookup, as the first of equal matches wins: the entries of
    ``path`` are moved to the front of the font list.
    """
    manager = font_manager.fontManager
    if not any(Path(f.fname) == path for f in manager.ttflist):
        manager.addfont(str(path))
        _added.add(path)
    ours = [f for f in manager.ttflist if Path(f.fname) == path]
    manager.ttflist[:] = ours + [f for f in manager.ttflist if Path(f.fname) != path]
    manager._findfont_cached.cache_clear()  # as FontManager.addfont does after changing the list
    name = font_manager.FontProperties(fname=str(path)).get_name()
    used = Path(font_manager.findfont(font_manager.FontProperties(family=[name])))
    if used != path:
        raise FigureError(
            f"font {path}: matplotlib resolves its family {name!r} to {used} instead; "
            "set [figures] font to that file or to a font with another family name"
        )
    return CJKFont(path=path, name=name, source=source)


def _is_path(value: str) -> bool:
    return value.lower().endswith(FONT_SUFFIXES) or "/" in value or "\\" in value


def _system_font(family: str) -> Path:
    """The installed file of ``family`` (case-insensitive) in matplotlib's font manager."""
    entries = [
        e
        for e in font_manager.fontManager.ttflist
        if e.name.casefold() == family.casefold()
        and Path(e.fname) not in _added
        and Path(e.fname).suffix.lower() in FONT_SUFFIXES
    ]
    if not entries:
        raise FigureError(
            f"[figures] font: no installed font has the family {family!r} (matplotlib's font "
            'manager); give a font file path instead, or "" for the Noto Sans CJK SC of mplfonts'
        )
    # The first face of a file only: word clouds and the glyph checks read face 0 of a .ttc.
    first_faces = [e for e in entries if e.index == 0]
    if not first_faces:
        files = sorted({e.fname for e in entries})
        raise FigureError(
            f"[figures] font: the family {family!r} is installed only as a later face of the "
            f"font collection(s) {files}, which word clouds cannot select; install it as a "
            'single font file and give its path, or use "" for the Noto Sans CJK SC of mplfonts'
        )
    regular = [e for e in first_faces if e.style == "normal" and e.weight in (400, "normal")]
    return Path(min(regular or first_faces, key=lambda e: e.fname).fname)


def _mplfonts_font() -> Path:
    """The pinned Noto Sans CJK SC file of the ``mplfonts`` package."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise FigureError(
            "no CJK font: the default [figures] font is the Noto Sans CJK SC of mplfonts; "
            "`pip install mplfonts`, or set [figures] font to a font file or family name"
        )
    path = (Path(spec.origin).parent / "fonts" / MPLFONTS_FILE).resolve()
    if not path.is_file():
        raise FigureError(
            f"no CJK font: mplfonts has no {MPLFONTS_FILE} (looked for {path}); "
            "set [figures] font to a font file or family name"
        )
    actual = io.sha256_file(path)
    if actual != MPLFONTS_SHA256:
        raise FigureError(
            f"font {path}: sha256 {actual}, expected {MPLFONTS_SHA256} (the pinned Noto Sans "
            "CJK SC of mplfonts), so the figures would not match the published ones; set "
            "[figures] font to this file's path to use it anyway, or to another font file or "
            "family name"
        )
    return path


def resolve_font(cfg: Config) -> CJKFont:
    """Find the CJK font of ``[figures] font`` and register it with matplotlib.

    ``""``: the pinned Noto Sans CJK SC of mplfonts (source ``"mplfonts"``); a value ending in
    ``.otf``/``.ttf``/``.ttc`` or containing a path separator: that file, relative to the config
    (``"config"``); anything else: the installed font of that family (``"system"``).

    Raises
    ------
    FigureError
        If the configured file does not exist, no installed font has the configured family, the
        mplfonts file is missing or its sha256 is not :data:`MPLFONTS_SHA256`, or matplotlib
        would resolve the font's family name to another file.
    """
    value = cfg.figures.font
    if not value:
        return _register(_mplfonts_font(), "mplfonts")
    if _is_path(value):
        path = cfg.path(value)
        if not path.is_file():
            raise FigureError(f"[figures] font: no such font file {value}")
        return _register(path.resolve(), "config")
    return _register(_system_font(value), "system")


@functools.lru_cache(maxsize=8)
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    kwargs = {"fontNumber": 0} if path.suffix.lower() == ".ttc" else {}
    with TTFont(str(path), lazy=True, **kwargs) as font:
        return frozenset(font.getBestCmap())


def _needs_glyph(char: str) -> bool:
    return not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf"))


def missing_chars(text: str, font: CJKFont) -> list[str]:
    """Characters of ``text`` (in order, once each) that the font file has no glyph for."""
    cmap = _cmap(font.path)
    seen: dict[str, None] = {}
    for char in text:
        if _needs_glyph(char) and ord(char) not in cmap:
            seen.setdefault(char)
    return list(seen)


def describe_char(char: str) -> str:
    """``'𠀀' (U+20000 CJK UNIFIED IDEOGRAPH-20000)``."""
    return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})"


def check_strings(strings: Iterable[str], font: CJKFont) -> None:
    """Raise :class:`FigureError` naming the first string with a character the font lacks."""
    for text in strings:
        missing = missing_chars(text, font)
        if missing:
            chars = ", ".join(describe_char(c) for c in missing)
            raise FigureError(
                f"font {font.name} ({font.path.name}) has no glyph for {chars} in {text!r}"
            )
