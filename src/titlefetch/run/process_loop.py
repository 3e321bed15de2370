"""What each worker process of the process backend runs: calls from the parent, many at once
on a thread pool, and their outcomes back in batches.

The messages on the one duplex pipe to the parent: the parent sends pickled lists of calls
`(call_id, fn, args, kwargs)` and finally None (finish what runs, then leave); the worker sends
READY once its initializer ran, then pickled lists of outcomes `(call_id, ok, value)`, where
value is the call's return value, or the exception it raised when ok is False.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

READY = b"ready"
Call = tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
Outcome = tuple[int, bool, Any]


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
