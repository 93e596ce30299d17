"""The Dask engine gives the bytes of the local one.

The national reports of 2018-2025 (2020 is of another source) run through ingest, tokens, measures and topics twice: with the
local engine and with ``[engine] scheduler = "dask"`` on a ``dask.distributed`` LocalCluster of two
worker processes (``address = "local:2"``), where the segmentation of each chunk of paragraphs and
each topic fit of the grid (three cells and the stability refits) is a Dask task. Every file of the
two results folders is the same but for wall times and the manifest (which records ``[engine]``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pipeline_build import tree_digests, write_config

from analysis import config as config_mod
from analysis import engine as engine_mod
from analysis.engine import task_pool
from analysis.pipeline import results_of, run_ingest, run_measures, run_tokens, run_topics

ROOT = Path(__file__).resolve().parents[1]
YEARS = (2018, 2019, 2021, 2022, 2023, 2024, 2025)
TOPICS = {"k_grid": [3, 4], "seeds": [1, 2], "n_stability_seeds": 2, "gibbs_iterations": 30}


def _build(folder: Path, engine: dict[str, str] | None) -> Path:
    raw = folder / "raw" / "wikisource-national"
    raw.mkdir(parents=True)
    for year in YEARS:
        name = f"national_{year}.txt"
        shutil.copyfile(ROOT / "data" / "raw" / "wikisource-national" / name, raw / name)
    extra = {"topics": TOPICS, **({"engine": engine} if engine else {})}
    cfg = config_mod.load(write_config(folder, extra))
    results = results_of(cfg)
    for step in (run_ingest, run_tokens, run_measures, run_topics):
        outcome = step(cfg, results)
        assert outcome.status == "ran" and not outcome.failed, outcome.line()
    return results.root


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    local = _build(tmp_path_factory.mktemp("local"), None)
    dask = _build(tmp_path_factory.mktemp("dask"), {"scheduler": "dask", "address": "local:2"})
    return local, dask


def test_dask_and_local_engines_write_the_same_bytes(both):
    local, dask = (tree_digests(r) for r in both)
    assert "manifest.json" in local and "topics/model_selection.csv" in local
    for tree in (local, dask):
        del tree["manifest.json"]
    assert sorted(local) == sorted(dask)
    differ = sorted(name for name in local if local[name] != dask[name])
    assert differ == []
    assert any(name.startswith("tables/keyness/") for name in local)


def test_tasks_ran_on_dask_workers_with_their_initializer():
    """Each task sees its worker's initializer state; results come back in input order."""
    engine = config_mod.EngineConfig(scheduler="dask", address="local:2")
    with task_pool(engine, workers=2, n_tasks=6, initializer=_remember, initargs=(7,)) as pool:
        out = list(pool.map(_task, range(6)))
    assert [x for x, _ in out] == [7 * i for i in range(6)]
    # the tasks ran in worker processes, not here
    assert all(pid != os.getpid() for _, pid in out)


def test_an_unreachable_scheduler_is_a_config_error(monkeypatch):
    monkeypatch.setattr(engine_mod, "CONNECT_SECONDS", 2)
    engine = config_mod.EngineConfig(scheduler="dask", address="tcp://127.0.0.1:9")
    with (
        pytest.raises(config_mod.ConfigError, match=r"\[engine\] address.*no Dask scheduler"),
        task_pool(engine, workers=1, n_tasks=1),
    ):
        pass


_STATE: dict[str, int] = {}


def _remember(factor: int) -> None:
    _STATE["factor"] = factor


def _task(i: int) -> tuple[int, int]:
    return _STATE["factor"] * i, os.getpid()
