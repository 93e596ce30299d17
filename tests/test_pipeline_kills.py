"""Killed or concurrent runs never leave a mixed folder (the build: tests/pipeline_build.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from pipeline_build import (  # noqa: F401 (fixtures)
    ROOT,
    built,
    copy,
    run,
    statuses,
    tree_digests,
)

from analysis import config as config_mod
from analysis import stamps
from analysis.pipeline import results_of
from analysis.results import STAMP, Results

# ---------------------------------------------------------------------------------------------
# Kills and concurrent runs
# ---------------------------------------------------------------------------------------------
# Run the CLI in a subprocess whose stage writer pauses after each file, so that a kill lands
# while the stage folder is half written.
SLOW_WRITER = """
import sys, time
import analysis.results as r
original = r.StageWriter.path
def slow(self, name):
    time.sleep(0.25)
    return original(self, name)
r.StageWriter.path = slow
from analysis.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli(folder: Path, *args: str, slow: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, "-c", SLOW_WRITER] if slow else [sys.executable, "-m", "analysis"]
    env = {**os.environ, "POLICYSHIFT_QUIET": "1"}
    return subprocess.Popen(
        [*cmd, *args, "--config", str(folder / "config.toml")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_writing(proc: subprocess.Popen, folder: Path, timeout: float = 300) -> list[int]:
    """SIGKILL ``proc`` once its temporary stage folder holds a file; return the pids of its
    children at that moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tmp = [p for p in folder.parent.glob(f".{folder.name}.tmp-*") if any(p.iterdir())]
        if tmp:
            children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return children
        if proc.poll() is not None:
            raise AssertionError(f"finished before writing: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError("the stage never started writing")


def complete(results: Results, stage: str) -> bool:
    """The stage folder holds exactly the files its stamp lists, with their sha256."""
    folder = results.stage_dir(stage)
    stamp = results.stamp(stage)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return (
        stamp is not None
        and files == {*stamp["outputs"], STAMP}
        and not stamps.output_reasons(stamp, folder)
    )


@pytest.mark.parametrize("stage", ["ingest", "measures", "topics", "figures"])
def test_a_killed_stage_leaves_the_previous_complete_folder(copy, stage):
    cfg = config_mod.load(copy / "config.toml")
    results = results_of(cfg)
    folder = results.stage_dir(stage)
    before = tree_digests(folder)
    children = kill_when_writing(cli(copy, stage, "--force", slow=True), folder)
    assert complete(results, stage) and tree_digests(folder) == before
    for pid in children:  # worker processes die with their parent
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(timeout=20)  # raises TimeoutExpired if it lives on
        assert not psutil.pid_exists(pid)
    # the next run removes the leftovers and finds everything up to date
    assert set(statuses(run(copy)).values()) == {"up to date"}
    assert not list(folder.parent.glob(f".{folder.name}.*"))


def test_a_stage_killed_on_its_first_run_leaves_nothing_and_reruns_identically(copy, built):
    results = results_of(config_mod.load(copy / "config.toml"))
    shutil.rmtree(results.tables_dir)
    kill_when_writing(cli(copy, "measures", slow=True), results.tables_dir)
    assert not results.tables_dir.exists()
    proc = cli(copy, "measures")
    assert proc.wait() == 0, proc.communicate()
    assert tree_digests(results.tables_dir) == tree_digests(built / "results" / "tables")


def test_two_runs_on_one_folder_wait_for_each_other(copy, built):
    results = results_of(config_mod.load(copy / "config.toml"))
    first = cli(copy, "ingest", "--force", slow=True)
    time.sleep(1.0)
    second = cli(copy, "ingest", "--force")
    assert first.wait() == 0 and second.wait() == 0
    assert "waiting for another run" in second.communicate()[1]
    assert complete(results, "ingest")
    assert tree_digests(results.corpus_dir) == tree_digests(built / "results" / "corpus")


def test_two_stages_at_once_keep_both_manifest_entries(copy):
    results = results_of(config_mod.load(copy / "config.toml"))
    procs = [cli(copy, stage, "--force") for stage in ("measures", "topics")]
    assert [p.wait() for p in procs] == [0, 0]
    outputs = results.manifest()["outputs"]
    assert "tables/concept_panel.csv" in outputs and "topics/topics.csv" in outputs
    stamped = {
        f"{d}/{n}"
        for s, d in (("measures", "tables"), ("topics", "topics"))
        for n in results.stamp(s)["outputs"]
    }
    assert stamped <= set(outputs)
