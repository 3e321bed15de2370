"""The PoolExecutor alias: one name for every backend, and make_executor() to build one."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeAlias

PoolExecutor: TypeAlias = ThreadPoolExecutor | ProcessPoolExecutor
BACKENDS: dict[str, type[PoolExecutor]] = {
    "thread": ThreadPoolExecutor,
    "process": ProcessPoolExecutor,
}


def default_workers(backend: str) -> int:
    """Workers when --workers is not given.

    Fetching is I/O bound, so threads wait on the network most of the time: 32 of them keep a
    list moving without hammering anyone. Processes pay for an interpreter each and are for
    CPU-bound runs (huge pages, slow parsing), so one per core, at least 2.
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
) -> Executor:
    """A fresh executor of the named backend with `workers` workers.

    `initializer(*initargs)` runs once in every worker: the process backend uses it to build
    the worker's HTTP session before the first URL arrives.
    """
    pool_class = BACKENDS[backend]
    return pool_class(max_workers=workers, initializer=initializer, initargs=initargs)
