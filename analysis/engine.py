"""Where a stage's parallel tasks run: processes of this machine, or a Dask cluster.

``[engine] scheduler = "local"`` (the default) runs them in the spawned worker processes of
:mod:`analysis.workers`; ``"dask"`` submits them to a ``dask.distributed`` cluster: a
``LocalCluster`` of this machine (``address = "local:N"``) or a running scheduler
(``"tcp://host:port"``, e.g. one that ``dask-jobqueue`` started on Slurm or PBS). Both give a
``concurrent.futures.Executor``, so a stage writes its tasks once. Tasks carry their own seeds and
each stage puts the results back in task order, so the outputs are the same bytes on either
engine and for any number of workers (``tests/test_engine.py``).

On a cluster, every worker runs one task at a time (a ``LocalCluster`` here has one thread per
worker; on another cluster a lock keeps it so): the topic fits are single-threaded and
deterministic, and the per-worker state below is not shared between tasks running at once.
The workers need policyshift installed at the same version and the config's files (lexicon,
stopwords) at the same paths, as on a cluster with a shared home folder.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from analysis.config import ConfigError, EngineConfig
from analysis.workers import process_pool

LOCAL = EngineConfig()
# Seconds to wait for a Dask scheduler's answer before saying that none is there.
CONNECT_SECONDS = 30


def in_process(engine: EngineConfig | None, workers: int) -> bool:
    """True when the tasks should simply run here, one after another: the local engine with one
    worker. (On Dask they always go to the cluster, which the user asked for.)"""
    return (engine or LOCAL).scheduler == "local" and workers == 1


@contextmanager
def task_pool(
    engine: EngineConfig | None,
    *,
    workers: int,
    n_tasks: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[cf.Executor]:
    """An executor for ``n_tasks`` tasks on ``engine``: ``workers`` local processes, or the Dask
    cluster of ``engine.address`` (a ``local:N`` cluster starts at most ``n_tasks`` workers).

    ``initializer(*initargs)`` runs once in each worker before its first task (on Dask the
    arguments are sent to each worker once, not with every task).
    """
    engine = engine or LOCAL
    if engine.scheduler == "local":
        with process_pool(workers, initializer=initializer, initargs=initargs) as pool:
            yield pool
        return
    with _dask_client(engine.address, n_tasks) as client:
        shared = client.scatter(initargs, broadcast=True, hash=False) if initializer else None
        executor = client.get_executor(pure=False)
        try:
            yield _DaskPool(executor, uuid.uuid4().hex, initializer, shared)
        finally:
            executor.shutdown(wait=True)


@contextmanager
def _dask_client(address: str, n_tasks: int) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # the optional extra is not installed
        raise ConfigError(
            '[engine] scheduler = "dask" needs dask.distributed: '
            "pip install 'policyshift[dask]' (or set scheduler = \"local\")"
        ) from exc
    with ExitStack() as stack:
        if address.startswith("local:"):
            n = int(address.removeprefix("local:")) or os.cpu_count() or 1
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=max(1, min(n, n_tasks)),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_SECONDS))
            except OSError as exc:
                raise ConfigError(
                    f'[engine] address = "{address}": no Dask scheduler answers there ({exc}); '
                    'start one (dask scheduler, or dask-jobqueue) or use address = "local:N"'
                ) from exc
        yield client


class _DaskPool(cf.Executor):
    """``submit`` and ``map`` of a Dask ``ClientExecutor``, each task preceded in its worker by
    the pool's initializer (once per worker)."""

    def __init__(self, inner: cf.Executor, token: str, initializer: Any, shared: Any) -> None:
        self._inner, self._token = inner, token
        self._initializer, self._shared = initializer, shared

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._inner.submit(
            _call, self._token, self._initializer, self._shared, fn, args, kwargs
        )

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], **_: Any) -> Iterator[Any]:
        """Results in the order of the inputs (as ``Executor.map``)."""
        futures = [self.submit(fn, *args) for args in zip(*iterables, strict=False)]
        return (f.result() for f in futures)

    def shutdown(self, wait: bool = True, **_: Any) -> None:
        self._inner.shutdown(wait=wait)


# In a Dask worker process: which pool's initializer last ran here; one task at a time.
_RAN: dict[str, str] = {}
_ONE_AT_A_TIME = threading.Lock()


def _call(
    token: str,
    initializer: Callable[..., Any] | None,
    initargs: tuple[Any, ...] | None,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    with _ONE_AT_A_TIME:
        if initializer is not None and _RAN.get("token") != token:
            initializer(*(initargs or ()))
            _RAN["token"] = token
        return fn(*args, **kwargs)
