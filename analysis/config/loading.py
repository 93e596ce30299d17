"""Reading a config file: :func:`load`.

A file is TOML; it may ``extends`` another, whose values it overrides one by one. :func:`load`
rejects unknown top-level keys and sections, validates the merged values into a
:class:`~analysis.config.Config` (naming the file that set each wrong key, see ``Origins``) and
checks that the files the config names exist.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from analysis.config.messages import ConfigError, _display, _errors, _line, _suggest, _toml
from analysis.config.sections import _TOP_KEYS, SECTIONS, Config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# The file load() reads, in the current directory, when given no path and no POLICYSHIFT_CONFIG.
DEFAULT_CONFIG_NAME = "params.toml"
# The repository root: the defaults' relative paths (data/, stopwords/) resolve against it when
# no config file is found, so the command works from any directory with no config file.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# Validates a whole config from plain values (without the ConfigError wrapper of __init__).
_CONFIG = TypeAdapter(Config)

# The file that set each top-level key and each (section, key) of a merged config.
Origins = dict[tuple[str, ...], Path]


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Path, Origins]:
    """Read ``path`` merged over the file it ``extends`` (if any).

    Returns the merged values, the root (the directory of the file that extends nothing) and
    the file that set each top-level key and each ``(section, key)``.
    """
    shown = _display(path)
    path = path.resolve()
    if path in chain:
        raise ConfigError(f"{shown}: 'extends' loops back to itself")
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    origins: Origins = {}
    for key, value in raw.items():
        origins[(key,)] = path
        if isinstance(value, dict):
            origins.update({(key, k): path for k in value})
    base = raw.pop("extends", None)
    if base is None:
        return raw, path.parent, origins
    if not isinstance(base, str) or not base:
        raise ConfigError(
            f"{shown}: extends = {_toml(base)}: expected a path; allowed: a TOML file, "
            "relative to this file"
        )
    base_path = path.parent / base
    if not base_path.is_file():
        raise ConfigError(
            f"{shown}: extends = {_toml(base)}: no such file {_display(base_path)}; "
            "allowed: a TOML file, relative to this file"
        )
    merged, root, base_origins = _read_toml(base_path, (*chain, path))
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged, root, {**base_origins, **origins}


# Settings naming files that must exist (resolved against the config root); "" = not set.
_FILES = (
    ("ingest", "metadata"),
    ("tokens", "lexicon"),
    ("tokens", "stopwords"),
    ("measures", "concepts"),
    ("topics", "places"),
    ("figures", "font"),
)


def _missing_files(cfg: Config, file_of: Any) -> list[str]:
    problems = []
    for section, key in _FILES:
        value = getattr(getattr(cfg, section), key)
        entries = list(enumerate(value)) if isinstance(value, tuple) else [(None, value)]
        for i, rel in entries:
            if not rel or cfg.path(rel).is_file():
                continue
            name = key if i is None else f"{key}[{i}]"
            what = f"no such file {_display(cfg.path(rel))}"
            allowed = f"an existing file, relative to the config root {cfg.root}"
            problems.append(_line(file_of((section, key)), section, name, rel, what, allowed))
    return problems


def load(path: str | Path | None = None) -> Config:
    """Load and validate a config file over the defaults.

    ``path=None`` uses the file named by the environment variable ``POLICYSHIFT_CONFIG`` if set,
    else ``params.toml`` in the current directory if it exists, else the defaults with the
    repository (the folder holding ``data/`` and ``stopwords/``) as root. A file may start with ``extends = "other.toml"``: it then
    overrides single values of that file, and relative paths resolve against the root of the
    file it extends (the repo root for ``params.toml``).

    Raises :class:`ConfigError` (a ``ValueError``) naming the file, the key, the value, what is
    wrong and what is allowed: unknown keys or sections, wrong types, values not allowed, out of
    range, files that do not exist, bad comparisons, effects or labels.
    """
    if path is None:
        env = os.environ.get("POLICYSHIFT_CONFIG")
        candidate = Path(env) if env else Path.cwd() / DEFAULT_CONFIG_NAME
        if not candidate.exists():
            if env:
                raise ConfigError(f"POLICYSHIFT_CONFIG={env}: no such file")
            return Config(root=PACKAGE_ROOT)
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{_display(path)}: no such config file")
    raw, root, origins = _read_toml(path)

    def file_of(head: tuple[str, ...]) -> str:
        return _display(origins.get(tuple(head), origins.get(tuple(head[:1]), path)))

    problems = []
    known = [*_TOP_KEYS, *SECTIONS]
    for key, value in raw.items():
        if key not in known:
            table = isinstance(value, dict)
            pool = SECTIONS if table else known
            form = "[{}]" if table else "{!r}"
            what = ("unknown section" if table else "unknown key") + _suggest(key, pool, form)
            allowed = (
                ""
                if "did you mean" in what
                else "extends, results, seed, [" + "], [".join(SECTIONS) + "]"
            )
            name = f"[{key}]" if table else key
            problems.append(
                _line(
                    file_of((key,)),
                    None,
                    name,
                    dataclasses.MISSING if table else value,
                    what,
                    allowed,
                )
            )
    if problems:
        raise ConfigError(problems)
    try:
        cfg = _CONFIG.validate_python({"root": root, "source": path.resolve(), **raw})
    except ValidationError as exc:
        raise _errors(exc, Config, file_of) from exc
    problems = _missing_files(cfg, file_of)
    if problems:
        raise ConfigError(problems)
    return cfg


def init_config(folder: str | Path) -> Path:
    """Write ``folder/params.toml``: ``extends`` the repository's defaults, with every setting
    listed commented out (uncomment a line to change it). Refuses to overwrite a file.

    Returns the path written. Raises :class:`ConfigError` if the file exists or the folder
    cannot be written.
    """
    folder = Path(folder)
    target = folder / DEFAULT_CONFIG_NAME
    if target.exists():
        raise ConfigError(f"{_display(target)}: exists already; edit it, or choose another folder")
    defaults = PACKAGE_ROOT / DEFAULT_CONFIG_NAME
    base = Path(os.path.relpath(defaults, folder.resolve())).as_posix()
    lines = [
        "# policyshift settings: only the values you uncomment differ from the defaults below.",
        f"# Written by `policyshift init-config`; the defaults are in {base}.",
        "# Relative paths in settings resolve against the policyshift folder (the root of the file",
        "# this extends); paths given on the command line resolve against the current directory.",
        "# Uncomment a setting together with its [section] line; a list you set (e.g. the",
        "# [[measures.comparisons]] entries) replaces the default list as a whole.",
        "# Use it with `policyshift run PATHS --config " + f"{_display(target)}`.",
        f"extends = {_toml(base)}",
        "",
    ]
    for line in defaults.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        lines.append(line if not stripped or stripped.startswith("#") else f"# {line}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{_display(target)}: cannot write: {exc.strerror or exc}") from exc
    return target
