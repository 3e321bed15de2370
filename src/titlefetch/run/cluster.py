"""The dask backend: a Dask cluster, running or local, as one more concurrent.futures.Executor.

Only imported for `--backend dask`, so the other backends never load distributed.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from multiprocessing import resource_tracker
from typing import ParamSpec, TypeVar

from distributed import Client, KilledWorker, LocalCluster

from titlefetch.errors import ClusterError, WorkerLost

P = ParamSpec("P")
T = TypeVar("T")
CONNECT_SECONDS = 10  # how long to look for a scheduler before giving up
_QUIET = logging.CRITICAL  # cluster logs would mix with titlefetch's own lines on stderr
_LOST = "the Dask client lost its scheduler"
_LOGGERS = ("distributed", "distributed.client", "distributed.gc", "tornado", "bokeh")


class ClusterLost(BrokenExecutor):
    """The client lost its scheduler: like a broken process pool, the run may renew it."""


class ClusterExecutor(Executor):
    """`client.get_executor(pure=False)` with the shutdown and errors of the stdlib pools.

    Identical calls stay separate tasks (non-pure). A task whose workers kept dying fails with
    WorkerLost; a task the cluster dropped fails with ClusterLost, and so does every later
    submit: nothing is silently missing, and nothing waits for a scheduler that is gone.
    Submitted tasks count as running, like a busy thread: Future.cancel() cannot drop one,
    but shutdown(cancel_futures=True) cancels them all on the cluster.
    """

    def __init__(self, client: Client, cluster: LocalCluster | None = None) -> None:
        self._client = client
        self._cluster = cluster
        self._executor = client.get_executor(pure=False)
        self._lost = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        # A future submitted while the client gives up on its scheduler may never finish.
        if self._lost or self._client.status in ("closing", "closed"):
            raise ClusterLost(_LOST)
        task: Future[T] = self._executor.submit(fn, *args, **kwargs)
        outcome: Future[T] = Future()
        outcome.set_running_or_notify_cancel()
        task.add_done_callback(lambda _: self._settle(outcome, task))
        return outcome

    def _settle(self, outcome: Future[T], task: Future[T]) -> None:
        if task.cancelled():  # before the outcome wakes anyone who might submit again
            self._lost = True
        _settle(outcome, task)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._client.status not in ("closing", "closed"):
            self._executor.shutdown(wait=wait and not cancel_futures)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _settle(outcome: Future[T], task: Future[T]) -> None:
    """Pass a cluster task's outcome on, the cluster's own failures as ClusterLost/WorkerLost."""
    try:
        outcome.set_result(task.result())
    except CancelledError:
        outcome.set_exception(ClusterLost(_LOST))
    except KilledWorker as exc:
        tries = exc.allowed_failures + 1  # str(exc) is a paragraph with a link
        outcome.set_exception(WorkerLost(f"{tries} Dask workers died running it"))
    except BaseException as exc:  # the task's own exception, passed on as the pools do
        outcome.set_exception(exc)


def local_cluster_size(workers: int, cores: int) -> tuple[int, int]:
    """(worker processes, threads in each) for `workers` concurrent fetches on `cores` cores.

    One process per core, as fetching also parses HTML and each process has its own GIL;
    the threads are shared out so that the total is at least `workers`.
    """
    processes = max(1, min(cores, workers))
    return processes, math.ceil(workers / processes)


def connect_cluster(workers: int, address: str | None = None) -> ClusterExecutor:
    """An executor on the Dask scheduler at `address`, or on a new LocalCluster.

    Raises:
        ClusterError: the scheduler cannot be reached or the local cluster cannot start.
    """
    _quiet_cluster_logs()
    try:
        if address is not None:
            return ClusterExecutor(Client(address, timeout=CONNECT_SECONDS))
        return _start_local_cluster(workers)
    except (OSError, TimeoutError) as exc:
        where = address or "a local cluster"
        raise ClusterError(f"cannot reach the Dask scheduler at {where}: {exc}") from exc


def _start_local_cluster(workers: int) -> ClusterExecutor:
    processes, threads = local_cluster_size(workers, os.cpu_count() or 1)
    _start_quiet_resource_tracker()
    cluster = LocalCluster(
        n_workers=processes,
        threads_per_worker=threads,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler serves health checks over HTTP even without a dashboard: on 8787
        # unless told otherwise, with a warning on stderr when another cluster has that port
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=_QUIET,
    )
    try:
        return ClusterExecutor(Client(cluster, timeout=CONNECT_SECONDS), cluster)
    except BaseException:
        cluster.close()
        raise


def _start_quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which the cluster's processes share, mute.

    It outlives a run that leaves at once (a closed pipe, a second Ctrl-C) and would then
    warn on stderr about the semaphores the cluster's processes left.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(devnull, 2)  # the tracker inherits fd 2 as it is now, for good
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _quiet_cluster_logs() -> None:
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(_QUIET)
