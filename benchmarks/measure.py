"""Run one policyshift command in a subprocess and measure it: the benchmarks' shared helper."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

#: Seconds between two readings of the memory of a command's processes.
INTERVAL = 0.05


def run_cli(args: list[str], cwd: Path) -> tuple[float, int]:
    """``python -m analysis *args`` in a subprocess in ``cwd``, quiet: its wall time (s) and peak
    resident set size (bytes) of the command with its worker processes (process pools, Dask
    workers), the largest sum over the process tree read every :data:`INTERVAL` seconds; exits if
    the command fails.

    Not ``ru_maxrss`` of ``os.wait4``: Linux keeps there the high-water mark of the memory the
    child replaced at exec, which after subprocess's vfork is this (benchmark) process's, so
    every stage read at least this process's size.
    """
    cmd = [sys.executable, "-m", "analysis", *args]
    env = {**os.environ, "POLICYSHIFT_QUIET": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(root))
        time.sleep(INTERVAL)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd} with exit code {proc.returncode}")
    return seconds, peak


def _tree_rss(root: psutil.Process) -> int:
    """Resident set size of ``root`` and its descendants (bytes); 0 for a process gone."""
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total
