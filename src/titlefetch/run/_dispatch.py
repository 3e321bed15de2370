"""Dispatch: jobs that hold a slot -> executor futures, and each finished job onto a queue.

The executor side of the scheduler. With a thread pool (or the process backend's pool of
threads), the thread that completes a fetch also starts the next one. In a thread pool each
fetch gets RunHooks: a redirect to another host moves its
--per-host slot there, and it may ask whether more URLs wait for a host. Other executors run
get_title in other processes, where the run cannot be asked: they get no hooks.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from titlefetch._options import FetchOptions
from titlefetch._results import TitleResult
from titlefetch.http import RunHooks
from titlefetch.run._jobs import Job, host_of
from titlefetch.run._slots import HostSlots
from titlefetch.run.executors import starts_at_once
from titlefetch.run.executors.dask import BatchingExecutor
from titlefetch.run.executors.process import WorkerDied


class Work(Protocol):
    """The function each fetch runs: get_title, or a stand-in with its signature."""

    def __call__(
        self, url: str, options: FetchOptions, hooks: RunHooks | None = None
    ) -> TitleResult: ...


@dataclass(frozen=True, slots=True)
class ExecutorWork:
    """Where fetches run: an executor, the work each fetch does, and how to replace a broken
    executor (None: a broken one is not replaced, as with an executor the caller owns)."""

    executor: Executor
    work: Work
    options: FetchOptions
    renew: Callable[[], Executor] | None = None


class Dispatcher:
    """Submits the jobs the slots let start; reports each finished job on `finished`."""

    def __init__(
        self, pool: ExecutorWork, slots: HostSlots[Job], finished: queue.SimpleQueue[Job | None]
    ) -> None:
        self._pool = pool
        self._executor = pool.executor
        self._slots = slots
        self._finished = finished
        self._in_threads = isinstance(pool.executor, ThreadPoolExecutor)
        # An executor that runs every call at once completes futures on a thread that may
        # submit (a pool's worker, the process backend's pump): the next fetch starts there.
        self._starts_next = starts_at_once(pool.executor)
        self.stopping = False  # set by the scheduler: start nothing more

    @property
    def starts_next(self) -> bool:
        """Whether the thread that completes a fetch also starts the next one."""
        return self._starts_next

    def submit_ready(self) -> None:
        """Submit every job the slots let start now."""
        for job in self._slots.take_ready():
            self.submit(job)

    def submit(self, job: Job) -> None:
        """Hand `job`, which holds a slot, to the executor (never while holding the slots'
        lock: an executor shutting down runs the callbacks of the futures it cancels)."""
        job.attempts += 1
        job.executor = self._executor
        try:
            if self._in_threads:  # nothing is pickled: the future may call back into self
                job.future = self._executor.submit(self._run_in_thread, job)
            elif isinstance(self._executor, BatchingExecutor):  # it queues calls by host
                work, options = self._pool.work, self._pool.options
                job.future = self._executor.submit_to_host(job.host, work, job.url, options)
            else:
                job.future = self._executor.submit(self._pool.work, job.url, self._pool.options)
        except BrokenExecutor as exc:
            job.future = Future()
            job.future.set_exception(exc)
        except RuntimeError:  # shut down: the run is being closed
            job.future = Future()
            job.future.cancel()
        job.future.add_done_callback(lambda _: self._finished_job(job))

    def retry(self, job: Job, error: BrokenExecutor) -> bool:
        """Submit a job whose worker died once more: to the same pool if it replaced the
        worker, else to a new one. False when the job was retried before, or its broken pool
        cannot be renewed."""
        if job.attempts > 1 or self.stopping:
            return False
        if not isinstance(error, WorkerDied):  # the whole pool is broken
            if self._pool.renew is None:
                return False
            if job.executor is self._executor:  # the first casualty replaces it
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._pool.renew()
        self._slots.retake(job)
        self.submit(job)
        return True

    def cancel(self, jobs: Iterable[Job]) -> None:
        """Cancel the futures of `jobs` that have not started; running ones finish."""
        for job in jobs:
            if job.future is not None:
                job.future.cancel()  # its callback reports it

    def _run_in_thread(self, job: Job) -> TitleResult:
        """A thread pool's future: the work for `job`; its redirect hops move its slot, and
        it may ask whether more URLs wait for a host."""
        hooks = RunHooks(entering=functools.partial(self._move, job), is_wanted=self._is_wanted)
        return self._pool.work(job.url, self._pool.options, hooks)

    def _is_wanted(self, url: str) -> bool:
        return self._slots.is_waiting(host_of(url))

    def _move(self, job: Job, url: str) -> None:
        """Runs in the worker whose fetch of `job` follows a redirect to `url`: move its slot
        to that host, start what the slot it left lets start, and wait while the host is full."""
        ready, arrived = self._slots.move(job, host_of(url), take_next=not self.stopping)
        for waiting in ready:
            self.submit(waiting)
        if arrived is not None:
            arrived.wait()

    def _finished_job(self, job: Job) -> None:
        """Runs in the thread that completed `job`'s future: free its slot, start what may
        start now (if that thread may), and pass the job to the scheduler's thread."""
        take_next = self._starts_next and not self.stopping
        for waiting in self._slots.finish(job, take_next=take_next):
            self.submit(waiting)
        self._finished.put(job)
