"""Total deadlines for fetch attempts: a Deadline object per attempt, and a watchdog that shuts
down the sockets of overdue ones.

A socket timeout bounds each recv(), not the request: a server that trickles a byte a second
never trips it. So each attempt gets a Deadline, passed down to every step that uses a socket;
the step registers the socket with the deadline, and the watchdog (one thread per process)
shuts those sockets down when the deadline passes. The blocked read then returns or fails at
once, and `Deadline.expired` tells the fetch to report a timeout.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import overload

Clock = Callable[[], float]  # seconds, monotonic


class Watchdog:
    """Shuts the sockets of deadlines that passed. `run_forever` is the watching thread; tests
    drive `expire_due` with a clock of their own instead."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._owners: dict[int, Deadline] = {}  # id(socket) -> the deadline using it now
        self._order = itertools.count()

    def add(self, deadline: Deadline) -> None:
        with self._lock:
            deadline.entry = next(self._order)
            heapq.heappush(self._heap, (deadline.due, deadline.entry, deadline))
            if self._heap[0][2] is deadline:
                self._lock.notify()

    def watch(self, sock: socket.socket, deadline: Deadline) -> None:
        """Let `deadline` own `sock` (a pooled socket leaves the deadline that used it last)."""
        with self._lock:
            previous = self._owners.get(id(sock))
            if previous is not None and previous is not deadline:
                previous.sockets.pop(id(sock), None)
            self._owners[id(sock)] = deadline
            deadline.sockets[id(sock)] = sock
            if deadline.flagged:
                _shut(sock)

    def discard(self, deadline: Deadline) -> None:
        """Forget `deadline` and the sockets it owns (they stay open)."""
        with self._lock:
            deadline.done = True
            for key in deadline.sockets:
                if self._owners.get(key) is deadline:
                    del self._owners[key]
            deadline.sockets.clear()

    def expire_due(self) -> float | None:
        """Expire every deadline that passed; the seconds until the next one (None: none)."""
        with self._lock:
            while self._heap:
                due, entry, deadline = self._heap[0]
                if deadline.done or deadline.entry != entry:  # ended, or restarted since
                    heapq.heappop(self._heap)
                    continue
                delay = due - self.clock()
                if delay > 0:
                    return delay
                heapq.heappop(self._heap)
                deadline.flagged = True
                for sock in deadline.sockets.values():
                    _shut(sock)
            return None

    def run_forever(self) -> None:
        with self._lock:  # re-entrant: expire_due takes it too
            while True:
                self._lock.wait(self.expire_due())


class Deadline:
    """One attempt's allowance of time, and the sockets it uses. A context manager: leaving it
    ends the attempt (its sockets are no longer watched)."""

    def __init__(self, seconds: float, *, watchdog: Watchdog | None = None) -> None:
        self.seconds = seconds
        self._watchdog = watchdog or _process_watchdog()
        self.sockets: dict[int, socket.socket] = {}
        self.flagged = False  # set by the watchdog when it shut the sockets
        self.done = False
        self.entry = -1  # this deadline's current place in the watchdog's queue
        self.due = self._watchdog.clock() + seconds
        self._watchdog.add(self)

    def __enter__(self) -> Deadline:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._watchdog.discard(self)

    @property
    def expired(self) -> bool:
        """Whether the time is up (the watchdog may not have shut the sockets yet)."""
        return self.flagged or self._watchdog.clock() >= self.due

    def remaining(self) -> float:
        return max(0.0, self.due - self._watchdog.clock())

    @overload
    def within(self, seconds: float) -> float: ...
    @overload
    def within(self, seconds: None) -> float | None: ...
    def within(self, seconds: float | None) -> float | None:
        """`seconds` (a step's timeout; None for none), or what is left when that is less: a
        step's own timeout never outlasts the attempt."""
        left = self.remaining()
        if seconds is not None and seconds <= left:
            return seconds
        return max(left, 0.001)  # a timeout of 0 would make the socket non-blocking

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when this deadline passes."""
        self._watchdog.watch(sock, self)

    @contextlib.contextmanager
    def limited(self, sock: socket.socket, seconds: float) -> Iterator[None]:
        """Shut `sock` down if the block outlasts `seconds` (or this deadline); afterwards this
        deadline watches it again. For a step that must not take the attempt's whole time:
        bounded by the watchdog, the step's reads stay blocking (a socket timeout would make
        each read two system calls, and each of them a hand-off of the GIL)."""
        step = Deadline(min(seconds, self.remaining()), watchdog=self._watchdog)
        step.watch(sock)
        try:
            yield
        finally:
            step.close()
            self.watch(sock)

    def renew(self) -> None:
        """A fresh allowance of the same length (a retry); sockets are watched anew."""
        self._restart(self.seconds, {})

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock during the block; the attempt goes on with what was left."""
        left = self.due - self._watchdog.clock()
        was_flagged = self.flagged
        sockets = dict(self.sockets)
        self._watchdog.discard(self)
        try:
            yield
        finally:
            self._restart(max(0.0, left), sockets)
            self.flagged = was_flagged or left <= 0

    def _restart(self, seconds: float, sockets: dict[int, socket.socket]) -> None:
        self._watchdog.discard(self)
        self.done, self.flagged = False, False
        self.due = self._watchdog.clock() + seconds
        self._watchdog.add(self)
        for sock in sockets.values():
            self._watchdog.watch(sock, self)


_watchdog: Watchdog | None = None
_watchdog_lock = threading.Lock()


def _process_watchdog() -> Watchdog:
    # Started lazily, in the process that fetches: a forked or spawned worker gets its own.
    global _watchdog
    if _watchdog is None:
        with _watchdog_lock:
            if _watchdog is None:
                watchdog = Watchdog()
                thread = threading.Thread(
                    target=watchdog.run_forever, name="titlefetch-watchdog", daemon=True
                )
                thread.start()
                _watchdog = watchdog
    return _watchdog


def _forget_after_fork() -> None:
    # A forked worker has no watchdog thread, and its locks may have been held: start over.
    global _watchdog, _watchdog_lock
    _watchdog = None
    _watchdog_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _shut(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: the latter also drops the TLS object
    # under the feet of the thread that is reading from it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
