"""HTML pieces of the report page: escaping, tables, links, images and the page around them.

Standard library only (``html.escape``, ``string.Template``): the page is a handful of tables
and images, which needs no template engine. Every string that comes from data (doc ids, places,
terms, file names, reasons) passes through :func:`esc`; an ``href`` is a relative path, quoted
(:func:`href`); images are ``data:`` URIs. The page has no script, and its Content Security
Policy forbids loading anything but inline styles and ``data:`` images, so it cannot reach the
network even if a string slipped through.
"""

from __future__ import annotations

import base64
import html
import math
import string
import urllib.parse
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 0 1.5em 3em; color: #1a1a1a; background: #fff; line-height: 1.45; }
h1 { border-bottom: 3px solid #1f5f8b; padding-bottom: .3em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; color: #1f5f8b; }
nav ul { columns: 3; list-style: none; padding: 0; }
.scroll { overflow-x: auto; max-height: 36em; overflow-y: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #eef3f7; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.flag { background: #fde8c8; }
figure { margin: 1.5em 0; border: 1px solid #ddd; padding: .5em; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .9em; color: #333; margin-top: .4em; }
.note { color: #555; font-style: italic; }
code { background: #f4f4f4; padding: 0 .2em; }
"""

PAGE = string.Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body>
<h1>$title</h1>
$body
</body>
</html>
"""
)


def esc(value: Any) -> str:
    """``value`` as HTML text: missing values empty, floats to 4 significant digits, every
    character that could open markup escaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Real) and not isinstance(value, Integral):
        return html.escape(f"{float(value):.4g}")
    return html.escape(str(value), quote=True)


def href(path: str) -> str:
    """A relative POSIX path as an escaped ``href`` value (each part percent-quoted)."""
    return esc(urllib.parse.quote(path, safe="/"))


def link(path: str, text: str | None = None) -> str:
    """``<a href="path">text</a>`` (text defaults to the path)."""
    return f'<a href="{href(path)}">{esc(text if text is not None else path)}</a>'


def anchor(name: str, text: str) -> str:
    """A link to the element ``id="name"`` of this page."""
    return f'<a href="#{esc(name)}">{esc(text)}</a>'


def links(paths: Iterable[str]) -> str:
    """Links to ``paths``, comma-separated."""
    return ", ".join(link(p) for p in paths)


def para(text: str, *, note: bool = False) -> str:
    """A paragraph of plain text (escaped)."""
    return f'<p class="note">{esc(text)}</p>' if note else f"<p>{esc(text)}</p>"


def heading(level: int, anchor: str, text: str) -> str:
    """``<hN id="anchor">text</hN>``."""
    return f'<h{level} id="{esc(anchor)}">{esc(text)}</h{level}>'


def _cell(value: Any, *, flag: bool) -> str:
    is_num = isinstance(value, Real) and not isinstance(value, bool | np.bool_)
    classes = [c for c, on in (("num", is_num), ("flag", flag and truthy(value))) if on]
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attr}>{esc(value)}</td>"


def truthy(value: Any) -> bool:
    """Whether a flag cell is set: true, non-zero, or a non-empty string other than 0/False."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, str):
        return value not in ("", "0", "False", "false")
    return bool(value)


def table(
    df: pd.DataFrame,
    *,
    max_rows: int | None = None,
    flags: Sequence[str] = (),
    scroll: bool = False,
) -> str:
    """``df`` as an HTML table (index dropped); the first ``max_rows`` rows, with a line saying
    how many were left out; cells of the ``flags`` columns that are set are highlighted."""
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    flag_cols = {i for i, c in enumerate(shown.columns) if c in set(flags)}
    rows = []
    for values in shown.itertuples(index=False, name=None):
        cells = "".join(_cell(v, flag=i in flag_cols) for i, v in enumerate(values))
        rows.append(f"<tr>{cells}</tr>")
    body = "\n".join(rows)
    out = f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"
    if scroll:
        out = f'<div class="scroll">{out}</div>'
    if len(shown) < len(df):
        out += para(f"First {len(shown)} of {len(df)} rows.", note=True)
    return out


def image(data: bytes, *, alt: str, mime: str = "image/png") -> str:
    """An ``<img>`` holding ``data`` as a ``data:`` URI (the page stays self-contained)."""
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img src="{uri}" alt="{esc(alt)}">'


def items(entries: Iterable[str]) -> str:
    """An unordered list of already built HTML fragments."""
    return "<ul>" + "".join(f"<li>{e}</li>" for e in entries) + "</ul>"


def page(title: str, body: str) -> str:
    """The whole page: ``title`` (escaped) and ``body`` (HTML built by the functions above)."""
    return PAGE.substitute(csp=CSP, title=esc(title), style=STYLE, body=body)
