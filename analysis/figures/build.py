"""Build registered figures into ``<out>/<id>.png`` and ``.pdf`` with ``<out>/manifest.json``.

The manifest has one entry per figure: the question it answers, its input tables with their
sha256, its output files with their sha256, the config hash, the corpus hash, the seed (for
figures with a random layout), the ``[figures]`` settings it depends on, the font file and the
package versions. It has no timestamps, so a rebuild from the same tables gives the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from analysis import io, stamps
from analysis.config import Config
from analysis.figures.base import FigureError, FigureSpec
from analysis.figures.fonts import CJKFont, resolve_font
from analysis.figures.registry import REGISTRY
from analysis.figures.render import FORMATS, render
from analysis.figures.style import figure_style
from analysis.progress import progress
from analysis.results import Results, ResultsError
from analysis.workers import n_workers, process_pool

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
            if not Results(results).path(rel).is_file():
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


def _code_parts(spec: FigureSpec) -> list[str]:
    """Source files that shape a figure: its own module and every shared module of the package
    (the other figures' modules excluded)."""
    own = {Path(sys.modules[s.make.__module__].__file__).name for s in REGISTRY.values()}
    folder = Path(__file__).parent
    shared = [p.name for p in folder.iterdir() if p.is_file() and p.name not in own]
    mine = Path(sys.modules[spec.make.__module__].__file__).name
    return [f"figures/{name}" for name in sorted({*shared, mine})]


def _plan(spec: FigureSpec, cfg: Config, results: Path, font: CJKFont) -> dict[str, Any]:
    """A figure's manifest entry before drawing: what it reads, its settings, font and code."""
    settings = {k: getattr(cfg.figures, k) for k in (*ALWAYS_SETTINGS, *spec.settings)}
    return {
        "question": spec.question,
        "inputs": {rel: io.sha256_file(Results(results).path(rel)) for rel in spec.tables(cfg)},
        "seed": cfg.seed if spec.seeded else None,
        "settings": json.loads(json.dumps(settings)),
        "font": {
            "file": font.path.name,
            "family": font.name,
            "source": font.source,
            "sha256": io.sha256_file(font.path),
        },
        "code": stamps.code_identity(_code_parts(spec)),
        "versions": io.package_versions(),
    }


# fields of an entry that decide whether a figure is redrawn (the rest is provenance)
_DECIDING = ("inputs", "seed", "settings", "font", "versions")


def _unchanged(old: dict[str, Any] | None, new: dict[str, Any], out: Path) -> bool:
    if old is None or any(old.get(k) != new[k] for k in _DECIDING):
        return False
    if old.get("code", {}).get("source_hash") != new["code"]["source_hash"]:
        return False
    return not stamps.output_reasons(old, out)


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
    workers = n_workers(cfg.figures.workers, len(ids))
    if workers == 1:
        return {
            i: _render_one(i, cfg, results) for i in progress(ids, desc="figures", total=len(ids))
        }
    with process_pool(workers) as pool:
        futures = {pool.submit(_render_one, i, cfg, results): i for i in ids}
        done = {
            futures[f]: f.result()
            for f in progress(as_completed(futures), desc="figures", total=len(ids))
        }
    return {i: done[i] for i in ids}


def build_figures(
    cfg: Config,
    *,
    results: str | Path,
    out: str | Path,
    only: Sequence[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Draw the registered figures (or only the ids in ``only``) from the tables in ``results``.

    Writes ``<out>/<id>.png`` (``cfg.figures.dpi``) and ``<out>/<id>.pdf`` (fonts embedded) for
    each figure, ``<out>/manifest.json`` and ``<out>/stamp.json``, as one folder swapped in at
    the end. A figure whose input tables, settings, font, code and package versions are those
    of its last drawing (and whose files are intact) is not redrawn unless ``force``; with
    ``only``, the other figures are kept as they are. Figures are drawn in
    ``cfg.figures.workers`` processes; the files do not depend on it. Returns the paths of the
    figures drawn, in registry order, then the manifest; ``[]`` when every figure was up to date
    (nothing is written then).

    Raises
    ------
    FigureError
        Naming the figure: unknown id, missing input table or column, or a character the CJK
        font has no glyph for. Inputs of every selected figure are checked before any is drawn,
        and nothing is written unless every selected figure renders.
    """
    res = Results(results, figures=out)
    results, out = Path(results), res.figures_dir
    _check_owned(out)
    specs = _select(only)
    with res.locking("figures", reads=["ingest", "measures", "topics"]):
        _check_inputs(specs, results, cfg)
        font = resolve_font(cfg)
        old_stamp = res.stamp("figures") or {}
        old_entries: dict[str, Any] = old_stamp.get("figures", {})
        planned = {spec.id: _plan(spec, cfg, results, font) for spec in specs}
        todo = [
            spec
            for spec in specs
            if force or not _unchanged(old_entries.get(spec.id), planned[spec.id], out)
        ]
        kept = {i: e for i, e in old_entries.items() if i in REGISTRY}
        if not todo and kept == old_entries and (out / MANIFEST).is_file():
            return []  # every figure up to date: nothing is rewritten
        rendered = _render_all(todo, cfg, results)
        old_manifest = _read_manifest(out)
        entries = {i: e for i, e in kept.items() if i not in rendered}
        with res.write_stage("figures", reads=["ingest", "measures", "topics"]) as w:
            for entry in entries.values():
                for name in entry["outputs"]:
                    w.copy(out / name, name)
            written: list[Path] = []
            for spec in todo:
                outputs: dict[str, str] = {}
                for fmt in FORMATS:
                    name = f"{spec.id}.{fmt}"
                    w.bytes(rendered[spec.id][fmt], name)
                    outputs[name] = io.sha256_bytes(rendered[spec.id][fmt])
                    written.append(out / name)
                entries[spec.id] = {
                    **planned[spec.id],
                    "outputs": outputs,
                    "config_hash": cfg.hash(),
                    "corpus_hash": _corpus_hash(results),
                }
            entries = {i: entries[i] for i in sorted(entries, key=_registry_order)}
            configs = {**old_manifest.get("configs", {}), cfg.hash(): cfg.to_dict()}
            used = {e.get("config_hash") for e in entries.values()}
            configs = {h: c for h, c in configs.items() if h in used}
            w.json({"figures": entries, "configs": configs}, MANIFEST)
            w.stamp = {"stage": "figures", "figures": entries}
    return [*written, out / MANIFEST]


def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _corpus_hash(results: Path) -> str | None:
    with contextlib.suppress(ResultsError):
        return Results(results).corpus_hash()
    return None


def _check_owned(out: Path) -> None:
    """Refuse to replace a folder that is not a figures folder of ours (it would be lost)."""
    if not out.is_dir() or not any(out.iterdir()):
        return
    if (out / "stamp.json").is_file() or (out / MANIFEST).is_file():
        return
    raise FigureError(
        f"{out}: not a policyshift figures folder (no manifest.json); it would be replaced "
        "as a whole. Choose an empty or new folder with --out"
    )


def _registry_order(fig_id: str) -> tuple[int, str]:
    order = list(REGISTRY)
    return (order.index(fig_id) if fig_id in order else len(order), fig_id)
