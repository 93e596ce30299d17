"""The results contract: every path under a results folder, typed readers, and stage writing.

A results folder holds one sub-folder per stage, each written as a whole::

    <results>/corpus/    ingest    documents.parquet, paragraphs.parquet, ingest_report.*, ...
    <results>/tokens/    tokens    tokens.parquet
    <results>/tables/    measures  concept_panel.*, keyness/<id>.csv, ...
    <results>/topics/    topics    model_selection.csv, topics.csv, doc_topics.parquet, ...
    <figures>/           figures   <id>.png, <id>.pdf, manifest.json (default: the repo's figures/)
    <results>/report/    report    index.html: one self-contained page of the run
    <results>/manifest.json        every output with its sha256, config, code and inputs

Each stage folder ends with ``stamp.json`` (see :mod:`analysis.stamps`): what the stage read, the
config sections it used and the code that ran. A stage writes into a hidden temporary sibling of
its folder and swaps it in at the end, the stamp last (:meth:`Results.write_stage`), so a killed
stage leaves the previous complete folder (or none) and never a mix. Writers of a stage hold an
exclusive lock on it and readers of its outputs a shared one (``<results>/.locks/``), so two runs
on one results folder wait for each other instead of mixing their outputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import io

STAGE_DIRS: dict[str, str] = {
    "ingest": "corpus",
    "tokens": "tokens",
    "measures": "tables",
    "topics": "topics",
    "figures": "figures",
    "report": "report",
}
STAGES: tuple[str, ...] = tuple(STAGE_DIRS)
STAMP = "stamp.json"
MANIFEST = "manifest.json"
LOCKS = ".locks"


class ResultsError(RuntimeError):
    """A results folder cannot be read or written as asked (missing stage output, bad path)."""


class Results:
    """Every path of a results folder, readers of its tables, and the writer of its stages.

    Parameters
    ----------
    root : path
        The results folder (``results/`` by default, ``--results DIR``).
    figures : path, optional
        Folder of the figures stage (default ``<root>/figures``; the bundled default config puts
        it in the repo's ``figures/``).
    """

    def __init__(self, root: str | Path, *, figures: str | Path | None = None) -> None:
        self.root = Path(root)
        self.figures_dir = Path(figures) if figures is not None else self.root / "figures"
        self._held: dict[str, bool] = {}  # locks this object holds: name -> exclusive

    def __repr__(self) -> str:
        return f"Results({str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------------
    def stage_dir(self, stage: str) -> Path:
        """The folder a stage writes (``corpus``, ``tokens``, ``tables``, ``topics``, figures)."""
        if stage not in STAGE_DIRS:
            raise ResultsError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        return self.figures_dir if stage == "figures" else self.root / STAGE_DIRS[stage]

    def path(self, rel: str | Path) -> Path:
        """``root / rel`` for a relative path that stays inside the results folder."""
        rel = Path(rel)
        if rel.is_absolute() or ".." in rel.parts:
            raise ResultsError(f"{rel}: not a path inside the results folder")
        return self.root / rel

    def rel(self, path: str | Path) -> str:
        """``path`` relative to the results folder (POSIX), for manifests."""
        return Path(os.path.relpath(Path(path), self.root)).as_posix()

    @property
    def corpus_dir(self) -> Path:
        return self.stage_dir("ingest")

    @property
    def tokens_dir(self) -> Path:
        return self.stage_dir("tokens")

    @property
    def tables_dir(self) -> Path:
        return self.stage_dir("measures")

    @property
    def topics_dir(self) -> Path:
        return self.stage_dir("topics")

    @property
    def documents_path(self) -> Path:
        return self.corpus_dir / "documents.parquet"

    @property
    def paragraphs_path(self) -> Path:
        return self.corpus_dir / "paragraphs.parquet"

    @property
    def tokens_path(self) -> Path:
        return self.tokens_dir / "tokens.parquet"

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    # -- readers -------------------------------------------------------------------------------
    def _need(self, path: Path, stage: str) -> Path:
        if not path.is_file():
            raise ResultsError(
                f"{path}: missing; run `policyshift {stage}` (or `policyshift run`) first"
            )
        return path

    def documents(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per report (``corpus/documents.parquet``)."""
        path = self._need(self.documents_path, "ingest")
        return pd.read_parquet(path, columns=list(columns) if columns else None)

    def paragraphs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per paragraph with its docvars (``corpus/paragraphs.parquet``)."""
        path = self._need(self.paragraphs_path, "ingest")
        return pd.read_parquet(path, columns=list(columns) if columns else None)

    def corpus_hash(self) -> str:
        """The corpus hash ingest wrote (``corpus/corpus_hash.txt``)."""
        path = self._need(self.corpus_dir / "corpus_hash.txt", "ingest")
        return path.read_text(encoding="utf-8").strip()

    def tokens(self) -> pd.DataFrame:
        """The token table (``tokens/tokens.parquet``): ``doc_id, paragraph, section, tokens``
        (an array of str per paragraph) and the docvars."""
        return pd.read_parquet(self._need(self.tokens_path, "tokens"))

    def dtm(self, unit: str = "report") -> Any:
        """The document-term count matrix of the token table by ``unit`` (report, section,
        paragraph): an :class:`analysis.measures.dtm.Dtm`."""
        from analysis.measures.dtm import build_dtm

        return build_dtm(self.tokens(), unit=unit)

    def table(self, name: str, *, columns: Sequence[str] = ()) -> pd.DataFrame:
        """A saved table by relative path (``tables/concept_panel.parquet``) or by stem
        (``concept_panel``: looked up in ``tables/`` then ``topics/``, Parquet before CSV).

        CSV cells that are empty become missing; every other string (``NA``, ``null``) stays text,
        as terms may be any string. ``columns`` are checked (and, for Parquet, the only ones read).
        A CSV column's type is inferred from the whole column (not chunk by chunk, which gave a
        column empty in its first rows and text further down mixed types and a warning).
        """
        path = self._find_table(name)
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            _check_columns(name, pq.read_schema(path).names, columns)
            return pd.read_parquet(path, columns=list(columns) or None)
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
        _check_columns(name, list(df.columns), columns)
        return df

    def _find_table(self, name: str) -> Path:
        if Path(name).suffix:
            path = self.path(name)
            if not path.is_file():
                raise ResultsError(f"missing table {name} (looked in {self.root})")
            return path
        for folder in ("measures", "topics"):
            for suffix in (".parquet", ".csv"):
                path = self.stage_dir(folder) / f"{name}{suffix}"
                if path.is_file():
                    return path
        raise ResultsError(f"no table named {name!r} under {self.root}/tables or topics")

    def json(self, rel: str) -> Any:
        """A saved JSON file by relative path (``topics/selection.json``)."""
        path = self.path(rel)
        if not path.is_file():
            raise ResultsError(f"missing file {rel} (looked in {self.root})")
        return json.loads(path.read_text(encoding="utf-8"))

    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: every output of every stage (empty before the first stage ran)."""
        if not self.manifest_path.is_file():
            return {}
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def stamp(self, stage: str) -> dict[str, Any] | None:
        """The stamp of a stage's current outputs, or None if the stage has not run."""
        path = self.stage_dir(stage) / STAMP
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return None

    def skipped(self) -> pd.DataFrame:
        """Every analysis a stage skipped, from the ``skipped.csv`` of each stage folder on disk
        (columns :data:`analysis.skips.SKIP_COLUMNS`, stages in pipeline order)."""
        from analysis.skips import SKIP_COLUMNS, SKIPPED_FILE

        parts = []
        for stage in STAGES:
            path = self.stage_dir(stage) / SKIPPED_FILE
            if path.is_file():
                parts.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        if not parts:
            return pd.DataFrame(columns=list(SKIP_COLUMNS))
        return pd.concat(parts, ignore_index=True)[list(SKIP_COLUMNS)]

    # -- locks and writing ---------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self, *stages: str) -> Iterator[None]:
        """Hold shared locks on ``stages`` (in pipeline order): no writer swaps them meanwhile."""
        with self.locking(reads=stages):
            yield

    @contextlib.contextmanager
    def locking(self, stage: str | None = None, *, reads: Sequence[str] = ()) -> Iterator[None]:
        """Hold shared locks on ``reads`` and an exclusive one on ``stage``, taken in pipeline
        order (so two runs cannot deadlock); locks this object already holds are kept as they
        are, so the calls nest."""
        wanted = {name: False for name in reads}
        if stage is not None:
            wanted[stage] = True
        with contextlib.ExitStack() as stack:
            for name in sorted(wanted, key=STAGES.index):
                if name in self._held:
                    if wanted[name] and not self._held[name]:
                        raise ResultsError(f"{name}: a read lock cannot become a write lock")
                    continue
                stack.enter_context(io.file_lock(self._lock(name), shared=not wanted[name]))
                self._held[name] = wanted[name]
                stack.callback(self._held.pop, name)
                if wanted[name]:
                    _recover(self.stage_dir(name))  # leftovers of a killed run of this stage
            yield

    def _lock(self, name: str) -> Path:
        return self.root / LOCKS / f"{name}.lock"

    @contextlib.contextmanager
    def write_stage(self, stage: str, *, reads: Sequence[str] = ()) -> Iterator[StageWriter]:
        """Write a stage's folder as a whole: yields a :class:`StageWriter` on a temporary folder.

        Holds shared locks on the stages in ``reads`` and an exclusive lock on ``stage``. On
        success the writer's stamp is written last and the folder is swapped in; on any error
        (or a kill) the previous folder stays as it was. Leftovers of killed runs are removed.
        """
        final = self.stage_dir(stage)
        with self.locking(stage, reads=reads):
            tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
            tmp.mkdir(parents=True)
            writer = StageWriter(tmp, stage, final)
            try:
                yield writer
                writer.close()
                _swap(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        if stage != "figures":
            self.write_manifest()

    def write_manifest(self) -> Path:
        """Rebuild ``manifest.json`` from the stamps of the stages (under its own lock), so two
        stages written at the same time both keep their entries and stale entries go."""
        with io.file_lock(self._lock("manifest"), shared=False):
            outputs: dict[str, Any] = {}
            configs: dict[str, Any] = {}
            stages: dict[str, Any] = {}
            for stage in STAGES:
                stamp = None if stage == "figures" else self.stamp(stage)  # own manifest.json
                if stamp is None:
                    continue
                folder = STAGE_DIRS[stage]
                configs[stamp["config_hash"]] = stamp["config"]
                stages[stage] = {k: v for k, v in stamp.items() if k not in ("outputs", "config")}
                for name, sha in stamp["outputs"].items():
                    outputs[f"{folder}/{name}"] = {
                        "stage": stage,
                        "sha256": sha,
                        "config_hash": stamp["config_hash"],
                        "corpus_hash": stamp.get("corpus_hash"),
                        "seed": stamp.get("seed"),
                        "inputs": sorted([*stamp.get("upstream", {}), *stamp.get("inputs", {})]),
                        "code": stamp.get("code", {}),
                        "versions": stamp.get("versions", {}),
                    }
            manifest = {"outputs": outputs, "configs": configs, "stages": stages}
            return io.write_json(self.manifest_path, manifest)


class StageWriter:
    """Writes the files of one stage into its temporary folder; see :meth:`Results.write_stage`.

    Every method takes a name relative to the stage folder (``keyness/index.csv``) and returns
    the path written. :attr:`stamp` must be set (a dict) before the block ends.
    """

    def __init__(self, folder: Path, stage: str, final: Path) -> None:
        self.folder = folder
        self.stage = stage
        self.final = final
        self.stamp: dict[str, Any] | None = None

    def final_paths(self) -> list[Path]:
        """Where the files written are once the folder is swapped in (stamp excluded)."""
        return [self.final / name for name in self.outputs()]

    def path(self, name: str) -> Path:
        """Path of ``name`` in the temporary folder (its parent created), for libraries that
        write files themselves."""
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or rel.name == STAMP:
            raise ResultsError(f"{name}: not a file name inside the {self.stage} folder")
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def csv(self, df: pd.DataFrame, name: str) -> Path:
        return io.write_csv(df, self.path(name))

    def parquet(self, df: pd.DataFrame, name: str) -> Path:
        return io.write_parquet(df, self.path(name))

    def json(self, obj: Any, name: str) -> Path:
        return io.write_json(self.path(name), obj)

    def text(self, text: str, name: str) -> Path:
        return io.write_text(self.path(name), text)

    def bytes(self, data: bytes, name: str) -> Path:
        with io.atomic_open(self.path(name), "wb") as fh:
            fh.write(data)
        return self.path(name)

    def write(self, obj: Any, name: str) -> Path:
        """Write ``obj`` by the suffix of ``name``: a DataFrame as ``.csv`` or ``.parquet``, JSON
        data as ``.json``, a str as text (``.html``, ``.md``, ``.txt``), bytes as they are."""
        suffix = Path(name).suffix
        if isinstance(obj, pd.DataFrame) and suffix in (".csv", ".parquet"):
            return self.csv(obj, name) if suffix == ".csv" else self.parquet(obj, name)
        if suffix == ".json" and not isinstance(obj, str | bytes):
            return self.json(obj, name)
        if isinstance(obj, str):
            return self.text(obj, name)
        if isinstance(obj, bytes):
            return self.bytes(obj, name)
        raise ResultsError(f"{name}: cannot write a {type(obj).__name__} as {suffix or 'file'}")

    def copy(self, source: Path, name: str) -> Path:
        """Link (or copy) an unchanged file of the previous folder into the new one."""
        target = self.path(name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return target

    def outputs(self) -> dict[str, str]:
        """sha256 of every file written, by name (POSIX, sorted); after the swap, as stamped."""
        if not self.folder.is_dir():
            stamp = json.loads((self.final / STAMP).read_text(encoding="utf-8"))
            return dict(stamp["outputs"])
        files = sorted(p for p in self.folder.rglob("*") if p.is_file() and p.name != STAMP)
        return {p.relative_to(self.folder).as_posix(): io.sha256_file(p) for p in files}

    def close(self) -> None:
        """Write the stamp (with the outputs' sha256) last."""
        if self.stamp is None:
            raise ResultsError(f"{self.stage}: no stamp set; outputs not swapped in")
        io.write_json(self.folder / STAMP, {**self.stamp, "outputs": self.outputs()})


def _swap(tmp: Path, final: Path) -> None:
    """Put ``tmp`` in place of ``final``: two renames, the old folder removed after."""
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _recover(final: Path) -> None:
    """Remove leftovers of killed runs beside ``final``; put back a complete old folder if a run
    was killed between the two renames of :func:`_swap`."""
    if not final.parent.is_dir():
        return
    olds = sorted(final.parent.glob(f".{final.name}.old-*"))
    if not final.exists():
        for old in olds:
            if (old / STAMP).is_file():
                os.rename(old, final)
                break
    for left in (*final.parent.glob(f".{final.name}.tmp-*"), *olds):
        if left.exists():
            shutil.rmtree(left, ignore_errors=True)


def _check_columns(name: str, names: list[str], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise ResultsError(f"table {name} lacks column(s) {missing}; has {names}")
