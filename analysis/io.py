"""Reading and writing tables atomically, with a manifest entry for every output.

Every write goes to a temporary file in the target directory and is renamed into place, so a
killed run never leaves a half-written table. Each stage records what it wrote in
``<results>/manifest.json``: the config and its hash, the corpus hash, package versions, the seed
and the sha256 of each file, so a table or figure can be cited and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

MANIFEST_NAME = "manifest.json"
TRACKED_PACKAGES = (
    "policyshift",
    "numpy",
    "pandas",
    "pyarrow",
    "opencc",
    "jieba",
    "rjieba",
    "scipy",
    "scikit-learn",
    "threadpoolctl",
    "pyLDAvis",
    "gensim",
    "tomotopy",
    "matplotlib",
    "wordcloud",
)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _umask_mode()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; give the usual umask-based mode
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (LF line endings)."""
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write canonical JSON (sorted keys, 2-space indent, UTF-8) atomically."""
    return write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as Parquet atomically, without the pandas index and without timestamps."""
    with atomic_open(path, "wb") as fh:
        df.to_parquet(fh, index=False, engine="pyarrow", compression="zstd")
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as UTF-8 CSV (no index, LF line endings) atomically."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
    return Path(path)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape our outputs (absent ones omitted)."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def record_outputs(
    results: str | Path,
    stage: str,
    paths: list[Path],
    *,
    config: dict[str, Any],
    config_hash: str,
    corpus_hash: str,
    seed: int | None = None,
    inputs: list[str] | None = None,
) -> Path:
    """Add or replace the manifest entries of ``paths`` (keyed by path relative to ``results``)."""
    results = Path(results)
    manifest_path = results / MANIFEST_NAME
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    outputs = manifest.setdefault("outputs", {})
    versions = package_versions()
    for p in paths:
        rel = Path(p).resolve().relative_to(results.resolve()).as_posix()
        outputs[rel] = {
            "stage": stage,
            "sha256": sha256_file(p),
            "config_hash": config_hash,
            "corpus_hash": corpus_hash,
            "seed": seed,
            "inputs": inputs or [],
            "versions": versions,
        }
    manifest.setdefault("configs", {})[config_hash] = config
    return write_json(manifest_path, manifest)


def read_corpus_hash(results: str | Path) -> str:
    """The corpus hash ingest wrote to ``<results>/corpus/corpus_hash.txt``."""
    return (Path(results) / "corpus" / "corpus_hash.txt").read_text(encoding="utf-8").strip()


def record_stage(
    results: str | Path, stage: str, paths: list[Path], config: Any, *, inputs: list[str]
) -> Path:
    """:func:`record_outputs` for a stage run with ``config`` (a :class:`analysis.config.Config`)
    on the corpus in ``results``: config, its hash, the corpus hash and the seed."""
    return record_outputs(
        results,
        stage,
        paths,
        config=config.to_dict(),
        config_hash=config.hash(),
        corpus_hash=read_corpus_hash(results),
        seed=config.seed,
        inputs=inputs,
    )
