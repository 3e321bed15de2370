"""The PoolExecutor alias: one name for every backend, and make_executor() to build one.

The dask backend lives in cluster.py, imported only when it is asked for.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeAlias

from titlefetch.errors import BackendUnavailable
from titlefetch.run.processes import PoolShape, ProcessThreadPoolExecutor

PoolExecutor: TypeAlias = ThreadPoolExecutor | ProcessThreadPoolExecutor
BACKENDS: dict[str, type[PoolExecutor]] = {
    "thread": ThreadPoolExecutor,
    "process": ProcessThreadPoolExecutor,
}
BACKEND_NAMES = (*BACKENDS, "dask")  # the pools of this machine, then a Dask cluster
DASK_INSTALL = "pip install 'titlefetch[dask]'"
DEFAULT_WORKERS = 32


def require_backend(backend: str) -> None:
    """Check that `backend` can be used here.

    Raises:
        BackendUnavailable: it needs an optional dependency that is not installed.
    """
    if backend != "dask":
        return
    # Looked up, not imported: distributed takes ~0.5 s to import, paid only when it runs.
    if importlib.util.find_spec("distributed") is None:
        raise BackendUnavailable(f"--backend dask needs the dask extra: {DASK_INSTALL}")


def default_workers(backend: str) -> int:
    """Fetches in flight when --workers is not given, whatever the backend.

    Fetching waits on the network most of the time, so 32 at once keep a list moving without
    hammering anyone. The process backend spreads them over its processes' threads; on a
    Dask cluster they are spread over its workers' threads.
    """
    return DEFAULT_WORKERS


def default_processes() -> int:
    """Worker processes when --processes is not given: one per core, as each parses HTML
    with a GIL of its own."""
    return os.cpu_count() or 1


def starts_at_once(executor: Executor) -> bool:
    """Whether `executor` starts each call as it is submitted (it has a thread for each of
    the run's fetches in flight): then the run submits no more calls than fetches it wants
    running, since a queued call would hold a --per-host slot without running."""
    return isinstance(executor, (ThreadPoolExecutor, ProcessThreadPoolExecutor))


def make_executor(
    backend: str,
    workers: int,
    *,
    processes: int | None = None,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    scheduler_address: str | None = None,
) -> Executor:
    """A fresh executor of the named backend running `workers` calls at once.

    `processes` is the number of worker processes of the process backend (each runs its
    share of `workers` on threads) or of a local Dask cluster; None: one per core.
    `initializer(*initargs)` runs once in every worker process: the process backend uses it to
    build the worker's HTTP client before the first URL arrives. `scheduler_address` is that
    of a running Dask scheduler; without it the dask backend starts a local cluster.

    Raises:
        BackendUnavailable: dask without the dask extra.
        ClusterError: the Dask scheduler cannot be reached.
        ValueError: a scheduler address for another backend.
    """
    if scheduler_address is not None and backend != "dask":
        raise ValueError(f"a scheduler address needs the dask backend, not {backend!r}")
    if backend == "dask":
        require_backend(backend)
        from titlefetch.run.cluster import connect_cluster

        return connect_cluster(workers, scheduler_address)
    if backend == "process":
        count = processes or default_processes()
        setup: dict[str, Any] = {"initializer": initializer, "initargs": initargs}
        return ProcessThreadPoolExecutor(PoolShape.for_workers(workers, count, **setup))
    return ThreadPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs)
