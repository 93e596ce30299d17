"""Stage stamps: what a stage's outputs were made from, so a rerun does exactly what changed.

A stamp (``<stage folder>/stamp.json``) records

- ``upstream``: the sha256 of each table of an earlier stage it read (paths relative to the
  results folder);
- ``inputs``: the sha256 of each other file it read (raw reports, metadata tables, gazetteer,
  lexicon, stoplists, concept dictionaries; paths relative to the config root, never absolute);
- ``config``: the values of only the config sections it reads (and the seed where it draws random
  numbers), with their hash ``config_hash``;
- ``code``: the package version, a sha256 of the stage's source files and, in a git checkout,
  ``git describe --always --dirty``; ``versions``: the versions of the packages that shape
  outputs;
- ``outputs``: the sha256 of every file it wrote (added by the writer).

:func:`stale_reasons` compares the stamp on disk with the one a run would write: an empty list
means up to date; otherwise each reason says what changed (``config [measures] changed``,
``input tokens/tokens.parquet changed``, ``code changed``). Only the source hash decides "code
changed"; the git description is recorded for citation (an edited ``params.toml`` makes it
``-dirty`` without changing any stage's code).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis import io

PACKAGE_DIR = Path(__file__).resolve().parent


def source_hash(parts: Iterable[str]) -> str:
    """sha256 of the package files under ``parts`` (sub-packages or files of ``analysis/``):
    ``.py`` sources and package data, by relative path and content."""
    h = hashlib.sha256()
    files: set[Path] = set()
    for part in parts:
        path = PACKAGE_DIR / part
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file() and _is_source(p))
        elif path.is_file():
            files.add(path)
        else:
            raise FileNotFoundError(f"analysis/{part}: no such source")
    for path in sorted(files):
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _is_source(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix in (".py", ".mplstyle", ".toml")


@functools.lru_cache(maxsize=1)
def git_describe() -> str | None:
    """``git describe --always --dirty`` of the checkout holding the package, or None."""
    root = PACKAGE_DIR.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def code_identity(parts: Sequence[str]) -> dict[str, Any]:
    """``version``, ``source_hash`` (of ``parts``, see :func:`source_hash`) and ``git``."""
    from analysis import __version__

    return {"version": __version__, "source_hash": source_hash(parts), "git": git_describe()}


def file_digests(paths: Iterable[Path], root: Path) -> dict[str, str]:
    """sha256 of each file, keyed by its path relative to ``root`` (POSIX; ``..`` if outside);
    ``"missing"`` for a path that does not exist."""
    out: dict[str, str] = {}
    for path in paths:
        rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
        out[rel] = io.sha256_file(path) if Path(path).is_file() else "missing"
    return dict(sorted(out.items()))


def config_values(cfg: Any, sections: Sequence[str], *, seed: bool = False) -> dict[str, Any]:
    """The config sections a stage reads, as plain values without ``workers`` (which never
    change an output), plus ``seed`` when the stage draws random numbers."""
    full = cfg.to_dict()
    out: dict[str, Any] = {
        name: {k: v for k, v in full[name].items() if k != "workers"} for name in sections
    }
    if seed:
        out["seed"] = full["seed"]
    return out


def config_hash(values: Mapping[str, Any]) -> str:
    """sha256 (16 hex digits) of the canonical JSON of ``values``."""
    blob = json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def make_stamp(
    stage: str,
    *,
    config: Mapping[str, Any],
    code: Sequence[str],
    upstream: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    corpus_hash: str | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The stamp a run of ``stage`` would write (without ``outputs``), as plain JSON values (so
    that it compares equal to the stamp read back from disk)."""
    config = json.loads(json.dumps(config, ensure_ascii=False))
    return {
        "stage": stage,
        "config": config,
        "config_hash": config_hash(config),
        "code": code_identity(code),
        "versions": io.package_versions(),
        "upstream": dict(sorted((upstream or {}).items())),
        "inputs": dict(sorted((inputs or {}).items())),
        "corpus_hash": corpus_hash,
        "seed": seed,
    }


def stale_reasons(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Why a stage must rerun: empty when ``old`` (on disk) matches ``new`` (this run)."""
    if old is None:
        return ["not built yet"]
    reasons: list[str] = []
    old_config, new_config = old.get("config", {}), new["config"]
    for key in sorted(set(old_config) | set(new_config)):
        if old_config.get(key) != new_config.get(key):
            reasons.append(f"config [{key}] changed" if key != "seed" else "config seed changed")
    for field, label in (("upstream", "input"), ("inputs", "input")):
        before, after = old.get(field, {}), new[field]
        for name in sorted(set(before) | set(after)):
            if name not in after:
                reasons.append(f"{label} {name} removed")
            elif name not in before:
                reasons.append(f"{label} {name} added")
            elif before[name] != after[name]:
                reasons.append(f"{label} {name} changed")
    if old.get("code", {}).get("source_hash") != new["code"]["source_hash"]:
        reasons.append("code changed")
    if old.get("versions") != new["versions"]:
        changed = sorted(
            k
            for k in set(old.get("versions", {})) | set(new["versions"])
            if old.get("versions", {}).get(k) != new["versions"].get(k)
        )
        reasons.append(f"package versions changed ({', '.join(changed)})")
    return reasons


def output_reasons(stamp: Mapping[str, Any], folder: Path) -> list[str]:
    """Outputs listed in ``stamp`` that are missing from ``folder`` or no longer match."""
    reasons = []
    for name, sha in stamp.get("outputs", {}).items():
        path = folder / name
        if not path.is_file():
            reasons.append(f"output {name} missing")
        elif io.sha256_file(path) != sha:
            reasons.append(f"output {name} modified")
    return reasons
