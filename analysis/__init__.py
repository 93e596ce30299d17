"""policyshift: measures of policy emphasis in Chinese government work reports.

Data flows one way: raw files -> corpus (:mod:`analysis.corpus`) -> tokens -> measures
-> topics -> tables and figures. Each stage is a plain function API; the CLI only wraps it.

``__version__`` is the ``[project] version`` of ``pyproject.toml``, the only place the number is
written: read from the installed package's metadata, else (a checkout that is not installed)
from the ``pyproject.toml`` next to the package, else ``"0+unknown"``.
"""

from __future__ import annotations

# Aliased: the submodule analysis.metadata would replace a package-level name `metadata`.
from importlib import metadata as _metadata
from pathlib import Path


def _version() -> str:
    try:
        return _metadata.version("policyshift")
    except _metadata.PackageNotFoundError:
        pass
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    try:
        with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as fh:
            project = tomllib.load(fh).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return "0+unknown"
    if project.get("name") != "policyshift" or not isinstance(project.get("version"), str):
        return "0+unknown"
    return project["version"]


__version__ = _version()
