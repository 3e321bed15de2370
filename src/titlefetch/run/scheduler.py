"""Scheduler: input lines -> futures -> results, with a bounded window, dedupe and host caps.

One thread (the caller's) does the bookkeeping of lines and results; executors only run the
work function. Finished futures report through a queue, so each completion costs O(1) however
many are in flight. Which waiting job may start next is for slots.py to say. With a thread pool,
the worker that finished also starts the next fetch, and a redirect to another host moves the
fetch's --per-host slot to that host (the RunHooks each fetch in a thread is given).
"""

from __future__ import annotations

import functools
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    ThreadPoolExecutor,
)
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from titlefetch.errors import WorkerLost
from titlefetch.http.fetch import FetchOptions, RunHooks
from titlefetch.http.origin import Origin
from titlefetch.results import Failure, TitleResult
from titlefetch.run.lines import UrlLine, urls_to_try
from titlefetch.run.slots import HostSlots
from titlefetch.run.store import UrlStore


class Work(Protocol):
    """The function each fetch runs: get_title, or a stand-in with its signature."""

    def __call__(
        self, url: str, options: FetchOptions, hooks: RunHooks | None = None
    ) -> TitleResult: ...


Check = Callable[[TitleResult, UrlLine], TitleResult]
_POLL_SECONDS = 0.25  # how often a waiting scheduler looks at its stop flag
_GATHER_SECONDS = 0.005  # thread pools: how long completions may gather before they are handled


@dataclass(frozen=True, slots=True)
class Schedule:
    """How lines become futures: order of results, read-ahead, concurrency and politeness."""

    order: Literal["input", "completed"] = "input"
    in_flight: int = 64  # futures submitted and not finished, at most
    window: int = 256  # lines read but not yet handed out, at most
    per_host: int = 8  # futures for one host at once, at most
    rate: float | None = None  # submissions per second, overall


@dataclass(slots=True)
class _Job:
    """One distinct URL: the input lines waiting for it and its future once submitted."""

    url: str
    host: str
    seq: int  # its first line's
    lines: list[tuple[int, UrlLine]] = field(default_factory=list)
    future: Future[TitleResult] | None = None
    executor: Executor | None = None  # the one it was submitted to
    attempts: int = 0


class Scheduler(Iterator[TitleResult]):
    """Iterates over one TitleResult per input line, in the schedule's order."""

    def __init__(
        self,
        lines: Iterable[UrlLine],
        executor: Executor,
        work: Work,
        options: FetchOptions,
        schedule: Schedule,
        *,
        renew_executor: Callable[[], Executor] | None = None,
        on_fetched: Callable[[TitleResult], None] | None = None,
        before_waiting: Callable[[], None] | None = None,
        answered: Iterable[str] = (),
        check: Check | None = None,
    ) -> None:
        self._lines = iter(lines)
        self._executor = executor
        self._work = work
        self._options = options
        self._schedule = schedule
        self._renew_executor = renew_executor
        self._finished: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._jobs: dict[str, _Job] = {}  # url -> job, waiting for its host or running
        # Shared with the threads that run and complete futures (see slots.py).
        self._slots: HostSlots[_Job] = HostSlots(
            per_host=schedule.per_host, in_flight=schedule.in_flight, rate=schedule.rate
        )
        self._in_threads = isinstance(executor, ThreadPoolExecutor)
        self._store = UrlStore()  # url -> result for repeated URLs; earlier answers
        self._store.add_answered(answered)
        self._ready: dict[int, TitleResult] = {}  # seq -> result, not yet handed out
        self._out: deque[TitleResult] = deque()
        self._dropped: set[int] = set()  # seqs that will never have a result (stopped)
        self._read = 0  # lines read so far; the next line's seq
        self._handed = 0  # lines handed out or dropped; in input order also the next seq
        self._exhausted = False
        self._stopping = False
        self._on_fetched = on_fetched
        self._before_waiting = before_waiting  # e.g. flush the results written so far
        self._check = check  # judges a result against its line's expectation

    # -- public --------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish gracefully: read and submit nothing more, cancel what has not started.

        Safe to call from a signal handler; running fetches still deliver their results.
        """
        self._stopping = True
        self._finished.put(None)  # wake the waiting loop at once

    @property
    def stopped(self) -> bool:
        return self._stopping

    def __next__(self) -> TitleResult:
        while not self._out:
            if self._stopping:
                self._cancel_unstarted()
            else:
                self._read_and_submit()
            self._collect_in_order()
            if self._out:
                break
            if not self._jobs and (self._exhausted or self._stopping):
                self._store.close()
                raise StopIteration
            self._wait()
        return self._out.popleft()

    def close(self) -> None:
        """Abandon the run: cancel every future that has not started."""
        self._stopping = True
        self._cancel_unstarted()
        self._store.close()

    # -- reading and submitting ----------------------------------------------------------

    def _read_and_submit(self) -> None:
        if self._read == 0:
            # The first fetches start before the rest of the window is read: reading the
            # first 2,048 lines of a long list held them back by ~25 ms.
            self._read_lines(min(self._schedule.in_flight, self._schedule.window))
            self._submit_ready_jobs()
        self._read_lines(self._schedule.window)
        self._submit_ready_jobs()

    def _read_lines(self, limit: int) -> None:
        """Read lines until `limit` are read and not yet handed out (or the input ends)."""
        while not self._exhausted and self._read - self._handed < limit:
            line = next(self._lines, None)
            if line is None:
                self._exhausted = True
                return
            if self._store.take_answered(line.url):
                continue  # an earlier run (--resume) printed this one
            seq = self._read
            self._read += 1
            self._admit(seq, line)

    def _admit(self, seq: int, line: UrlLine) -> None:
        if line.problem is not None:
            where = f"{line.source}:{line.line}"
            failure = Failure("invalid_url", f"{where}: {line.problem}")
            self._deliver(seq, line, TitleResult(url=line.url, error=failure))
            return
        known = self._store.recall(line.url)
        if known is not None:
            self._deliver(seq, line, known)
            return
        job = self._jobs.get(line.url)
        if job is None:
            first = urls_to_try(line.url, self._options.scheme)[0]  # a host line's https://…
            job = self._jobs[line.url] = _Job(line.url, _host_of(first), seq)
            self._slots.add(job)
        job.lines.append((seq, line))

    def _submit_ready_jobs(self) -> None:
        for job in self._slots.take_ready():
            self._submit(job)

    def _submit(self, job: _Job) -> None:
        """Hand `job`, which holds a slot, to the executor (never while holding the slots'
        lock: an executor shutting down runs the callbacks of the futures it cancels)."""
        job.attempts += 1
        job.executor = self._executor
        try:
            if self._in_threads:  # nothing is pickled: the future may call back into self
                job.future = self._executor.submit(self._run_in_thread, job)
            else:
                job.future = self._executor.submit(self._work, job.url, self._options)
        except BrokenExecutor as exc:
            job.future = Future()
            job.future.set_exception(exc)
        except RuntimeError:  # shut down: the run is being closed
            job.future = Future()
            job.future.cancel()
        job.future.add_done_callback(lambda _: self._finished_job(job))

    def _run_in_thread(self, job: _Job) -> TitleResult:
        """A thread pool's future: the work for `job`; its redirect hops move its slot, and
        it may ask whether more URLs wait for a host."""
        hooks = RunHooks(entering=functools.partial(self._move, job), is_wanted=self._is_wanted)
        return self._work(job.url, self._options, hooks)

    def _is_wanted(self, url: str) -> bool:
        return self._slots.is_waiting(_host_of(url))

    def _move(self, job: _Job, url: str) -> None:
        """Runs in the worker whose fetch of `job` follows a redirect to `url`: move its slot
        to that host, start what the slot it left lets start, and wait while the host is full."""
        ready, arrived = self._slots.move(job, _host_of(url), take_next=not self._stopping)
        for waiting in ready:
            self._submit(waiting)
        if arrived is not None:
            arrived.wait()

    def _finished_job(self, job: _Job) -> None:
        """Runs in the thread that completed `job`'s future: free its slot, start what may
        start now (thread pools only), and pass the job to the scheduler's thread."""
        take_next = self._in_threads and not self._stopping
        for waiting in self._slots.finish(job, take_next=take_next):
            self._submit(waiting)
        self._finished.put(job)

    # -- waiting and collecting ----------------------------------------------------------

    def _wait(self) -> None:
        timeout = _POLL_SECONDS
        next_start = self._slots.next_start()  # with --rate: wake when the next may start
        if next_start is not None:
            timeout = max(0.0, min(timeout, next_start - time.monotonic()))
        try:
            job = self._finished.get_nowait()
        except queue.Empty:
            if self._before_waiting is not None:
                self._before_waiting()
            try:
                job = self._finished.get(timeout=timeout)
            except queue.Empty:
                return
            if self._in_threads and not self._stopping:
                # Workers start the next fetches themselves, so this thread is in no hurry:
                # letting completions gather spares a wake-up (and a GIL hand-off) per fetch.
                time.sleep(_GATHER_SECONDS)
        while True:
            if job is not None:
                self._complete(job)
            try:
                job = self._finished.get_nowait()
            except queue.Empty:
                return

    def _complete(self, job: _Job) -> None:
        # The job lets go of its future: the future's callback holds the job, and the cycle
        # would keep both (and the result) alive until a full garbage collection.
        future, job.future = job.future, None
        assert future is not None
        try:
            result = future.result()
        except CancelledError:
            self._drop(job)
            return
        except BrokenExecutor as exc:
            if self._retry_on_fresh_executor(job):
                return
            result = TitleResult(url=job.url, error=Failure("worker_crashed", _describe(exc)))
        except WorkerLost as exc:  # a cluster that already retried it elsewhere
            result = TitleResult(url=job.url, error=Failure("worker_crashed", str(exc)))
        except Exception as exc:  # a bug in the work function: report it, keep the others
            result = TitleResult(url=job.url, error=Failure("internal", _describe(exc)))
        del self._jobs[job.url]
        self._store.remember(result)
        if self._on_fetched is not None:
            self._on_fetched(result)
        for seq, line in job.lines:
            self._deliver(seq, line, result)

    def _retry_on_fresh_executor(self, job: _Job) -> bool:
        """Resubmit a job whose worker died, once, on a new executor if one can be made."""
        if self._renew_executor is None or job.attempts > 1 or self._stopping:
            return False
        if job.executor is self._executor:  # the first casualty replaces the broken pool
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._renew_executor()
        self._slots.retake(job)
        self._submit(job)
        return True

    def _deliver(self, seq: int, line: UrlLine, result: TitleResult) -> None:
        result = replace(result, source=line.source, line=line.line)
        if self._check is not None:
            result = self._check(result, line)
        if self._schedule.order == "input":
            self._ready[seq] = result
        else:
            self._out.append(result)
            self._handed += 1

    def _drop(self, job: _Job) -> None:
        del self._jobs[job.url]
        for seq, _ in job.lines:
            self._dropped.add(seq)
            if self._schedule.order == "completed":
                self._handed += 1

    def _collect_in_order(self) -> None:
        if self._schedule.order != "input":
            return
        while True:
            if self._handed in self._dropped:
                self._dropped.discard(self._handed)
            elif self._handed in self._ready:
                self._out.append(self._ready.pop(self._handed))
            else:
                return
            self._handed += 1

    def _cancel_unstarted(self) -> None:
        for job in self._slots.drop_waiting():
            self._drop(job)
        for job in list(self._jobs.values()):
            if job.future is not None:
                job.future.cancel()  # its callback drops it; a running one finishes


def _host_of(url: str) -> str:
    # --per-host counts requests per "host:port" of the URL's origin (a URL that reached the
    # scheduler has a host and a valid port: see lines.url_problem).
    return str(Origin.of(url))


def _describe(exc: BaseException) -> str:
    text = str(exc) or "no details"
    return f"{type(exc).__name__}: {text}"
