"""Results folders for the report tests: a small build of the bundled corpus (made once per
session) and hand-made folders with hostile strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import config as config_mod
from analysis.pipeline import run_all, run_report
from analysis.results import Results

ROOT = Path(__file__).resolve().parents[2]


def small_config(folder: Path) -> Path:
    """``folder/config.toml``: the fast test config with a one-cell topic grid and small
    figures (paths still relative to the repo root)."""
    body = {
        "figures": {"dpi": 60},
        "topics": {"k_grid": [5], "seeds": [1], "passes": 1, "n_stability_seeds": 2, "n_boot": 20},
    }
    lines = [f"extends = {json.dumps((ROOT / 'tests' / 'fast.toml').as_posix())}"]
    for name, values in body.items():
        lines += [f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[config_mod.Config, Results]:
    """Every stage, then the report, run on the bundled corpus with the small config."""
    folder = tmp_path_factory.mktemp("report_build")
    cfg = config_mod.load(small_config(folder))
    results = Results(folder / "results", figures=folder / "results" / "figures")
    run_all(cfg, results)
    run_report(cfg, results)
    return cfg, results
