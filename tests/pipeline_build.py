"""The build that tests/test_pipeline.py and tests/test_pipeline_kills.py work on: part of the
bundled corpus (:data:`RAW_PARTS`) built once per module with the fast test config and a one-cell
topic grid (fixture ``built``); every test works on a hard-link copy of it (``copy``: stages
never edit a file in place, they swap in a new folder, so the copies stay independent). Two
modules, so that the two pytest workers of `make test` share the twenty runs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from analysis import config as config_mod
from analysis import stamps
from analysis.pipeline import Outcome, results_of, run_all
from analysis.results import STAMP

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "tokens", "measures", "topics", "figures")
# The part of data/raw copied for the build (with SOURCES.md): the national reports of 2016-2025
# and the 31 provincial reports of 2026 (40 reports; both have review and plan sections, so every
# stage and most figures have something to do). What is checked here (which stage reruns and why,
# kills, locks) does not depend on the number of reports; the rest of data/raw would make each of
# the twenty runs of these tests twice as long or more (the local series also brings restoration
# and its reference texts, checked in tests/corpus/test_restore.py).
RAW_PARTS = {
    "wikisource-national": range(2016, 2026),
    "provincial-2026-csv": None,
}


def _copy_raw(folder: Path) -> None:
    """``folder/raw``: :data:`RAW_PARTS` of data/raw (national files of the years given) and
    SOURCES.md."""
    for part, years in RAW_PARTS.items():

        def ignore(_dir: str, names: list[str], years=years) -> list[str]:
            if years is None:
                return []
            keep = {f"national_{y}.txt" for y in years}
            return [n for n in names if n.startswith("national_") and n not in keep]

        shutil.copytree(ROOT / "data" / "raw" / part, folder / "raw" / part, ignore=ignore)
    shutil.copyfile(ROOT / "data" / "raw" / "SOURCES.md", folder / "raw" / "SOURCES.md")


def write_config(folder: Path, extra: dict[str, dict[str, object]] | None = None) -> Path:
    """``folder/config.toml``: the fast test config with a one-cell topic grid and small figures,
    rooted in ``folder`` (its raw files a copy, data/ and stopwords/ linked to the repo's), so
    every path it records is relative; ``extra`` overrides values by section."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for name in ("metadata.csv", "gazetteer.csv", "concepts.toml", "lexicon"):
        if not (folder / "data" / name).exists():
            (folder / "data" / name).symlink_to(ROOT / "data" / name)
    if not (folder / "stopwords").exists():
        (folder / "stopwords").symlink_to(ROOT / "stopwords")
    shutil.copyfile(ROOT / "params.toml", folder / "params.toml")
    fast = (ROOT / "tests" / "fast.toml").read_text(encoding="utf-8")
    fast = fast.replace('extends = "../params.toml"', 'extends = "params.toml"')
    (folder / "fast.toml").write_text(fast, encoding="utf-8")
    sections: dict[str, dict[str, object]] = {
        "ingest": {"raw": "raw"},
        "figures": {"out": "results/figures", "dpi": 60, "formats": ["png"]},
        "topics": {
            "k_grid": [5],
            "seeds": [1],
            "passes": 1,
            "gibbs_iterations": 20,
            "n_stability_seeds": 2,
            "n_boot": 20,
        },
    }
    for name, values in (extra or {}).items():
        sections.setdefault(name, {}).update(values)
    lines = ['extends = "fast.toml"', 'results = "results"']
    for name, values in sections.items():
        lines += [f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def statuses(outcomes: list[Outcome]) -> dict[str, str]:
    """Status of each stage before the report page (which reruns whenever a stamp it shows
    changes; checked apart)."""
    return {o.stage: o.status for o in outcomes if o.stage in STAGES}


def run(folder: Path) -> list[Outcome]:
    cfg = config_mod.load(folder / "config.toml")
    return run_all(cfg, results_of(cfg))


def figure_ids(outcome: Outcome) -> set[str]:
    """Figures an outcome says it drew (from its summary line)."""
    if outcome.status != "ran":
        return set()
    return {i.strip() for i in outcome.summary.split(" -> ")[0].split(",")}


def tree_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` except wall times (the one file that differs
    between identical runs), locks and stamps (which record code identity)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and ".locks" not in p.parts and p.name not in ("timings.csv", STAMP):
            out[rel] = stamps.io.sha256_file(p)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A complete build: raw files (a copy of :data:`RAW_PARTS` of data/raw), config and
    results in one folder."""
    folder = tmp_path_factory.mktemp("built")
    _copy_raw(folder)
    write_config(folder)
    outcomes = run(folder)
    assert all(o.status == "ran" for o in outcomes)
    return folder


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A hard-link copy of the build (raw files copied, so a test may edit them)."""
    folder = tmp_path / "work"
    shutil.copytree(
        built / "results",
        folder / "results",
        copy_function=os.link,
        ignore=shutil.ignore_patterns(".locks"),
    )
    shutil.copytree(built / "raw", folder / "raw")
    write_config(folder)
    return folder
