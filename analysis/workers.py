"""Process pools of the stages: fresh interpreters that die with their parent.

Every pool starts its workers with ``spawn`` (a new interpreter, not a ``fork`` of a process that
already runs pyarrow, BLAS or tokenizer threads, whose locks a forked child could inherit held).
On Linux each worker asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``), so a
killed stage leaves no orphan fitting a model; elsewhere a worker exits when it finds its parent
gone. The number of workers never changes what a stage computes: tasks carry their own seeds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1


def n_workers(requested: int, n_tasks: int) -> int:
    """Workers to start for ``n_tasks`` tasks: ``requested`` (0 = all cores), at most one a task."""
    return max(1, min(requested or os.cpu_count() or 1, n_tasks))


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _start(parent: int, initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def process_pool(
    workers: int,
    *,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes that die with this one.

    ``initializer(*initargs)`` runs once in each worker (its arguments are pickled).
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(os.getpid(), initializer, initargs),
    )
