"""Build registered figures into ``<out>/<id>.png`` and ``.pdf`` with ``<out>/manifest.json``.

The manifest has one entry per figure: the question it answers, its input tables with their
sha256, its output files with their sha256, the config hash, the corpus hash, the seed (for
figures with a random layout), the ``[figures]`` settings it depends on, the font file and the
package versions. It has no timestamps, so a rebuild from the same tables gives the same bytes.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from analysis import io
from analysis.config import Config
from analysis.figures.base import FigureError, FigureSpec
from analysis.figures.fonts import CJKFont, resolve_font
from analysis.figures.registry import REGISTRY
from analysis.figures.render import FORMATS, render
from analysis.figures.style import figure_style
from analysis.progress import progress

MANIFEST = "manifest.json"
PREVIEW_DPI = 110
ALWAYS_SETTINGS = ("font", "dpi")


def _select(only: Sequence[str] | None) -> list[FigureSpec]:
    if not only:
        return list(REGISTRY.values())
    unknown = [i for i in only if i not in REGISTRY]
    if unknown:
        raise FigureError(f"unknown figure id(s) {unknown}; known: {sorted(REGISTRY)}")
    return [REGISTRY[i] for i in dict.fromkeys(only)]


def _check_inputs(specs: list[FigureSpec], results: Path, cfg: Config) -> None:
    for spec in specs:
        for rel in spec.tables(cfg):
            if not (results / rel).is_file():
                raise FigureError(
                    f"figure {spec.id}: missing input table {rel} (looked in {results})"
                )


def _draw(spec: FigureSpec, results: Path, cfg: Config) -> Figure:
    try:
        fig = spec.make(results, cfg)
    except FigureError as exc:
        raise FigureError(f"figure {spec.id}: {exc}") from exc
    if not isinstance(fig, Figure):
        raise TypeError(f"figure {spec.id}: make() returned {type(fig).__name__}, not a Figure")
    return fig


def make_figure(fig_id: str, *, results: str | Path, cfg: Config) -> Figure:
    """Draw one registered figure in the house style (for notebooks); nothing is written.

    The figure shows itself in Jupyter as a PNG at :data:`PREVIEW_DPI` (``_repr_png_``, drawn
    in the house style with the glyph checks of :func:`~analysis.figures.render.render`), also
    without pyplot.
    """
    (spec,) = _select([fig_id])
    results = Path(results)
    _check_inputs([spec], results, cfg)
    font = resolve_font(cfg)
    with figure_style(font):
        fig = _draw(spec, results, cfg)
        fig.draw_without_rendering()
    fig._repr_png_ = functools.partial(_preview_png, fig, font)
    return fig


def _preview_png(fig: Figure, font: CJKFont) -> bytes:
    with figure_style(font):
        return render(fig, font, dpi=PREVIEW_DPI, formats=("png",))["png"]


def _entry(
    spec: FigureSpec, cfg: Config, results: Path, outputs: dict[str, Path], font: CJKFont
) -> dict[str, Any]:
    corpus_hash = results / "corpus" / "corpus_hash.txt"
    settings = {k: getattr(cfg.figures, k) for k in (*ALWAYS_SETTINGS, *spec.settings)}
    return {
        "question": spec.question,
        "inputs": {rel: io.sha256_file(results / rel) for rel in spec.tables(cfg)},
        "outputs": {name: io.sha256_file(p) for name, p in outputs.items()},
        "config_hash": cfg.hash(),
        "corpus_hash": corpus_hash.read_text().strip() if corpus_hash.is_file() else None,
        "seed": cfg.seed if spec.seeded else None,
        "settings": json.loads(json.dumps(settings)),
        "font": {
            "file": font.path.name,
            "family": font.name,
            "source": font.source,
            "sha256": io.sha256_file(font.path),
        },
        "versions": io.package_versions(),
    }


def _render_one(fig_id: str, cfg: Config, results: Path) -> dict[str, bytes]:
    """Draw and render one figure (in this process or a worker); bytes per format."""
    spec = REGISTRY[fig_id]
    font = resolve_font(cfg)
    with figure_style(font):
        fig = _draw(spec, results, cfg)
        try:
            return render(fig, font, dpi=cfg.figures.dpi)
        except FigureError as exc:
            raise FigureError(f"figure {spec.id}: {exc}") from exc


def _render_all(specs: list[FigureSpec], cfg: Config, results: Path) -> dict[str, dict[str, bytes]]:
    """Render ``specs``, in ``cfg.figures.workers`` processes when more than one figure."""
    ids = [s.id for s in specs]
    workers = min(len(ids), cfg.figures.workers or os.cpu_count() or 1)
    if workers <= 1:
        return {
            i: _render_one(i, cfg, results) for i in progress(ids, desc="figures", total=len(ids))
        }
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no forked threads or state
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_render_one, i, cfg, results): i for i in ids}
        done = {
            futures[f]: f.result()
            for f in progress(as_completed(futures), desc="figures", total=len(ids))
        }
    return {i: done[i] for i in ids}


def build_figures(
    cfg: Config, *, results: str | Path, out: str | Path, only: Sequence[str] | None = None
) -> list[Path]:
    """Draw the registered figures (or only the ids in ``only``) from the tables in ``results``.

    Writes ``<out>/<id>.png`` (``cfg.figures.dpi``) and ``<out>/<id>.pdf`` (fonts embedded) for
    each figure and ``<out>/manifest.json``; with ``only``, the other figures' manifest entries are
    kept. Figures are drawn in ``cfg.figures.workers`` processes; the files do not depend on it.
    Returns every path written, in registry order, the manifest last.

    Raises
    ------
    FigureError
        Naming the figure: unknown id, missing input table or column, or a character the CJK
        font has no glyph for. Inputs of every selected figure are checked before any is drawn,
        and nothing is written unless every selected figure renders.
    """
    results, out = Path(results), Path(out)
    specs = _select(only)
    _check_inputs(specs, results, cfg)
    font = resolve_font(cfg)
    rendered = _render_all(specs, cfg, results)
    manifest_path = out / MANIFEST
    old: dict[str, Any] = {}
    if only and manifest_path.is_file():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries: dict[str, Any] = dict(old.get("figures", {}))
    written: list[Path] = []
    for spec in specs:
        outputs: dict[str, Path] = {}
        for fmt in FORMATS:
            path = out / f"{spec.id}.{fmt}"
            with io.atomic_open(path, "wb") as fh:
                fh.write(rendered[spec.id][fmt])
            outputs[path.name] = path
            written.append(path)
        entries[spec.id] = _entry(spec, cfg, results, outputs, font)
    configs = {**old.get("configs", {}), cfg.hash(): cfg.to_dict()}
    used = {e.get("config_hash") for e in entries.values()}
    configs = {h: c for h, c in configs.items() if h in used}
    entries = {i: entries[i] for i in sorted(entries, key=_registry_order)}
    written.append(io.write_json(manifest_path, {"figures": entries, "configs": configs}))
    return written


def _registry_order(fig_id: str) -> tuple[int, str]:
    order = list(REGISTRY)
    return (order.index(fig_id) if fig_id in order else len(order), fig_id)
