"""The dask backend: a Dask cluster, running or local, as one more concurrent.futures.Executor.

Batches of one host's calls (_batching.py cuts them) go to the run's feeds, a long task on
each worker that runs what it is fed and sends each outcome back as its call ends (_feeds.py):
a task per URL cost the scheduler and the client a millisecond or more each, so a cluster
could fetch no faster than one machine's threads. A batch no feed can take (none connected
yet, or the calls of a lost feed, each alone) is one Dask task (_on_workers.py). Only
imported for `--backend dask`, so the other backends never load distributed.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from multiprocessing import resource_tracker
from typing import Any

import dask
from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from titlefetch._errors import ClusterError, WorkerLost
from titlefetch._options import FETCH, FetchOptions
from titlefetch.run._jobs import host_of
from titlefetch.run.executors.dask._batching import Batch, BatchingExecutor, Call
from titlefetch.run.executors.dask._feeds import Feeds
from titlefetch.run.executors.dask._lanes import Lanes
from titlefetch.run.executors.dask._on_workers import run_batch
from titlefetch.run.executors.process import PoolShape

CONNECT_SECONDS = 10  # how long to look for a scheduler before giving up
_QUIET = logging.CRITICAL  # cluster logs would mix with titlefetch's own lines on stderr
_LOST = "the Dask client lost its scheduler"
# tornado.application by name too: distributed's own configuration gives it a level of its own
_LOGGERS = (
    "distributed",
    "distributed.client",
    "distributed.gc",
    "tornado",
    "tornado.application",
    "bokeh",
)
# A worker's statistical profiler samples every thread's stack many times a second: with the
# threads that run a batch's fetches it costs a good share of the worker's CPU.
_LOCAL_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    # Each process of a local cluster checks its event loop, its memory and its CPU (and the
    # nannies, in titlefetch's own process, their workers) many times a second, which costs
    # CPU while a run waits on the network; seldom is enough for a run that ends in seconds
    # (benchmarks/README.md has the figures).
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
if sys.platform == "linux" and sys.version_info < (3, 12):
    # Forked workers start far sooner than spawned ones, have titlefetch imported already,
    # and stop at once. Python 3.12 deprecates fork in a process with threads (the
    # client's event loop runs in one), so later versions keep distributed's default, spawn.
    _LOCAL_CONFIG["distributed.worker.multiprocessing-method"] = "fork"


class ClusterLost(BrokenExecutor):
    """The client lost its scheduler: like a broken process pool, the run may renew it."""


class ClusterExecutor(BatchingExecutor):
    """A Dask client as an executor of calls `fn(url, ...)`, batched by the URL's host.

    Calls lost with a feed's worker, and a batch task whose workers kept dying, are split (see
    _batching.py); a call that alone kills its workers fails with WorkerLost. A batch or a feed
    the cluster dropped fails its calls with ClusterLost, and so does every later submit:
    nothing is silently missing, and nothing waits for a scheduler that is gone. Results come
    back as their calls end.
    """

    def __init__(
        self, client: Client, lanes: Lanes[Call], cluster: LocalCluster | None = None
    ) -> None:
        self._client = client
        self._cluster = cluster
        # Outcomes are fetched from the workers in the client's event loop, many at once (one
        # at a time, on the callback thread, they queued up for half a second).
        self._finished_tasks = as_completed(
            [], loop=client.loop, with_results=True, raise_errors=False
        )
        self._tasks: dict[object, Batch | None] = {}  # task key -> its batch (a feed: None)
        self._tasks_changed = threading.Condition()
        self._tasks_closed = False
        threading.Thread(target=self._collect, name="titlefetch-outcomes", daemon=True).start()
        super().__init__(lanes, _host_of_call)
        self._feeds = Feeds(client, self.deliver, self._lost_to_feed)
        workers = client.scheduler_info().get("workers", ()) if client.status == "running" else ()
        self._watch(self._feeds.start(max(1, len(workers))))

    def launch(self, batches: list[Batch]) -> None:
        if self._client.status in ("closing", "closed"):
            for batch in batches:
                self.lose(batch, ClusterLost(_LOST))
            return
        # A call of a lost batch runs alone, in a task of its own: if it kills its workers,
        # Dask gives up on that task (KilledWorker), not on a feed with others' calls.
        as_tasks = []
        for batch in batches:
            feed = None if any(group.alone for group in batch.groups) else self._feeds.send(batch)
            if feed is None:
                as_tasks.append(batch)
            else:
                self.fed(batch, feed)
        if not as_tasks:
            return
        # One message for all: the scheduler's cost is per task and per message.
        tasks = self._client.map(run_batch, [batch.payload for batch in as_tasks], pure=False)
        self._watch(list(zip(as_tasks, tasks, strict=True)))

    def feeding(self) -> bool:
        return self._feeds.connected

    def top_up(self, feed: str, payload: bytes, calls: tuple[Call, ...]) -> bool:
        return self._feeds.send_to(feed, payload, calls)

    def _watch(self, tasks: Sequence[tuple[Batch | None, Future[Any]]]) -> None:
        """Wait for `tasks` to end: a batch's, or a feed's (None)."""
        with self._tasks_changed:
            for batch, task in tasks:
                self._tasks[task.key] = batch
            self._finished_tasks.update([task for _, task in tasks])
            self._tasks_changed.notify()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # Cancelling: batches still running are abandoned with the client.
        super().shutdown(wait=wait and not cancel_futures, cancel_futures=cancel_futures)
        self._feeds.close()
        with self._tasks_changed:
            if wait and not cancel_futures:  # the feeds end now: see their tasks end first
                self._tasks_changed.wait_for(lambda: not self._tasks, timeout=CONNECT_SECONDS)
            self._tasks_closed = True
            self._tasks_changed.notify_all()
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _collect(self) -> None:
        """The outcomes thread: end each batch as its task ends."""
        while True:
            with self._tasks_changed:
                while not self._tasks:
                    if self._tasks_closed:
                        return
                    self._tasks_changed.wait()
            for task, result in self._finished_tasks:  # until no task is left to wait for
                with self._tasks_changed:
                    batch = self._tasks.pop(task.key)
                    self._tasks_changed.notify_all()
                self._end(batch, task, result)

    def _end(self, batch: Batch | None, task: Future[Any], result: Any) -> None:
        if batch is None:
            self._feed_ended(task, result)
        elif task.status == "finished":
            self.settle(batch, pickle.loads(result))
        else:
            self.lose(batch, task_failure(task.status, result))

    def _feed_ended(self, task: Future[None], result: Any) -> None:
        """A feed's task ended: dropped by the cluster (the executor is broken), given up on
        by Dask (replaced), or done (the run ended, or nobody connected to it)."""
        if task.status == "cancelled" or self._client.status in ("closing", "closed"):
            self.lose_calls(self._feeds.calls(), task_failure("cancelled", result), split=False)
            self._feeds.ended(str(task.key), replace=False)
            return
        self._watch(self._feeds.ended(str(task.key), replace=True))

    def _lost_to_feed(self, calls: list[Call]) -> None:
        self.lose_calls(calls, WorkerLost("a Dask worker died running it"), split=True)


def task_failure(status: str | None, result: Any) -> BaseException:
    """Why a batch's task did not finish, as the error for its calls: from its `status` and
    the `result` as_completed gave (for an error, its type, exception and traceback)."""
    if status != "error":  # cancelled: the cluster dropped it
        return ClusterLost(_LOST)
    _, error, _ = result
    if isinstance(error, KilledWorker):
        tries = error.allowed_failures + 1  # str(error) is a paragraph with a link
        return WorkerLost(f"{tries} Dask workers died running it")
    error_: BaseException = error
    return error_  # run_batch's own failure, passed on to its calls


def _host_of_call(args: tuple[Any, ...]) -> str:
    # The run submits (url, options); a host line counts where --scheme sends it first.
    options = args[1] if len(args) > 1 else None
    return host_of(args[0], options.scheme if isinstance(options, FetchOptions) else FETCH.scheme)


def local_cluster_size(workers: int, processes: int) -> tuple[int, int]:
    """(worker processes, threads in each) for `workers` concurrent fetches over at most
    `processes` processes: a thread runs a batch, whose calls run on threads of their own, so
    this many batches can run at once however small their shares of --per-host. Shared out as
    the process backend shares its calls out over processes."""
    shape = PoolShape.for_workers(workers, processes)
    return shape.processes, shape.threads


def connect_cluster(
    workers: int, per_host: int, *, address: str | None = None, processes: int | None = None
) -> ClusterExecutor:
    """An executor for `workers` fetches at once (`per_host` to a host) on the Dask scheduler
    at `address`, or on a new LocalCluster of `processes` worker processes (one per core).

    Raises:
        ClusterError: the scheduler cannot be reached or the local cluster cannot start.
    """
    _quiet_cluster_logs()
    lanes: Lanes[Call] = Lanes(per_host=per_host, workers=workers)
    try:
        if address is not None:
            client = Client(address, timeout=CONNECT_SECONDS, direct_to_workers=True)
            return ClusterExecutor(client, lanes)
        return _start_local_cluster(workers, processes or os.cpu_count() or 1, lanes)
    except (OSError, TimeoutError) as exc:
        where = address or "a local cluster"
        raise ClusterError(f"cannot reach the Dask scheduler at {where}: {exc}") from exc


def _start_local_cluster(workers: int, processes: int, lanes: Lanes[Call]) -> ClusterExecutor:
    processes, threads = local_cluster_size(workers, processes)
    _start_quiet_resource_tracker()
    with dask.config.set(_LOCAL_CONFIG):
        cluster = _local_cluster(processes, threads)
    try:
        client = Client(cluster, timeout=CONNECT_SECONDS, direct_to_workers=True)
        return ClusterExecutor(client, lanes, cluster)
    except BaseException:
        cluster.close()
        raise


def _local_cluster(processes: int, threads: int) -> LocalCluster:
    return LocalCluster(
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
