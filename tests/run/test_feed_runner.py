"""serve_feed(): batches fed over a socket, each outcome sent as its call ends, a key first."""

from __future__ import annotations

import pickle
import queue
import socket
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest

from titlefetch.run.feed_runner import KEY_BYTES, Address, serve_feed

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
    groups = [(1, [(1, held, (1,), {})]), (1, [(2, abs, (-2,), {}), (3, fails, (3,), {})])]
    connection.send_bytes(pickle.dumps(groups))

    first = _outcomes(connection)
    if len(first) == 1:  # the two quick calls may come one by one, or together
        first.update(_outcomes(connection))
    assert first[2] == (True, 2)
    assert first[3][0] is False and str(first[3][1]) == "no 3"
    connection.send_bytes(pickle.dumps([(1, [(4, abs, (-4,), {})])]))  # fed while 1 runs
    assert _outcomes(connection) == {4: (True, 4)}

    GATE.set()
    assert _outcomes(connection) == {1: (True, 1)}
    connection.close()  # nothing more comes: the feed returns
    feed.thread.join(timeout=10)
    assert not feed.thread.is_alive()


def test_a_connection_without_the_key_is_closed_unread_and_the_feed_waits_on(feed) -> None:
    with feed.connect(bytes(KEY_BYTES)) as stranger:
        assert stranger.recv(1) == b""  # closed by the feed
    connection = Connection(feed.connect().detach())
    connection.send_bytes(pickle.dumps([(1, [(1, abs, (-1,), {})])]))
    assert _outcomes(connection) == {1: (True, 1)}
    connection.close()
    feed.thread.join(timeout=10)
    assert not feed.thread.is_alive()


def test_a_feed_nobody_connects_to_ends() -> None:
    lonely = Feed(wait=0.1)
    lonely.thread.join(timeout=10)
    assert not lonely.thread.is_alive()
