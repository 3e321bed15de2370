"""Scheduler: input lines -> futures -> results, with a bounded window, dedupe and host caps.

One thread (the caller's) reads lines, submits and completes; executors only run the work
function. Finished futures report through a queue, so each completion costs O(1) however many
are in flight. Output order is kept here too (OutputOrder, below); the other parts live beside
it: _jobs.py (dedupe), _slots.py (which waiting job may start next) and _dispatch.py (jobs ->
futures on the executor).
"""

from __future__ import annotations

import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError
from dataclasses import dataclass, field, replace

from titlefetch._errors import WorkerLost
from titlefetch._options import DEFAULT_PER_HOST, PLAN, Order
from titlefetch._results import Failure, TitleResult
from titlefetch.run._dispatch import Dispatcher, ExecutorWork
from titlefetch.run._jobs import Job, JobTable
from titlefetch.run._lines import UrlLine
from titlefetch.run._slots import HostSlots

Check = Callable[[TitleResult, UrlLine], TitleResult]
Clock = Callable[[], float]  # monotonic seconds
_POLL_SECONDS = 0.25  # how often a waiting scheduler looks at its stop flag
_GATHER_SECONDS = 0.005  # how long completions may gather before they are handled


@dataclass(frozen=True, slots=True)
class Schedule:
    """How lines become futures: order of results, read-ahead, concurrency and politeness."""

    order: Order = PLAN.order
    in_flight: int = 64  # futures submitted and not finished, at most
    window: int = 256  # lines read but not yet handed out, at most
    per_host: int = DEFAULT_PER_HOST  # futures for one host at once, at most
    rate: float | None = None  # submissions per second, overall
    clock: Clock = field(default=time.monotonic, compare=False)  # what --rate is timed by


@dataclass(frozen=True, slots=True)
class Listeners:
    """What the run's owner hears: each fetch as it ends, each wait, and its verdict on a
    result for its line (a smoke check's expectation)."""

    on_fetched: Callable[[TitleResult], None] | None = None
    before_waiting: Callable[[], None] | None = None  # e.g. flush the results written so far
    check: Check | None = None


class Scheduler(Iterator[TitleResult]):
    """Iterates over one TitleResult per input line, in the schedule's order."""

    def __init__(
        self,
        lines: Iterable[UrlLine],
        pool: ExecutorWork,
        schedule: Schedule,
        *,
        listeners: Listeners | None = None,
        answered: Iterable[str] = (),
    ) -> None:
        self._lines = iter(lines)
        self._schedule = schedule
        self._listeners = listeners or Listeners()
        self._finished: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._jobs = JobTable(answered, pool.options.scheme)
        # Shared with the threads that run and complete futures (see _slots.py).
        self._slots: HostSlots[Job] = HostSlots(
            per_host=schedule.per_host,
            in_flight=schedule.in_flight,
            rate=schedule.rate,
            clock=schedule.clock,
        )
        self._dispatcher = Dispatcher(pool, self._slots, self._finished)
        self._output = OutputOrder(schedule.order)
        self._read = 0  # lines read so far; the next line's seq
        self._exhausted = False
        self._stopping = False

    # -- public --------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish gracefully: read and submit nothing more, cancel what has not started.

        Safe to call from a signal handler; running fetches still deliver their results.
        """
        self._stopping = self._dispatcher.stopping = True
        self._finished.put(None)  # wake the waiting loop at once

    @property
    def stopped(self) -> bool:
        return self._stopping

    def __next__(self) -> TitleResult:
        while not self._output:
            if self._stopping:
                self._cancel_unstarted()
            else:
                self._read_and_submit()
            if self._output:
                break
            if not self._jobs and (self._exhausted or self._stopping):
                self._jobs.close()
                raise StopIteration
            self._wait()
        result = self._output.pop()
        assert result is not None
        return result

    def close(self) -> None:
        """Abandon the run: cancel every future that has not started."""
        self._stopping = self._dispatcher.stopping = True
        self._cancel_unstarted()
        self._jobs.close()

    # -- reading and submitting ----------------------------------------------------------

    def _read_and_submit(self) -> None:
        if self._read == 0:
            # The first fetches start before the rest of the window is read, which would hold
            # them back for as long as reading it takes.
            self._read_lines(min(self._schedule.in_flight, self._schedule.window))
            self._dispatcher.submit_ready()
        self._read_lines(self._schedule.window)
        self._dispatcher.submit_ready()

    def _read_lines(self, limit: int) -> None:
        """Read lines until `limit` are read and not yet handed out (or the input ends)."""
        while not self._exhausted and self._read - self._output.settled < limit:
            line = next(self._lines, None)
            if line is None:
                self._exhausted = True
                return
            if self._jobs.is_answered(line):
                continue  # an earlier run (--resume) printed this one
            seq = self._read
            self._read += 1
            known = self._jobs.known_result(line)
            if known is not None:
                self._deliver(seq, line, known)
                continue
            job = self._jobs.join(seq, line)
            if job is not None:
                self._slots.add(job)

    # -- waiting and completing ----------------------------------------------------------

    def _wait(self) -> None:
        timeout = _POLL_SECONDS
        next_start = self._slots.next_start()  # with --rate: wake when the next may start
        if next_start is not None:
            timeout = max(0.0, min(timeout, next_start - self._schedule.clock()))
        try:
            job = self._finished.get_nowait()
        except queue.Empty:
            if self._listeners.before_waiting is not None:
                self._listeners.before_waiting()
            try:
                job = self._finished.get(timeout=timeout)
            except queue.Empty:
                return
            if self._dispatcher.starts_next and not self._stopping:
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

    def _complete(self, job: Job) -> None:
        # The job lets go of its future: the future's callback holds the job, and the cycle
        # would keep both (and the result) alive until a full garbage collection.
        future, job.future = job.future, None
        assert future is not None
        try:
            result = future.result()
        except CancelledError:
            for seq, _ in self._jobs.drop(job):
                self._output.drop(seq)
            return
        except BrokenExecutor as exc:
            if self._dispatcher.retry(job, exc):
                return
            result = TitleResult(url=job.url, error=Failure("worker_crashed", _describe(exc)))
        except WorkerLost as exc:  # a cluster that already retried it elsewhere
            result = TitleResult(url=job.url, error=Failure("worker_crashed", str(exc)))
        except Exception as exc:  # a bug in the work function: report it, keep the others
            result = TitleResult(url=job.url, error=Failure("internal", _describe(exc)))
        lines = self._jobs.finish(job, result)
        if self._listeners.on_fetched is not None:
            self._listeners.on_fetched(result)
        for seq, line in lines:
            self._deliver(seq, line, result)

    def _deliver(self, seq: int, line: UrlLine, result: TitleResult) -> None:
        result = replace(result, source=line.source, line=line.line)
        if self._listeners.check is not None:
            result = self._listeners.check(result, line)
        self._output.put(seq, result)

    def _cancel_unstarted(self) -> None:
        for job in self._slots.drop_waiting():
            for seq, _ in self._jobs.drop(job):
                self._output.drop(seq)
        self._dispatcher.cancel(self._jobs)  # their callbacks report them; running ones finish


def _describe(exc: BaseException) -> str:
    text = str(exc) or "no details"
    return f"{type(exc).__name__}: {text}"


# Output order: results handed out in input order (reassembled) or as they complete.
#
# Pure bookkeeping by sequence number, one per input line: no threads, no executors.


class OutputOrder:
    """Takes each line's result (or the news that it will never have one) in any order and
    hands results out in `order`: in input order, each once every earlier line is settled,
    or at once.

    >>> output = OutputOrder("input")
    >>> output.put(1, TitleResult("https://b.test/"))
    >>> output.pop() is None  # line 0 is not settled yet
    True
    >>> output.put(0, TitleResult("https://a.test/"))
    >>> [output.pop().url, output.pop().url]
    ['https://a.test/', 'https://b.test/']
    """

    def __init__(self, order: Order) -> None:
        self._in_input_order = order == "input"
        self._ready: dict[int, TitleResult] = {}  # seq -> result, waiting for earlier lines
        self._dropped: set[int] = set()  # seqs that will never have a result (stopped)
        self._out: deque[TitleResult] = deque()
        self._settled = 0  # lines handed out or dropped; in input order also the next seq

    @property
    def settled(self) -> int:
        """How many lines were handed out (or dropped): the rest of those read are pending."""
        return self._settled

    def put(self, seq: int, result: TitleResult) -> None:
        """The result of line `seq`."""
        if self._in_input_order:
            self._ready[seq] = result
            self._collect()
        else:
            self._out.append(result)
            self._settled += 1

    def drop(self, seq: int) -> None:
        """Line `seq` will never have a result (the run stopped before it was fetched)."""
        if self._in_input_order:
            self._dropped.add(seq)
            self._collect()
        else:
            self._settled += 1

    def pop(self) -> TitleResult | None:
        """The next result to hand out, if one is ready."""
        return self._out.popleft() if self._out else None

    def __bool__(self) -> bool:
        """Whether a result is ready to hand out."""
        return bool(self._out)

    def _collect(self) -> None:
        while True:
            if self._settled in self._dropped:
                self._dropped.discard(self._settled)
            elif self._settled in self._ready:
                self._out.append(self._ready.pop(self._settled))
            else:
                return
            self._settled += 1
