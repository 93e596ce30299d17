"""Writing files atomically, hashing them, the package versions that shape outputs, and locks.

Every write goes to a temporary file in the target directory and is renamed into place, so a
killed run never leaves a half-written table. Whole stage folders, stamps and the results
manifest are :mod:`analysis.results`'s.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

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


@contextlib.contextmanager
def file_lock(path: str | Path, *, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (created if missing): shared or exclusive (``flock``).

    When another process holds it, say so on stderr once and wait. Where ``fcntl`` does not exist
    (Windows) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"policyshift: waiting for another run using {path.parent.parent} "
                f"({path.stem} lock)",
                file=sys.stderr,
            )
            fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def release_memory() -> None:
    """Hand the heap pages freed by Python back to the operating system (glibc's
    ``malloc_trim``; nothing elsewhere). After a large file's text and its many line and
    paragraph objects are freed, glibc keeps their pages; trimming keeps the peak resident
    memory of a long ingest near what is live rather than the sum of its steps."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, looked up once (``find_library`` runs ``ldconfig``), or None."""
    if sys.platform != "linux":
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
