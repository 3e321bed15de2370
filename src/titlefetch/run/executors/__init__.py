"""The PoolExecutor alias: one name for every backend, and make_executor() to build one.

The dask backend is the dask/ package beside this one; Dask is imported only when it is asked for.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeAlias

from titlefetch._errors import BackendUnavailable
from titlefetch._options import DEFAULT_PER_HOST, DEFAULT_WORKERS, PLAN
from titlefetch.run.executors.dask import WAVES, BatchingExecutor
from titlefetch.run.executors.process import PoolShape, ProcessThreadPoolExecutor

PoolExecutor: TypeAlias = ThreadPoolExecutor | ProcessThreadPoolExecutor
BACKENDS: dict[str, type[PoolExecutor]] = {
    "thread": ThreadPoolExecutor,
    "process": ProcessThreadPoolExecutor,
}
DASK_INSTALL = "pip install 'titlefetch[dask]'"


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


def queue_depth(executor: Executor, *, rate: float | None) -> tuple[int, int]:
    """How many calls the run keeps submitted to `executor`: for each fetch in flight, and for
    each --per-host slot.

    One each for pools that start every call at once, and for rate-limited runs (so that the
    spacing the scheduler keeps is the spacing the servers see). A batching executor (a Dask
    cluster) keeps --workers and --per-host itself and wants a queue of calls to cut into
    batches: for a running batch and as much again waiting. Other executors (a caller's) get
    a second call per worker to hide the trip to it.
    """
    if rate or starts_at_once(executor):
        return 1, 1
    if isinstance(executor, BatchingExecutor):
        return 2 * WAVES, 2 * WAVES
    return 2, 1


def starts_at_once(executor: Executor) -> bool:
    """Whether `executor` starts each call as it is submitted (it has a thread for each of
    the run's fetches in flight): then the run submits no more calls than fetches it wants
    running, since a queued call would hold a --per-host slot without running."""
    return isinstance(executor, (ThreadPoolExecutor, ProcessThreadPoolExecutor))


@dataclass(frozen=True, slots=True)
class Backend:
    """Which executor a run makes, and how big: `workers` fetches at once, over `processes`
    worker processes (the process backend, a local Dask cluster; None: one per core)."""

    name: str = PLAN.backend
    workers: int = DEFAULT_WORKERS
    processes: int | None = None
    # A Dask cluster keeps --per-host itself: it runs a host's calls in batches.
    per_host: int = DEFAULT_PER_HOST
    scheduler_address: str | None = None  # a running Dask scheduler; None: a local cluster


def make_executor(
    backend: Backend,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Executor:
    """A fresh executor of `backend`.

    `initializer(*initargs)` runs once in every worker process: the process backend uses it to
    build the worker's HTTP client before the first URL arrives.

    Raises:
        BackendUnavailable: dask without the dask extra.
        ClusterError: the Dask scheduler cannot be reached.
        ValueError: a scheduler address for another backend.
    """
    name, workers = backend.name, backend.workers
    if backend.scheduler_address is not None and name != "dask":
        raise ValueError(f"a scheduler address needs the dask backend, not {name!r}")
    if name == "dask":
        require_backend(name)
        from titlefetch.run.executors.dask import connect_cluster

        return connect_cluster(
            workers,
            backend.per_host,
            address=backend.scheduler_address,
            processes=backend.processes,
        )
    if name == "process":
        setup: dict[str, Any] = {"initializer": initializer, "initargs": initargs}
        count = backend.processes or default_processes()
        return ProcessThreadPoolExecutor(PoolShape.for_workers(workers, count, **setup))
    return ThreadPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs)
