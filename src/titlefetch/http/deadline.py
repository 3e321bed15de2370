"""Total deadlines for fetches: a watchdog thread shuts down the sockets of overdue attempts.

A socket timeout bounds each recv(), not the request: a server that trickles a byte a second
never trips it. So each fetch attempt in a thread gets a deadline, every socket the attempt
uses is registered here, and one watchdog thread per process shuts those sockets down when
the deadline passes. The blocked read then returns or fails at once, and `expired()` tells
the fetch to report a timeout.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import overload

_lock = threading.Condition()
_heap: list[tuple[float, int, Attempt]] = []
_owners: dict[int, tuple[socket.socket, Attempt]] = {}  # id(sock) -> (sock, attempt using it)
_order = itertools.count()
_local = threading.local()
_watchdog: threading.Thread | None = None


class Attempt:
    """One try at a URL in one thread: its deadline and the sockets it uses."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self.sockets: dict[int, socket.socket] = {}


@contextlib.contextmanager
def attempt(seconds: float) -> Iterator[None]:
    """Run the block as an attempt that must end within `seconds`."""
    _begin(seconds)
    try:
        yield
    finally:
        _end()


def renew() -> None:
    """Start a fresh attempt with the same allowance (a retry), if one is running."""
    current: Attempt | None = getattr(_local, "attempt", None)
    if current is not None:
        _end()
        _begin(_local.seconds)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Stop the clock of this thread's attempt during the block; it goes on with what was left."""
    current: Attempt | None = getattr(_local, "attempt", None)
    if current is None:
        yield
        return
    left, seconds = current.deadline - time.monotonic(), _local.seconds
    _end()
    try:
        yield
    finally:
        _begin(max(0.0, left))
        _local.seconds = seconds  # a retry still gets the whole allowance
        _local.attempt.expired = current.expired or left <= 0


def expired() -> bool:
    """Whether this thread's current attempt ran out of time."""
    current: Attempt | None = getattr(_local, "attempt", None)
    return current is not None and current.expired


def remaining() -> float | None:
    """Seconds left for this thread's current attempt (None outside of one)."""
    current: Attempt | None = getattr(_local, "attempt", None)
    if current is None:
        return None
    return max(0.0, current.deadline - time.monotonic())


@overload
def within(seconds: float) -> float: ...
@overload
def within(seconds: None) -> float | None: ...
def within(seconds: float | None) -> float | None:
    """`seconds` (a timeout; None for none), or what is left of this thread's current attempt
    when that is less: a step's own timeout never outlasts the attempt."""
    left = remaining()
    if left is None or (seconds is not None and seconds <= left):
        return seconds
    return max(left, 0.001)  # a timeout of 0 would make the socket non-blocking


def watch(sock: socket.socket) -> None:
    """Shut `sock` down when this thread's current attempt expires (no-op outside of one)."""
    current: Attempt | None = getattr(_local, "attempt", None)
    if current is None:
        return
    with _lock:
        previous = _owners.get(id(sock))
        if previous is not None:  # a pooled connection, reused by a new attempt
            previous[1].sockets.pop(id(sock), None)
        _owners[id(sock)] = (sock, current)
        current.sockets[id(sock)] = sock
        if current.expired:
            _shut(sock)


def _begin(seconds: float) -> None:
    current = Attempt(seconds)
    _local.attempt, _local.seconds = current, seconds
    with _lock:
        _start_watchdog()
        heapq.heappush(_heap, (current.deadline, next(_order), current))
        if _heap[0][2] is current:
            _lock.notify()


def _end() -> None:
    current: Attempt = _local.attempt
    _local.attempt = None
    with _lock:
        current.done = True
        _release(current)


def _release(current: Attempt) -> None:
    for key in current.sockets:
        if _owners.get(key, (None, None))[1] is current:
            del _owners[key]
    current.sockets.clear()


def _start_watchdog() -> None:
    # Started lazily, in the process that fetches: a forked or spawned worker gets its own.
    global _watchdog
    if _watchdog is None or not _watchdog.is_alive():
        _watchdog = threading.Thread(target=_watch_forever, name="titlefetch-watchdog")
        _watchdog.daemon = True
        _watchdog.start()


def _watch_forever() -> None:
    with _lock:
        while True:
            while _heap and _heap[0][2].done:
                heapq.heappop(_heap)
            if not _heap:
                _lock.wait()
                continue
            delay = _heap[0][0] - time.monotonic()
            if delay > 0:
                _lock.wait(delay)
                continue
            _expire(heapq.heappop(_heap)[2])


def _expire(overdue: Attempt) -> None:
    overdue.expired = True
    for sock in overdue.sockets.values():
        _shut(sock)


def _forget_after_fork() -> None:
    # A forked worker has no watchdog thread, and the lock may have been held by it: start over.
    global _lock, _watchdog
    _lock = threading.Condition()
    _heap.clear()
    _owners.clear()
    _watchdog = None


os.register_at_fork(after_in_child=_forget_after_fork)


def _shut(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: the latter also drops the TLS object
    # under the feet of the thread that is reading from it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
