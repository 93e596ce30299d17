"""The CJK font of every figure: which file, registered with matplotlib, and glyph checks.

Resolution order: the ``[figures] font`` path of the config, else an installed system CJK font
(the first of :data:`SYSTEM_FAMILIES` that matplotlib's font manager knows), else the Noto Sans
CJK SC file shipped inside the ``mplfonts`` package (found in its package folder; its installer,
which writes into matplotlib's data folder, is never called). The same file is given to matplotlib
(all text, one family, no fallback) and to ``wordcloud.WordCloud(font_path=...)``, so a character
the font lacks is caught by :func:`check_strings` before it can render as a box.
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

from analysis.config import Config
from analysis.figures.base import FigureError

# Installed CJK families tried in this order (simplified-Chinese sans first).
SYSTEM_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Sarasa Gothic SC",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
)
MPLFONTS_FILE = "NotoSansCJKsc-Regular.otf"


@dataclass(frozen=True)
class CJKFont:
    """A resolved font: its file, its family name in matplotlib, and where it came from."""

    path: Path
    name: str
    source: Literal["config", "system", "mplfonts"]


# Font files this module added to matplotlib's font manager: never mistaken for system fonts.
_added: set[Path] = set()


def _register(path: Path, source: Literal["config", "system", "mplfonts"]) -> CJKFont:
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
        _added.add(path)
    name = font_manager.FontProperties(fname=str(path)).get_name()
    return CJKFont(path=path, name=name, source=source)


def _system_font() -> Path | None:
    by_name: dict[str, list[font_manager.FontEntry]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, []).append(entry)
    for family in SYSTEM_FAMILIES:
        entries = [e for e in by_name.get(family, []) if Path(e.fname) not in _added]
        regular = [e for e in entries if e.style == "normal" and e.weight in (400, "normal")]
        for entry in sorted(regular or entries, key=lambda e: e.fname):
            if Path(entry.fname).suffix.lower() in (".otf", ".ttf", ".ttc"):
                return Path(entry.fname)
    return None


def _mplfonts_font() -> Path | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "fonts" / MPLFONTS_FILE
    return path if path.is_file() else None


def resolve_font(cfg: Config) -> CJKFont:
    """Find the CJK font (config path > system font > mplfonts) and register it with matplotlib.

    Raises
    ------
    FigureError
        If the configured file does not exist, or no CJK font is found at all.
    """
    if cfg.figures.font:
        path = cfg.path(cfg.figures.font)
        if not path.is_file():
            raise FigureError(f"[figures] font: no such font file {cfg.figures.font}")
        font = _register(path.resolve(), "config")
        used = Path(font_manager.findfont(font_manager.FontProperties(family=[font.name])))
        if used.resolve() != font.path:
            raise FigureError(
                f"[figures] font {cfg.figures.font}: its family {font.name!r} is also installed "
                f"as {used}, which matplotlib would use instead; set font to that file or to a "
                "font with another family name"
            )
        return font
    system = _system_font()
    if system is not None:
        return _register(system, "system")
    shipped = _mplfonts_font()
    if shipped is not None:
        return _register(shipped, "mplfonts")
    raise FigureError(
        "no CJK font: set [figures] font to a font file, install a CJK font "
        "(e.g. Noto Sans CJK SC) or `pip install mplfonts`"
    )


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
