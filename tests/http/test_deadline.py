"""Deadlines and their watchdog: overdue attempts lose their sockets, finished ones keep them.

The watchdog here is one of the test's own, on a clock the test moves, driven by calling
expire_due() (the process's watchdog thread calls the same): no test waits for time to pass.
"""

from __future__ import annotations

import os
import signal
import socket
import warnings
from collections.abc import Iterator

import pytest

from titlefetch.http._deadline import Deadline, Watchdog


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def watchdog(clock: FakeClock) -> Watchdog:
    return Watchdog(clock=clock)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        yield ours, theirs


def is_shut(sock: socket.socket) -> bool:
    """Whether `sock` was shut down: a read gives end of stream at once, nothing was closed."""
    sock.settimeout(5)
    return sock.recv(1) == b""


def test_a_socket_is_shut_when_its_deadline_passes_and_not_before(watchdog, clock, pair):
    ours, theirs = pair
    deadline = Deadline(3.0, watchdog=watchdog)
    deadline.watch(ours)
    clock.advance(2.9)
    assert watchdog.expire_due() == pytest.approx(0.1)
    assert not deadline.expired
    theirs.sendall(b"x")
    assert ours.recv(1) == b"x"  # still open
    clock.advance(0.1)
    assert deadline.expired  # by the clock, before the watchdog has acted
    assert watchdog.expire_due() is None
    assert deadline.flagged
    assert is_shut(ours)


def test_a_finished_deadline_leaves_its_socket_alone(watchdog, clock, pair):
    ours, theirs = pair
    with Deadline(1.0, watchdog=watchdog) as deadline:
        deadline.watch(ours)
    clock.advance(10)
    assert watchdog.expire_due() is None
    theirs.sendall(b"x")
    assert ours.recv(1) == b"x"


def test_a_pooled_socket_belongs_to_the_deadline_that_took_it_last(watchdog, clock, pair):
    ours, theirs = pair
    old = Deadline(1.0, watchdog=watchdog)
    old.watch(ours)
    new = Deadline(5.0, watchdog=watchdog)
    new.watch(ours)  # a pooled connection taken over by another attempt
    clock.advance(2)
    watchdog.expire_due()
    assert old.expired and not new.expired
    theirs.sendall(b"y")
    assert ours.recv(1) == b"y"
    clock.advance(3)
    watchdog.expire_due()
    assert is_shut(ours)


def test_a_socket_watched_after_expiry_is_shut_at_once(watchdog, clock, pair):
    ours, _ = pair
    deadline = Deadline(1.0, watchdog=watchdog)
    clock.advance(1)
    watchdog.expire_due()
    deadline.watch(ours)
    assert is_shut(ours)


def test_a_limited_step_shuts_its_socket_when_it_outlasts_its_seconds(watchdog, clock, pair):
    ours, theirs = pair
    deadline = Deadline(10.0, watchdog=watchdog)
    deadline.watch(ours)
    with deadline.limited(ours, 0.25):
        clock.advance(0.2)
        watchdog.expire_due()
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"  # within the step's seconds: still open
        clock.advance(0.05)
        watchdog.expire_due()
        assert is_shut(ours)
    assert not deadline.expired  # the attempt goes on: only the step's socket was shut


def test_after_a_limited_step_the_attempts_deadline_watches_the_socket_again(watchdog, clock, pair):
    ours, theirs = pair
    deadline = Deadline(3.0, watchdog=watchdog)
    with deadline.limited(ours, 0.25):
        clock.advance(0.1)  # the step ends in time
    clock.advance(1.0)
    watchdog.expire_due()
    theirs.sendall(b"x")
    assert ours.recv(1) == b"x"  # the step's limit is gone with it
    clock.advance(2.0)
    watchdog.expire_due()
    assert is_shut(ours)  # the attempt's own deadline still holds it


def test_a_limited_step_never_outlasts_the_attempt(watchdog, clock, pair):
    ours, _ = pair
    deadline = Deadline(0.1, watchdog=watchdog)
    with deadline.limited(ours, 5.0):
        clock.advance(0.1)
        watchdog.expire_due()
        assert is_shut(ours)


def test_renew_gives_a_fresh_allowance_and_forgets_the_old_sockets(watchdog, clock, pair):
    ours, theirs = pair
    deadline = Deadline(1.0, watchdog=watchdog)
    deadline.watch(ours)
    clock.advance(0.8)
    deadline.renew()
    assert deadline.remaining() == pytest.approx(1.0)
    clock.advance(0.5)
    assert watchdog.expire_due() == pytest.approx(0.5)  # the first allowance's end is gone
    clock.advance(0.5)
    watchdog.expire_due()
    assert deadline.expired
    theirs.sendall(b"z")
    assert ours.recv(1) == b"z"  # not watched by the fresh allowance


def test_paused_time_does_not_count_and_the_attempt_goes_on_with_what_was_left(
    watchdog, clock, pair
):
    ours, _ = pair
    deadline = Deadline(1.0, watchdog=watchdog)
    deadline.watch(ours)
    clock.advance(0.25)
    with deadline.paused():
        clock.advance(5)  # longer than the whole allowance
        assert watchdog.expire_due() is None  # nothing to expire while paused
    assert deadline.remaining() == pytest.approx(0.75)
    assert not deadline.expired
    clock.advance(0.75)
    watchdog.expire_due()
    assert is_shut(ours)  # the socket stayed watched across the pause


def test_an_expired_deadline_stays_expired_after_a_pause(watchdog, clock):
    deadline = Deadline(0.5, watchdog=watchdog)
    clock.advance(1)
    watchdog.expire_due()
    with deadline.paused():
        pass
    assert deadline.expired


def test_a_steps_timeout_never_outlasts_the_attempt(watchdog, clock):
    deadline = Deadline(1.0, watchdog=watchdog)
    assert deadline.within(0.5) == 0.5
    assert deadline.within(5.0) == pytest.approx(1.0)
    assert deadline.within(None) == pytest.approx(1.0)
    clock.advance(2)
    assert deadline.within(5.0) == 0.001  # never 0: that would make a socket non-blocking


def test_the_watchdog_wakes_for_the_earliest_deadline(watchdog, clock):
    Deadline(5.0, watchdog=watchdog)
    assert watchdog.expire_due() == pytest.approx(5.0)
    Deadline(2.0, watchdog=watchdog)
    assert watchdog.expire_due() == pytest.approx(2.0)


def test_the_process_watchdog_shuts_a_blocked_read():
    # The real thread and clock, once: the read is blocked until the watchdog acts.
    ours, theirs = socket.socketpair()
    with ours, theirs, Deadline(0.05) as deadline:
        deadline.watch(ours)
        assert ours.recv(1) == b""
        assert deadline.expired


def test_forked_child_gets_a_working_watchdog_of_its_own():
    with Deadline(5):
        pass  # the parent's watchdog is running
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking with threads running: that is the case under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: a blocked read must still end at its deadline
        signal.alarm(5)  # a deadlocked child dies instead of hanging the suite
        ours, theirs = socket.socketpair()
        with Deadline(0.05) as deadline:
            deadline.watch(ours)
            ours.recv(1)
            os._exit(0 if deadline.expired else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
