"""What a Dask worker runs: a batch's groups of calls, and the feed that runs batches as
they arrive and sends each outcome back as its call ends."""

from __future__ import annotations

import contextlib
import contextvars
import hmac
import pickle
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from titlefetch.run.executors.process import Outcome, encode_outcomes

# run_batch(): what a cluster worker runs for one batch: groups of calls, each group's
# `allowance` at a time; FeedGroups: the same, reporting each outcome as its call ends, and a
# running group takes the more calls sent to it under its key.
#
# For each group, `allowance` threads (for run_batch, the task's own thread among them) each take
# the group's next call until none is left, so one slow call holds one of them, not the group's
# others. Each runs in a copy of the caller's context, so a call sees the cluster worker it runs
# in (get_title records its address). No import of distributed here: the batch is plain data.

BatchCall = tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
Groups = list[tuple[int, int, list[BatchCall]]]  # (key, allowance, calls) for each group
Report = Callable[[Outcome], object]
# Threads shared by the batches running in this process; made on demand, kept while idle.
_THREADS = ThreadPoolExecutor(max_workers=4096, thread_name_prefix="titlefetch-batch")


def run_batch(payload: bytes) -> bytes:
    """Run the pickled list of groups `(key, allowance, calls)`; returns the pickled list of
    the calls' outcomes."""
    outcomes: list[Outcome] = []
    queues = _queues(pickle.loads(payload))
    helpers = _start_queues(queues[1:], outcomes.append)
    _run_calls(queues[0], outcomes.append)
    for helper in helpers:
        helper.result()
    return encode_outcomes(outcomes)


def _start_queues(queues: list[deque[BatchCall]], report: Report) -> list[Future[None]]:
    return [
        _THREADS.submit(contextvars.copy_context().run, _run_calls, waiting, report)
        for waiting in queues
    ]


def _queues(groups: Groups) -> list[deque[BatchCall]]:
    """A queue for each thread that runs calls: a group's `allowance` threads share one."""
    queues: list[deque[BatchCall]] = []
    for _, allowance, calls in groups:
        queues += [deque(calls)] * min(allowance, len(calls))
    return queues


def _run_calls(waiting: deque[BatchCall], report: Report) -> None:
    while True:
        try:
            call_id, fn, args, kwargs = waiting.popleft()
        except IndexError:
            return
        _run_call(call_id, fn, args, kwargs, report)


def _run_call(
    call_id: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    report: Report,
) -> None:
    try:
        report((call_id, True, fn(*args, **kwargs)))
    except Exception as exc:  # the call's own error, for its future alone
        report((call_id, False, exc))


class _Running:
    """A group on a feed: its calls waiting, and how many threads run them."""

    __slots__ = ("allowance", "threads", "waiting")

    def __init__(self, allowance: int) -> None:
        self.allowance = allowance
        self.threads = 0
        self.waiting: deque[BatchCall] = deque()


class FeedGroups:
    """The groups a feed runs, by key: calls sent under the key of a group that still runs
    join it, and its threads, `allowance` at most, run them too. titlefetch holds the group's
    allowance until its last call ends, and sends a key's calls to one feed only."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._groups: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._threads: list[Future[None]] = []

    def add(self, groups: Groups) -> None:
        """Start these groups, or add their calls to the running ones of their keys."""
        self._threads = [thread for thread in self._threads if not thread.done()]
        for key, allowance, calls in groups:
            with self._lock:
                group = self._groups.get(key)
                if group is None:
                    group = self._groups[key] = _Running(allowance)
                group.waiting.extend(calls)
                more = min(group.allowance - group.threads, len(group.waiting))
                group.threads += more
            self._threads += [
                _THREADS.submit(contextvars.copy_context().run, self._run, key, group)
                for _ in range(more)
            ]

    def wait(self) -> None:
        """Until every call added has ended."""
        for thread in self._threads:
            thread.result()

    def _run(self, key: int, group: _Running) -> None:
        while True:
            with self._lock:
                if not group.waiting:
                    group.threads -= 1
                    if not group.threads:
                        del self._groups[key]
                    return
                call_id, fn, args, kwargs = group.waiting.popleft()
            _run_call(call_id, fn, args, kwargs, self._report)


# serve_feed(): a batch that runs on as it is fed, sending each call's outcome as it ends.
#
# A feed is one long task on a cluster worker (_feeds.py starts one per worker for a run). It
# listens on a TCP port of the worker's host for one connection from titlefetch, which must
# first send the feed's key (random bytes titlefetch gave the task: nothing from anyone else is
# unpickled). Then titlefetch sends batches (the payloads _batching.py makes: groups of calls),
# and the feed starts each as it arrives, `allowance` of a group's calls at a time (more calls
# for a group that still runs join it: FeedGroups), and sends each call's outcome back as the
# call ends (those that end within GATHER_SECONDS go together). When titlefetch closes its
# end, the feed lets what runs end and returns. No import of distributed here: the task in
# _feeds.py passes in the worker's host and how to announce.

KEY_BYTES = 32
Address = tuple[str, int]
GATHER_SECONDS = 0.005  # how long a feed lets outcomes gather before it sends them


def serve_feed(key: bytes, host: str, announce: Callable[[Address], object], wait: float) -> None:
    """Listen on `host`, announce the address, and run what the one connection that sends
    `key` within `wait` seconds feeds in, until it closes."""
    with socket.create_server((host, 0)) as server:
        server.settimeout(wait)
        announce(server.getsockname()[:2])
        try:
            peer = _accepted(server, key, wait)
        except OSError:  # nobody came with the key in time: titlefetch is gone
            return
    connection = Connection(peer.detach())
    outbox = _Outbox(connection)
    groups = FeedGroups(outbox.put)
    try:
        while True:
            try:
                payload = connection.recv_bytes()
            except (EOFError, OSError):  # titlefetch closed its end, or is gone
                break
            groups.add(pickle.loads(payload))
        groups.wait()
    finally:
        outbox.close()
        connection.close()


class _Outbox:
    """A feed's outcomes, sent from a thread of their own: those that end within
    GATHER_SECONDS of the first go in one message. On a list of many hosts nearly every fetch
    ends a group, and each message costs titlefetch a read, a wake-up of its dispatcher and a
    cut of new batches, so messages of several outcomes are cheaper; and a thread that runs
    calls never waits for a send."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._outcomes: list[Outcome] = []
        self._changed = threading.Condition()
        self._closing = False
        self._sender = threading.Thread(target=self._send, name="titlefetch-feed-out", daemon=True)
        self._sender.start()

    def put(self, outcome: Outcome) -> None:
        with self._changed:
            self._outcomes.append(outcome)
            if len(self._outcomes) == 1:
                self._changed.notify()

    def close(self) -> None:
        """Send what is left, then stop."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._sender.join()

    def _send(self) -> None:
        while True:
            with self._changed:
                while not self._outcomes and not self._closing:
                    self._changed.wait()
                if not self._outcomes:
                    return
                closing = self._closing
            if not closing:
                time.sleep(GATHER_SECONDS)
            with self._changed:
                outcomes, self._outcomes = self._outcomes, []
            with contextlib.suppress(OSError):  # titlefetch is gone: nobody wants them
                self._connection.send_bytes(encode_outcomes(outcomes))


def _accepted(server: socket.socket, key: bytes, wait: float) -> socket.socket:
    """The first connection to send `key`; others are closed unread."""
    while True:
        peer, _ = server.accept()
        peer.settimeout(wait)
        try:
            if hmac.compare_digest(_read_exactly(peer, len(key)), key):
                peer.settimeout(None)
                return peer
        except OSError:
            pass
        peer.close()


def _read_exactly(peer: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = peer.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
