"""The deadline watchdog: overdue attempts lose their sockets, finished ones keep them."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import warnings

from titlefetch.http import deadline


def test_blocked_read_returns_when_the_attempt_expires():
    ours, theirs = socket.socketpair()
    with ours, theirs, deadline.attempt(0.3):
        deadline.watch(ours)
        started = time.monotonic()
        assert ours.recv(1) == b""  # shut down: end of stream, although nothing was closed
        waited = time.monotonic() - started
        assert deadline.expired()
    assert 0.2 < waited < 2.0


def test_finished_attempt_leaves_its_socket_alone():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        with deadline.attempt(0.1):
            deadline.watch(ours)
        time.sleep(0.3)
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"


def test_socket_reused_by_a_new_attempt_belongs_to_it_only():
    ours, theirs = socket.socketpair()
    old_done = threading.Event()

    def old_attempt() -> None:
        with deadline.attempt(0.2):
            deadline.watch(ours)
            old_done.wait(2)
            time.sleep(0.4)  # still inside the attempt when its deadline passes

    with ours, theirs:
        thread = threading.Thread(target=old_attempt)
        thread.start()
        with deadline.attempt(5):
            deadline.watch(ours)  # a pooled connection taken over by this attempt
            old_done.set()
            thread.join()
            theirs.sendall(b"y")
            assert ours.recv(1) == b"y"
            assert not deadline.expired()


def test_renew_gives_a_fresh_allowance():
    with deadline.attempt(0.3):
        time.sleep(0.2)
        deadline.renew()
        left = deadline.remaining()
    assert left is not None and left > 0.25
    assert deadline.remaining() is None


def test_paused_time_does_not_count_and_the_attempt_goes_on_with_what_was_left():
    ours, theirs = socket.socketpair()
    with ours, theirs, deadline.attempt(0.4):
        time.sleep(0.1)
        with deadline.paused():
            time.sleep(0.5)  # longer than the whole allowance
        left = deadline.remaining()
        assert left is not None and 0.1 < left <= 0.3
        assert not deadline.expired()
        deadline.watch(ours)
        assert ours.recv(1) == b""  # the rest of the allowance still ends the read
        assert deadline.expired()


def test_an_attempt_that_expired_stays_expired_after_a_pause():
    with deadline.attempt(0.05):
        time.sleep(0.2)
        assert deadline.expired()
        with deadline.paused():
            pass
        assert deadline.expired()


def test_a_steps_timeout_never_outlasts_the_attempt():
    assert deadline.within(5.0) == 5.0  # outside an attempt: as given
    assert deadline.within(None) is None
    with deadline.attempt(1.0):
        assert deadline.within(0.5) == 0.5
        assert 0.9 < deadline.within(5.0) <= 1.0
        bounded = deadline.within(None)
        assert bounded is not None and 0.9 < bounded <= 1.0
    with deadline.attempt(0.0):
        assert deadline.within(5.0) == 0.001  # never 0: that would make a socket non-blocking


def test_watch_outside_an_attempt_does_nothing():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        deadline.watch(ours)
        theirs.sendall(b"z")
        assert ours.recv(1) == b"z"
        assert not deadline.expired()


def test_forked_child_gets_a_working_watchdog_of_its_own():
    with deadline.attempt(5):
        pass  # the parent's watchdog is running
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking with threads running: that is the case under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: a blocked read must still end at its deadline
        signal.alarm(5)  # a deadlocked child dies instead of hanging the suite
        ours, theirs = socket.socketpair()
        with deadline.attempt(0.2):
            deadline.watch(ours)
            ours.recv(1)
            os._exit(0 if deadline.expired() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
