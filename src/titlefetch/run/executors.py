"""The PoolExecutor alias: one name for every backend, and make_executor() to build one.

The dask backend lives in cluster.py, imported only when it is asked for.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeAlias

from titlefetch.errors import BackendUnavailable

PoolExecutor: TypeAlias = ThreadPoolExecutor | ProcessPoolExecutor
BACKENDS: dict[str, type[PoolExecutor]] = {
    "thread": ThreadPoolExecutor,
    "process": ProcessPoolExecutor,
}
BACKEND_NAMES = (*BACKENDS, "dask")  # the pools of this machine, then a Dask cluster
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
    """Workers when --workers is not given.

    Fetching is I/O bound, so threads wait on the network most of the time: 32 of them keep a
    list moving without hammering anyone. Processes pay for an interpreter each and are for
    CPU-bound runs (huge pages, slow parsing), so one per core, at least 2. On a Dask
    cluster it is the number of tasks in flight, which the cluster's threads share.
    """
    if backend == "process":
        return max(2, os.cpu_count() or 1)
    return 32


def make_executor(
    backend: str,
    workers: int,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    scheduler_address: str | None = None,
) -> Executor:
    """A fresh executor of the named backend with `workers` workers.

    `initializer(*initargs)` runs once in every worker: the process backend uses it to build
    the worker's HTTP session before the first URL arrives. Dask workers build theirs on the
    first URL instead. `scheduler_address` is that of a running Dask scheduler; without it the
    dask backend starts a local cluster (see cluster.local_cluster_size).

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
    pool_class = BACKENDS[backend]
    return pool_class(max_workers=workers, initializer=initializer, initargs=initargs)
