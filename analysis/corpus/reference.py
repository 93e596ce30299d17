"""Reference texts for restoring masked characters: by default the bundled reports.

``[ingest] restore_reference`` is ``"bundled"`` (the repository's ``data/raw``), ``"none"``, or a
list of folders (relative to the config root). Their ``.txt`` files are cleaned and split exactly
as ingest does (the ``read`` callable), and the resulting report texts join the corpus's own in the
n-gram index of :mod:`analysis.corpus.restore`, so that a single censored file ingested alone is
restored as well as inside the bundled corpus.

The cleaned texts are cached as ``<results>/.cache/restore_reference/<key>.parquet`` (or under
``$POLICYSHIFT_CACHE``, see :func:`analysis.corpus.ingest.reference_cache`; the newest
:data:`KEEP` are kept; columns ``source_file, part, source_sha256, text``), ``key`` being the
sha256 of the reference files' digests, the ``[ingest]`` settings and the source of ``analysis/corpus``; the ingest stamp lists
the reference files (:func:`reference_digests`), so editing one reruns ingest; files that are
part of the corpus itself are not read again. Each collection of the corpus is restored from
its own reports plus the reference: a bundled report restores the same whether ingested alone,
with part of the bundled corpus, or beside a user's folder. A report is never its own reference:
:func:`usable_reference` drops reference reports whose file is part of the corpus (same sha256)
and those sharing most of their sentences with a masked report (a clean copy of it); within
the collection, the counts of the masked report and of its copies never support its fills
(``own`` of :func:`analysis.corpus.restore.restore_masks`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence, Set
from pathlib import Path

import pandas as pd

from analysis import io, stamps
from analysis.config import Config, ConfigError
from analysis.corpus import split

BUNDLED = "bundled"
NONE = "none"
COLUMNS = ["source_file", "part", "source_sha256", "text"]
KEEP = 8  # cached references kept (the newest)
# Share of the smaller report's sentences found in the other above which two texts are copies.
SAME_REPORT_OVERLAP = 0.5

Reader = Callable[[bytes, str], list[str]]  # file bytes, relative name -> cleaned report texts


def bundled_raw() -> Path:
    """The bundled corpus folder, ``data/raw`` of the repository holding the package, resolved
    (it decides the ``bundled`` collection and the reference of restoration)."""
    return (Path(__file__).resolve().parents[2] / "data" / "raw").resolve()


def reference_roots(config: Config) -> list[Path]:
    """The folders of ``[ingest] restore_reference``; a missing folder is a config error naming
    the key (an absent bundled corpus, e.g. in an installed wheel, gives no folder)."""
    setting = config.ingest.restore_reference
    if setting == NONE:
        return []
    if setting == BUNDLED:
        root = bundled_raw()
        return [root] if root.is_dir() else []
    roots = [config.path(p) for p in setting]
    for i, (rel, root) in enumerate(zip(setting, roots, strict=True)):
        if not root.is_dir():
            raise ConfigError(
                f"[ingest] restore_reference[{i}] = {rel!r}: no such folder; allowed: "
                f'"{BUNDLED}", "{NONE}" or a list of existing folders, relative to the config root'
            )
    return roots


def reference_files(config: Config) -> list[Path]:
    """Every ``.txt`` file under the reference folders, sorted."""
    return [p for p, _ in _files(config)]


def _files(config: Config) -> list[tuple[Path, str]]:
    """``(path, name relative to its reference folder)`` of every reference file."""
    return [
        (p, p.relative_to(root).as_posix())
        for root in reference_roots(config)
        for p in sorted(root.rglob("*.txt"))
        if p.is_file()
    ]


def reference_digests(config: Config) -> dict[str, str]:
    """sha256 of every reference file, keyed ``restore_reference:<name in its folder>`` (or
    ``restore_reference[i]:...`` for the i-th of a list of folders): no machine path, as the
    stamp of ingest records these among its inputs."""
    setting = config.ingest.restore_reference
    out: dict[str, str] = {}
    for i, root in enumerate(reference_roots(config)):
        label = "restore_reference" if isinstance(setting, str) else f"restore_reference[{i}]"
        for p in sorted(root.rglob("*.txt")):
            if p.is_file():
                out[f"{label}:{p.relative_to(root).as_posix()}"] = io.sha256_file(p)
    return out


def load_reference(
    config: Config,
    read: Reader,
    *,
    cache_dir: Path | None = None,
    skip_sha256: Set[str] = frozenset(),
) -> pd.DataFrame:
    """The cleaned reports of the reference files (:data:`COLUMNS`, one row per report), read
    from the cache in ``cache_dir`` when its key matches, else built with ``read`` and cached.
    Files whose sha256 is in ``skip_sha256`` (already in the corpus) are not read."""
    files = [(p, rel, io.sha256_file(p)) for p, rel in _files(config)]
    files = [f for f in files if f[2] not in skip_sha256]
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    digests = [(rel, sha) for _, rel, sha in files]
    key = _cache_key(config, digests)
    cached = cache_dir / f"{key}.parquet" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        with contextlib.suppress(FileNotFoundError):  # a shared cache may have dropped it
            return pd.read_parquet(cached)
    rows = []
    for path, rel, sha in files:
        for part, text in enumerate(read(path.read_bytes(), rel), start=1):
            rows.append({"source_file": rel, "part": part, "source_sha256": sha, "text": text})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        io.write_parquet(table, cached)
        # keep the newest few (a shared cache serves several configurations at once)
        older = sorted(cached.parent.glob("*.parquet"), key=lambda p: p.stat().st_mtime)
        for old in older[:-KEEP]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    return table


def _cache_key(config: Config, digests: Sequence[tuple[str, str]]) -> str:
    payload = {
        "files": sorted(digests),
        "ingest": stamps.config_values(config, ["ingest"]),
        "code": stamps.source_hash(["corpus"]),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def usable_reference(
    reference: pd.DataFrame, corpus_sha256: Set[str], masked_texts: Sequence[str]
) -> list[str]:
    """Reference texts that are neither a file of the collection restored (same sha256) nor a
    copy of one of its ``masked_texts`` (see :func:`same_report`)."""
    masked = [split.sentences(t) for t in masked_texts]
    out = []
    for sha, text in zip(reference["source_sha256"], reference["text"], strict=True):
        if sha in corpus_sha256:
            continue
        mine = split.sentences(text)
        if any(same_report(mine, other) for other in masked):
            continue
        out.append(text)
    return out


def same_report(a: set[str], b: set[str]) -> bool:
    """True when the sentence sets ``a`` and ``b`` share at least :data:`SAME_REPORT_OVERLAP`
    of the smaller one (masked sentences never match, so a censored copy still counts)."""
    if not a or not b:
        return False
    return len(a & b) >= SAME_REPORT_OVERLAP * min(len(a), len(b))
