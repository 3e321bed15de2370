"""The process backend: worker processes that each run many calls at once on a thread pool.

The stdlib ProcessPoolExecutor runs one call at a time per process, so keeping 64 fetches in
flight took 64 interpreters. ProcessThreadPoolExecutor is one more concurrent.futures.Executor:
one Future per submit(), as ever, but calls go in small batches over a pipe to a few processes
(one per core by default), each of which runs them on a thread pool (serve(), below) and sends
the outcomes back in batches. A call waits in the parent until a process has a free thread, so
it can be cancelled until then. One thread of the parent, the pump, does all the sending and
receiving.

A worker process that dies fails only the calls it was running, with WorkerDied, and is
replaced at once; the pool goes on. A worker that dies before it is ready (its initializer
failed) breaks the pool, as in the stdlib: every call fails with BrokenProcessPool.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import selectors
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import DefaultContext, ForkContext, ForkServerContext, SpawnContext
from typing import Any, ParamSpec, TypeVar

Context = DefaultContext | ForkContext | ForkServerContext | SpawnContext
P = ParamSpec("P")
T = TypeVar("T")
READY = b"ready"
Call = tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
Outcome = tuple[int, bool, Any]


class WorkerDied(BrokenProcessPool):
    """The worker process running a call died; the pool replaced it and goes on."""


@dataclass(frozen=True, slots=True)
class PoolShape:
    """How many processes, how many threads in each, and what sets each process up."""

    processes: int
    threads: int
    initializer: Callable[..., object] | None = None
    initargs: tuple[Any, ...] = ()

    @classmethod
    def for_workers(cls, workers: int, processes: int, **setup: Any) -> PoolShape:
        """`workers` calls at once over at most `processes` processes (fewer if fewer calls)."""
        count = max(1, min(processes, workers))
        return cls(count, math.ceil(workers / count), **setup)


@dataclass(eq=False, slots=True)
class _Worker:
    """One worker process as the parent sees it."""

    process: multiprocessing.process.BaseProcess
    connection: Connection
    ready: bool = False  # its initializer ran
    alive: bool = True  # not yet buried
    running: dict[int, Future[Any]] = field(default_factory=dict)  # sent: call id -> future


class ProcessThreadPoolExecutor(Executor):
    """Runs calls in `shape.processes` processes of `shape.threads` threads each."""

    def __init__(self, shape: PoolShape, context: Context | None = None) -> None:
        self._shape = shape
        self._lock = threading.Lock()  # guards the queue, the workers' records and the flags
        # Calls wait here until a process has a free thread: until then they can be cancelled.
        self._queue: deque[tuple[Call, Future[Any]]] = deque()
        self._processes = _Processes(shape, context or multiprocessing.get_context())
        self._next_id = 0
        self._shutting_down = False
        self._broken: str | None = None  # why, once a worker died before it was ready
        self._woken = False
        self._pump = threading.Thread(target=self._run_pump, name="titlefetch-pump", daemon=True)
        self._pump.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._broken is not None:
                raise BrokenProcessPool(self._broken)
            if self._shutting_down:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._next_id += 1
            self._queue.append(((self._next_id, fn, args, kwargs), future))
            self._wake()
        return future

    @property
    def pids(self) -> list[int | None]:
        """The pids of the worker processes now."""
        return [worker.process.pid for worker in self._processes.workers]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutting_down = True
            cancelled = self._take_queued() if cancel_futures else []
            self._wake()
        for future in cancelled:
            future.cancel()
        if wait:
            self._pump.join()

    # -- the pump: the parent's one thread on the pipes --------------------------------------

    def _run_pump(self) -> None:
        while True:
            for worker, event in self._processes.events():
                if event == "message":
                    self._receive(worker)
                else:
                    self._bury(worker)
            with self._lock:
                self._woken = False
            if self._send_queued():
                break
        self._processes.close()

    def _send_queued(self) -> bool:
        """Send queued calls to the processes with free threads; at shutdown, once nothing
        is queued or running, tell the workers to leave. Returns whether the pump is done."""
        with self._lock:
            batches = self._take_queued_calls()
            done = self._shutting_down and not self._queue
            done = done and not any(worker.running for worker in self._processes.workers)
        for worker, calls in batches.items():
            self._processes.send(worker, calls)
        if done:
            for worker in self._processes.workers:
                if worker.alive:
                    self._processes.send(worker, None)
        return done

    def _take_queued_calls(self) -> dict[_Worker, list[Call]]:
        """Queued calls for the processes' free threads, each to the process with the most
        free, marked running (holding the lock)."""
        threads = self._shape.threads
        free = {w: threads - len(w.running) for w in self._processes.workers if w.alive}
        batches: dict[_Worker, list[Call]] = {}
        while self._queue and free:
            worker = max(free, key=free.__getitem__)
            if free[worker] <= 0:
                break
            call, future = self._queue.popleft()
            if future.set_running_or_notify_cancel():  # else it was cancelled: forget it
                worker.running[call[0]] = future
                batches.setdefault(worker, []).append(call)
                free[worker] -= 1
        return batches

    def _receive(self, worker: _Worker) -> bool:
        """Take one message from `worker`; False when there is none to take (it died: its
        sentinel tells the pump)."""
        outcomes = self._processes.receive(worker)
        if outcomes is None:
            return False
        for call_id, ok, value in outcomes:
            with self._lock:
                future = worker.running.pop(call_id)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        return True

    def _bury(self, worker: _Worker) -> None:
        """A worker process ended: take what it sent, fail what it ran, replace it."""
        while worker.connection.poll() and self._receive(worker):
            pass
        code = self._processes.end(worker)
        with self._lock:
            if not worker.ready and self._broken is None:
                self._broken = f"a worker process ended before it was ready (exit code {code})"
            failed = list(worker.running.values())
            worker.running.clear()
            if self._broken is not None:
                self._shutting_down = True
                failed += self._take_queued()
                for other in self._processes.workers:
                    failed += other.running.values()
                    other.running.clear()
                error = BrokenProcessPool(self._broken)
            else:
                error = WorkerDied(f"the worker process running it died (exit code {code})")
                if not self._shutting_down:
                    self._processes.restart(worker)
        for future in failed:
            future.set_exception(error)

    def _take_queued(self) -> list[Future[Any]]:
        """Empty the queue; returns the futures of the calls it held (holding the lock)."""
        futures = [future for _, future in self._queue]
        self._queue.clear()
        return futures

    def _wake(self) -> None:
        """Make the pump look at the queue (holding the lock)."""
        if not self._woken:
            self._woken = True
            self._processes.wake()


class _Processes:
    """The worker processes and the pipes to them, as the pump sees them."""

    def __init__(self, shape: PoolShape, context: Context) -> None:
        self._shape = shape
        self._context = context
        self._wake_reader, self._wake_writer = context.Pipe(duplex=False)
        self._selector = selectors.DefaultSelector()  # on the pipes and the processes' ends
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        self.workers = [_Worker(*self._start()) for _ in range(shape.processes)]
        for worker in self.workers:
            self._watch(worker)

    def wake(self) -> None:
        """Make events() return (from any thread)."""
        self._wake_writer.send_bytes(b"")

    def events(self) -> list[tuple[_Worker, str]]:
        """Wait for a wake-up, a message ("message") or a process's end ("end")."""
        happened = []
        for key, _ in self._selector.select():
            if key.data is None:
                self._wake_reader.recv_bytes()
                continue
            worker, event = key.data
            if event == "message" and key.fileobj is worker.connection:
                happened.append((worker, event))
            elif event == "end" and worker.alive and not worker.process.is_alive():
                happened.append((worker, event))  # an end's sentinel may be ready just before
        return happened

    def send(self, worker: _Worker, calls: list[Call] | None) -> None:
        # Plain pickle: the multiprocessing pickler costs tens of microseconds more per send.
        # If the worker died, its end is among the next events.
        with contextlib.suppress(OSError):
            worker.connection.send_bytes(pickle.dumps(calls, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self, worker: _Worker) -> list[Outcome] | None:
        """The outcomes `worker` sent next (none for its READY), or None if it has died."""
        try:
            data = worker.connection.recv_bytes()
        except (EOFError, OSError):
            return None
        if data == READY:
            worker.ready = True
            return []
        outcomes: list[Outcome] = pickle.loads(data)
        return outcomes

    def end(self, worker: _Worker) -> int | None:
        """Stop watching an ended worker; returns its exit code."""
        self._selector.unregister(worker.connection)
        self._selector.unregister(worker.process.sentinel)
        worker.connection.close()
        worker.process.join()  # its sentinel is ready: it has ended, or is just ending
        worker.alive = False
        return worker.process.exitcode

    def restart(self, worker: _Worker) -> None:
        """A new process in an ended `worker`'s place."""
        worker.process, worker.connection = self._start()
        worker.ready = False
        worker.alive = True
        self._watch(worker)

    def close(self) -> None:
        """Wait for every process to end (each was told to leave, or has died)."""
        self._selector.close()
        for worker in self.workers:
            worker.process.join()
            worker.connection.close()

    def _watch(self, worker: _Worker) -> None:
        self._selector.register(worker.connection, selectors.EVENT_READ, (worker, "message"))
        self._selector.register(worker.process.sentinel, selectors.EVENT_READ, (worker, "end"))

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        parent_end, child_end = self._context.Pipe()
        shape = self._shape
        process = self._context.Process(
            target=serve,
            args=(child_end, shape.threads, shape.initializer, shape.initargs),
            daemon=True,
        )
        process.start()
        child_end.close()
        return process, parent_end


# What each worker process of the process backend runs: calls from the parent, many at once
# on a thread pool, and their outcomes back in batches.
#
# The messages on the one duplex pipe to the parent: the parent sends pickled lists of calls
# `(call_id, fn, args, kwargs)` and finally None (finish what runs, then leave); the worker sends
# READY once its initializer ran, then pickled lists of outcomes `(call_id, ok, value)`, where
# value is the call's return value, or the exception it raised when ok is False.


def serve(
    connection: Connection,
    threads: int,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """Run the calls the parent sends on `threads` threads until it says stop or goes away."""
    _leave_with_parent()
    if initializer is not None:
        initializer(*initargs)  # if it raises, the process ends before READY: a broken pool
    connection.send_bytes(READY)
    outbox = Outbox(connection)
    with ThreadPoolExecutor(threads) as pool:
        while True:
            try:
                calls: list[Call] | None = pickle.loads(connection.recv_bytes())
            except (EOFError, OSError):  # the parent is gone: nobody wants the results
                os._exit(1)
            if calls is None:
                break
            for call in calls:
                pool.submit(_run, outbox, call)
    # Leaving the with block waited for the running calls; their outcomes are sent.


def _leave_with_parent() -> None:
    """Exit as soon as the parent is gone: it may leave at once (`| head`, a second Ctrl-C),
    and the pipe's end of a forked worker never tells, as the worker holds both ends."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _run(outbox: Outbox, call: Call) -> None:
    call_id, fn, args, kwargs = call
    try:
        outcome: Outcome = (call_id, True, fn(*args, **kwargs))
    except BaseException as exc:  # passed on to the caller's future, as the stdlib pools do
        outcome = (call_id, False, exc)
    outbox.put(outcome)


class Outbox:
    """Sends outcomes to the parent, batched: the thread that finds no send under way sends
    everything that gathered, until nothing is left; the others only add theirs."""

    def __init__(self, connection: Connection, gone: Callable[[], object] | None = None) -> None:
        self._connection = connection
        self._gone = gone or _leave  # what to do once the other end is gone
        self._outcomes: list[Outcome] = []
        self._sending = False
        self._lock = threading.Lock()

    def put(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)
            if self._sending:
                return
            self._sending = True
        while True:
            with self._lock:
                batch, self._outcomes = self._outcomes, []
                if not batch:
                    self._sending = False
                    return
            try:
                self._connection.send_bytes(encode_outcomes(batch))
            except OSError:  # the other end is gone
                self._gone()


def _leave() -> None:
    """A worker process whose parent is gone: nobody wants its results."""
    os._exit(1)


def encode_outcomes(outcomes: list[Outcome]) -> bytes:
    """The outcomes pickled; one that cannot be pickled becomes an error for its call alone."""
    try:
        return pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # which one failed is found below
        return pickle.dumps([_picklable(outcome) for outcome in outcomes])


def _picklable(outcome: Outcome) -> Outcome:
    try:
        pickle.dumps(outcome)
    except Exception as exc:  # any pickling failure becomes the call's error
        message = f"the worker could not send {type(outcome[2]).__name__} back: {exc}"
        return (outcome[0], False, RuntimeError(message))
    return outcome
