"""Build registered figures into ``<out>/<id>.png`` and ``.pdf`` with ``<out>/manifest.json``.

The manifest has one entry per drawn figure: the question it answers, its input tables with their
sha256, its output files with their sha256, the config hash, the corpus hash, the seed (for
figures with a random layout), the ``[figures]`` settings it depends on, the font file and the
package versions. It has no timestamps, so a rebuild from the same tables gives the same bytes.

A figure whose data does not support it (an input table absent, one level, one year ...) is
skipped with its reason in ``<out>/skipped.csv``; a figure that fails (a missing column, a
missing glyph, any exception) is named with a one-line error and its traceback goes to
``<out>/errors.log``. Neither stops the other figures: :func:`build_figures` returns what was
drawn, skipped and failed, and its callers decide the exit status.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from analysis import io, stamps
from analysis.config import Config
from analysis.figures.base import FigureError, FigureSkipped, FigureSpec, draw_method
from analysis.figures.fonts import CJKFont, resolve_font
from analysis.figures.registry import REGISTRY
from analysis.figures.render import render
from analysis.figures.style import figure_style
from analysis.progress import progress
from analysis.results import Results, ResultsError
from analysis.skips import SKIPPED_FILE, Skip, skip_table
from analysis.workers import n_workers, process_pool

MANIFEST = "manifest.json"
ERRORS = "errors.log"
PREVIEW_DPI = 110
ALWAYS_SETTINGS = ("font", "dpi", "formats")


# the stage that writes each folder of a results folder (for "absent" reasons)
_WRITER = {"corpus": "ingest", "tokens": "tokens", "tables": "measures", "topics": "topics"}


@dataclass(frozen=True)
class FiguresBuilt:
    """What :func:`build_figures` did.

    Attributes
    ----------
    written : tuple[Path, ...]
        Files written: PNG and PDF of each figure drawn (registry order), then the manifest;
        ``()`` when every figure was up to date (nothing written).
    drawn : tuple[str, ...]
        Ids of the figures drawn in this call.
    skipped : tuple[Skip, ...]
        Every selected figure that does not apply, with its reason (also those whose skip was
        decided by an earlier, still valid build).
    failed : tuple[tuple[str, str], ...]
        ``(figure id, one-line error)`` of each figure that failed (traceback in ``errors.log``).
    """

    written: tuple[Path, ...] = ()
    drawn: tuple[str, ...] = ()
    skipped: tuple[Skip, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Rendered:
    """One figure's outcome in a worker: bytes per format, or a skip, or a failure."""

    files: dict[str, bytes] | None = None
    skip: Skip | None = None
    error: str = ""
    trace: str = ""


def _select(only: Sequence[str] | None) -> list[FigureSpec]:
    if not only:
        return list(REGISTRY.values())
    unknown = [i for i in only if i not in REGISTRY]
    if unknown:
        raise FigureError(f"unknown figure id(s) {unknown}; known: {sorted(REGISTRY)}")
    return [REGISTRY[i] for i in dict.fromkeys(only)]


def absent_reason(missing: Sequence[str]) -> str:
    """Why a figure whose input tables ``missing`` are absent is skipped, naming their stage."""
    stages = sorted({_WRITER.get(rel.split("/", 1)[0], "an earlier") for rel in missing})
    return (
        f"input table(s) {', '.join(missing)} absent (not written by the "
        f"{' or '.join(stages)} stage for this corpus)"
    )


def _check_inputs(spec: FigureSpec, results: Path, cfg: Config) -> None:
    """Raise :class:`FigureSkipped` when a needed input table of ``spec`` is absent."""
    missing = spec.missing_tables(cfg, results)
    if missing:
        raise FigureSkipped(absent_reason(missing))


def _draw(spec: FigureSpec, results: Path, cfg: Config) -> Figure:
    try:
        fig = spec.make(results, cfg)
    except FigureError as exc:
        raise FigureError(f"figure {spec.id}: {exc}") from exc
    if not isinstance(fig, Figure):
        raise TypeError(f"figure {spec.id}: make() returned {type(fig).__name__}, not a Figure")
    draw_method(fig, spec.caption(cfg))
    return fig


def make_figure(fig_id: str, *, results: str | Path, cfg: Config) -> Figure:
    """Draw one registered figure in the house style (for notebooks); nothing is written.

    The figure shows itself in Jupyter as a PNG at :data:`PREVIEW_DPI` (``_repr_png_``, drawn
    in the house style with the glyph checks of :func:`~analysis.figures.render.render`), also
    without pyplot. Raises :class:`FigureSkipped` when the figure does not apply to the corpus
    (:func:`analysis.views` turns that into a note).
    """
    (spec,) = _select([fig_id])
    results = Path(results)
    _check_inputs(spec, results, cfg)
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
    """A figure's manifest entry before drawing: what it reads (the tables present), its
    settings, font and code."""
    settings = {k: getattr(cfg.figures, k) for k in (*ALWAYS_SETTINGS, *spec.settings)}
    res = Results(results)
    return {
        "question": spec.question,
        "method": spec.caption(cfg),
        "inputs": {rel: io.sha256_file(res.path(rel)) for rel in spec.present_tables(cfg, results)},
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
_DECIDING = ("inputs", "seed", "settings", "font", "versions", "method")


def _unchanged(old: dict[str, Any] | None, new: dict[str, Any], out: Path) -> bool:
    if old is None or any(old.get(k) != new[k] for k in _DECIDING):
        return False
    if old.get("code", {}).get("source_hash") != new["code"]["source_hash"]:
        return False
    return not stamps.output_reasons(old, out)


def _skip_of(fig_id: str, entry: dict[str, Any]) -> Skip | None:
    """The skip recorded in a stamp entry, or None for a drawn figure."""
    skip = entry.get("skipped")
    if not skip:
        return None
    return Skip("figures", fig_id, skip["reason"], skip.get("setting", ""))


def _trace(exc: BaseException) -> str:
    """The traceback of ``exc`` with file paths cut to their package-relative tail (no machine
    paths in an output)."""
    tb = traceback.TracebackException.from_exception(exc)
    for te in (tb, *_chained(tb)):
        for frame in te.stack:
            frame.filename = _short_path(frame.filename)
    return "".join(tb.format())


def _chained(tb: traceback.TracebackException) -> list[traceback.TracebackException]:
    out = []
    cur = tb.__cause__ or tb.__context__
    while cur is not None:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _short_path(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "dist-packages"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    if "analysis" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("analysis") :])
    return Path(filename).name


def _render_one(fig_id: str, cfg: Config, results: Path) -> _Rendered:
    """Draw and render one figure (in this process or a worker): its bytes per format, or why
    it was skipped, or its error; never raises for a figure's own problem."""
    spec = REGISTRY[fig_id]
    try:
        _check_inputs(spec, results, cfg)
        font = resolve_font(cfg)
        with figure_style(font):
            fig = _draw(spec, results, cfg)
            try:
                files = render(fig, font, dpi=cfg.figures.dpi, formats=cfg.figures.formats)
                return _Rendered(files=files)
            except FigureError as exc:
                raise FigureError(f"figure {spec.id}: {exc}") from exc
    except FigureSkipped as exc:
        return _Rendered(skip=Skip("figures", fig_id, exc.reason, exc.setting))
    except Exception as exc:  # one figure's failure never stops the others
        message = str(exc).splitlines()[0] if str(exc) else ""
        if not isinstance(exc, FigureError):
            message = f"{type(exc).__name__}: {message}"
        message = message.removeprefix(f"figure {fig_id}: ")
        return _Rendered(error=message, trace=_trace(exc))


def _render_all(specs: list[FigureSpec], cfg: Config, results: Path) -> dict[str, _Rendered]:
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
) -> FiguresBuilt:
    """Draw the registered figures (or only the ids in ``only``) from the tables in ``results``.

    Writes ``<out>/<id>.png`` (``cfg.figures.dpi``) and ``<out>/<id>.pdf`` (fonts embedded),
    those of ``cfg.figures.formats``, for each figure its data supports, ``<out>/manifest.json``, ``<out>/skipped.csv`` (the figures
    that do not apply and why), ``<out>/errors.log`` (tracebacks, only when a figure failed) and
    ``<out>/stamp.json``, as one folder swapped in at the end. A figure whose input tables,
    settings, font, code and package versions are those of its last drawing or skip (and whose
    files are intact) is not redone unless ``force``; a failed figure is retried on every call;
    with ``only``, the other figures are kept as they are. Figures are drawn in
    ``cfg.figures.workers`` processes; the files do not depend on it.

    Raises
    ------
    FigureError
        Only for what concerns every figure: an unknown id in ``only``, the font, a folder
        ``out`` that is not a figures folder. A figure's own failure is returned in
        :attr:`FiguresBuilt.failed`.
    """
    res = Results(results, figures=out)
    results, out = Path(results), res.figures_dir
    _check_owned(out)
    specs = _select(only)
    with res.locking("figures", reads=["ingest", "measures", "topics"]):
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
            skipped = [_skip_of(s.id, kept[s.id]) for s in specs]
            return FiguresBuilt(skipped=tuple(s for s in skipped if s))  # all up to date
        rendered = _render_all(todo, cfg, results)
        old_manifest = _read_manifest(out)
        entries = {i: e for i, e in kept.items() if i not in rendered}
        failed = [(i, r.error) for i, r in rendered.items() if r.files is None and r.skip is None]
        with res.write_stage("figures", reads=["ingest", "measures", "topics"]) as w:
            for entry in entries.values():
                for name in entry["outputs"]:
                    w.copy(out / name, name)
            written: list[Path] = []
            for spec in todo:
                result = rendered[spec.id]
                if result.skip is not None:
                    entries[spec.id] = {
                        **planned[spec.id],
                        "outputs": {},
                        "skipped": {"reason": result.skip.reason, "setting": result.skip.setting},
                    }
                if result.files is None:
                    continue
                outputs: dict[str, str] = {}
                for fmt in cfg.figures.formats:
                    name = f"{spec.id}.{fmt}"
                    w.bytes(result.files[fmt], name)
                    outputs[name] = io.sha256_bytes(result.files[fmt])
                    written.append(out / name)
                entries[spec.id] = {
                    **planned[spec.id],
                    "outputs": outputs,
                    "config_hash": cfg.hash(),
                    "corpus_hash": _corpus_hash(results),
                }
            entries = {i: entries[i] for i in sorted(entries, key=_registry_order)}
            drawn = {i: e for i, e in entries.items() if not e.get("skipped")}
            skips = [s for s in (_skip_of(i, e) for i, e in entries.items()) if s]
            configs = {**old_manifest.get("configs", {}), cfg.hash(): cfg.to_dict()}
            used = {e.get("config_hash") for e in drawn.values()}
            configs = {h: c for h, c in configs.items() if h in used}
            w.json({"figures": drawn, "configs": configs}, MANIFEST)
            w.csv(skip_table(skips), SKIPPED_FILE)
            if failed:
                log = "".join(
                    f"== {i}: {rendered[i].error}\n{rendered[i].trace}\n" for i, _ in failed
                )
                w.text(log, ERRORS)
            w.stamp = {"stage": "figures", "figures": entries}
    selected = {s.id for s in specs}
    return FiguresBuilt(
        written=(*written, out / MANIFEST),
        drawn=tuple(s.id for s in todo if rendered[s.id].files is not None),
        skipped=tuple(s for s in skips if s.analysis in selected),
        failed=tuple(failed),
    )


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
