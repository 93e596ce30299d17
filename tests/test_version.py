"""The version number is written once, in pyproject.toml; the package and CITATION.cff agree."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

import analysis

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def test_package_and_citation_have_the_pyproject_version():
    version = _pyproject_version()
    assert analysis.__version__ == version, (
        "analysis.__version__ comes from the installed metadata: after changing the version in "
        "pyproject.toml, reinstall (pip install -e .)"
    )
    cited = re.findall(r"^version:\s*[\"']?([^\"'\s#]+)", (ROOT / "CITATION.cff").read_text(), re.M)
    assert cited == [version]


def test_version_of_a_checkout_that_is_not_installed(monkeypatch, tmp_path):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert analysis._version() == _pyproject_version()
    monkeypatch.setattr(analysis, "__file__", str(tmp_path / "analysis" / "__init__.py"))
    assert analysis._version() == "0+unknown"


@pytest.mark.parametrize("text", ['[project]\nname = "other"\nversion = "9"\n', "not toml ["])
def test_version_ignores_another_or_broken_pyproject(monkeypatch, tmp_path, text):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    (tmp_path / "pyproject.toml").write_text(text)
    monkeypatch.setattr(analysis, "__file__", str(tmp_path / "analysis" / "__init__.py"))
    assert analysis._version() == "0+unknown"
