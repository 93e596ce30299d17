"""Run one policyshift command in a subprocess and measure it: the benchmarks' shared helper."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def run_cli(args: list[str], cwd: Path) -> tuple[float, int]:
    """``python -m analysis *args`` in a subprocess in ``cwd``, quiet: its wall time (s) and peak
    resident set size (bytes, from ``os.wait4``); exits if the command fails."""
    cmd = [sys.executable, "-m", "analysis", *args]
    env = {**os.environ, "POLICYSHIFT_QUIET": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd} with exit code {code}")
    return seconds, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux
