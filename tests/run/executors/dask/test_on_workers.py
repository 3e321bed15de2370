"""What a Dask worker runs: run_batch() (a batch's calls, at most `allowance` at once, outcomes
for each, context kept) and serve_feed() (batches fed over a socket, each outcome sent as its
call ends, a key first)."""

from __future__ import annotations

import contextvars
import pickle
import queue
import socket
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest

from titlefetch.run.executors.dask._on_workers import (
    KEY_BYTES,
    Address,
    FeedGroups,
    run_batch,
    serve_feed,
)
from titlefetch.run.executors.process import Outcome

KEY = bytes(range(KEY_BYTES))
GATE = threading.Event()


def held(n: int) -> int:
    assert GATE.wait(timeout=10)
    return n


def fails(n: int) -> int:
    raise ValueError(f"no {n}")


class Feed:
    """serve_feed on a thread of this process, and the address it announced."""

    def __init__(self, wait: float = 10) -> None:
        announced: queue.SimpleQueue[Address] = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=serve_feed, args=(KEY, "127.0.0.1", announced.put, wait), daemon=True
        )
        self.thread.start()
        self.address = announced.get(timeout=10)

    def connect(self, key: bytes = KEY) -> socket.socket:
        peer = socket.create_connection(self.address, timeout=10)
        peer.sendall(key)
        peer.settimeout(None)  # blocking again, as a Connection's file descriptor must be
        return peer


@pytest.fixture
def feed() -> Iterator[Feed]:
    GATE.clear()
    running = Feed()
    yield running
    GATE.set()


def _outcomes(connection: Connection) -> dict[int, tuple[bool, object]]:
    return {call_id: (ok, value) for call_id, ok, value in pickle.loads(connection.recv_bytes())}


def test_each_outcome_comes_back_as_its_call_ends_while_others_run(feed) -> None:
    peer = feed.connect()
    connection = Connection(peer.detach())
    groups = [(1, 1, [(1, held, (1,), {})]), (2, 1, [(2, abs, (-2,), {}), (3, fails, (3,), {})])]
    connection.send_bytes(pickle.dumps(groups))

    first = _outcomes(connection)
    if len(first) == 1:  # the two quick calls may come one by one, or together
        first.update(_outcomes(connection))
    assert first[2] == (True, 2)
    assert first[3][0] is False and str(first[3][1]) == "no 3"
    connection.send_bytes(pickle.dumps([(4, 1, [(4, abs, (-4,), {})])]))  # fed while 1 runs
    assert _outcomes(connection) == {4: (True, 4)}

    GATE.set()
    assert _outcomes(connection) == {1: (True, 1)}
    connection.close()  # nothing more comes: the feed returns
    feed.thread.join(timeout=10)
    assert not feed.thread.is_alive()


def test_calls_sent_under_a_running_groups_key_wait_for_its_allowance(feed) -> None:
    # Issue 25: more calls for a group that runs (allowance 1) join it: 4 cannot end before 1.
    connection = Connection(feed.connect().detach())
    connection.send_bytes(pickle.dumps([(7, 1, [(1, held, (1,), {})])]))
    connection.send_bytes(pickle.dumps([(7, 1, [(4, abs, (-4,), {})])]))
    connection.send_bytes(pickle.dumps([(8, 1, [(5, abs, (-5,), {})])]))  # another group
    assert _outcomes(connection) == {5: (True, 5)}
    GATE.set()
    first = _outcomes(connection)
    assert 1 in first
    if 4 not in first:
        assert _outcomes(connection) == {4: (True, 4)}
    connection.close()
    feed.thread.join(timeout=10)
    assert not feed.thread.is_alive()


class Tracker:
    """Calls that wait for a gate, counting how many run at once and on which threads."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.changed = threading.Condition()
        self.running = 0
        self.most = 0
        self.threads: set[int] = set()

    def __call__(self, n: int) -> int:
        with self.changed:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
            self.changed.notify_all()
        assert self.gate.wait(timeout=10)
        with self.changed:
            self.running -= 1
        return n


TRACKER = Tracker()


def tracked(n: int) -> int:
    return TRACKER(n)


def test_feed_groups_run_a_groups_later_calls_on_its_own_threads_allowance_at_a_time():
    global TRACKER
    TRACKER = tracker = Tracker()
    reported: list[Outcome] = []
    groups = FeedGroups(reported.append)
    groups.add([(7, 2, [(1, tracked, (1,), {})])])
    groups.add([(7, 2, [(n, tracked, (n,), {}) for n in (2, 3, 4)]), (9, 1, [(5, abs, (-5,), {})])])
    with tracker.changed:
        assert tracker.changed.wait_for(lambda: tracker.running == 2, timeout=10)
    tracker.gate.set()
    groups.wait()
    assert sorted(call_id for call_id, _, _ in reported) == [1, 2, 3, 4, 5]
    assert tracker.most == 2
    assert len(tracker.threads) == 2  # 3 and 4 ran on the group's two threads, not new ones


def test_a_connection_without_the_key_is_closed_unread_and_the_feed_waits_on(feed) -> None:
    with feed.connect(bytes(KEY_BYTES)) as stranger:
        assert stranger.recv(1) == b""  # closed by the feed
    connection = Connection(feed.connect().detach())
    connection.send_bytes(pickle.dumps([(1, 1, [(1, abs, (-1,), {})])]))
    assert _outcomes(connection) == {1: (True, 1)}
    connection.close()
    feed.thread.join(timeout=10)
    assert not feed.thread.is_alive()


def test_a_feed_nobody_connects_to_ends() -> None:
    lonely = Feed(wait=0.1)
    lonely.thread.join(timeout=10)
    assert not lonely.thread.is_alive()


# run_batch(): a batch's calls, at most `allowance` at once, outcomes for each, context kept.
_WHERE: contextvars.ContextVar[str] = contextvars.ContextVar("where")


class Meeting:
    """Calls that each wait until `size` of them run at once, and count how many did."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, n: int) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.barrier.wait(timeout=10)
        with self.lock:
            self.running -= 1
        return f"{n} in {_WHERE.get()}"


MEETING: Meeting | None = None  # the meeting of the running test


def meet(n: int) -> str:
    assert MEETING is not None
    return MEETING(n)


def batch(allowance: int, calls: list[tuple[int, object, tuple[object, ...]]]) -> bytes:
    """A batch of one group."""
    return pickle.dumps([(0, allowance, [(id_, fn, args, {}) for id_, fn, args in calls])])


def outcomes(data: bytes) -> dict[int, tuple[bool, object]]:
    return {call_id: (ok, value) for call_id, ok, value in pickle.loads(data)}


def run_in_context(payload: bytes) -> bytes:
    _WHERE.set("the task")  # as a cluster worker sets its own for the task's thread
    return contextvars.copy_context().run(run_batch, payload)


def test_the_calls_run_allowance_at_a_time_each_seeing_the_tasks_context(monkeypatch):
    import tests.run.executors.dask.test_on_workers as me

    meeting = Meeting(3)
    monkeypatch.setattr(me, "MEETING", meeting, raising=False)
    done = outcomes(run_in_context(batch(3, [(n, meet, (n,)) for n in range(9)])))
    assert done == {n: (True, f"{n} in the task") for n in range(9)}
    assert meeting.most == 3


def test_each_call_has_its_own_outcome():
    done = outcomes(run_batch(batch(2, [(1, int, ("7",)), (2, int, ("x",)), (3, len, ("ab",))])))
    assert done[1] == (True, 7)
    assert done[2][0] is False and isinstance(done[2][1], ValueError)
    assert done[3] == (True, 2)


def test_an_allowance_larger_than_the_batch_starts_no_idle_thread():
    before = threading.active_count()
    assert outcomes(run_batch(batch(50, [(1, abs, (-1,))]))) == {1: (True, 1)}
    assert threading.active_count() == before


def test_each_group_of_a_batch_keeps_to_its_own_allowance():
    global MEETING
    MEETING = Meeting(3)  # the first group's two runners and the second group's one
    first = [(n, meet, (n,)) for n in range(4)]
    second = [(n, meet, (n,)) for n in range(4, 6)]
    payload = pickle.dumps(
        [
            (0, 2, [(i, f, a, {}) for i, f, a in first]),
            (4, 1, [(i, f, a, {}) for i, f, a in second]),
        ]
    )
    try:
        done = outcomes(run_in_context(payload))
    finally:
        MEETING = None
    assert done == {n: (True, f"{n} in the task") for n in range(6)}
