"""A worker process's loop: calls in, run on threads, outcomes out in batches."""

from __future__ import annotations

import pickle
import threading
from multiprocessing import Pipe

from titlefetch.run.process_loop import READY, Outbox, encode_outcomes, serve


def test_serve_runs_each_call_and_sends_its_outcome_until_told_to_stop():
    parent, child = Pipe()
    worker = threading.Thread(target=serve, args=(child, 2, None, ()))
    worker.start()
    parent.send_bytes(pickle.dumps([(1, pow, (2, 5), {}), (2, int, ("not a number",), {})]))
    parent.send_bytes(pickle.dumps([(3, sorted, ([3, 1, 2],), {"reverse": True})]))
    parent.send_bytes(pickle.dumps(None))
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert parent.recv_bytes() == READY
    outcomes = {}
    while parent.poll():
        for call_id, ok, value in pickle.loads(parent.recv_bytes()):
            outcomes[call_id] = (ok, value)
    assert outcomes[1] == (True, 32)
    assert outcomes[2][0] is False and isinstance(outcomes[2][1], ValueError)
    assert outcomes[3] == (True, [3, 2, 1])


def test_the_initializer_runs_before_ready():
    parent, child = Pipe()
    seen: list[str] = []
    worker = threading.Thread(target=serve, args=(child, 1, seen.append, ("set up",)))
    worker.start()
    assert parent.recv_bytes() == READY
    assert seen == ["set up"]
    parent.send_bytes(pickle.dumps(None))
    worker.join(timeout=10)


class RecordingConnection:
    def __init__(self) -> None:
        self.sent: list[list[tuple[int, bool, object]]] = []

    def send_bytes(self, data: bytes) -> None:
        self.sent.append(pickle.loads(data))


def test_outcomes_that_gather_during_a_send_go_in_the_next_one():
    connection = RecordingConnection()
    outbox = Outbox(connection)  # type: ignore[arg-type]
    sending = threading.Event()
    release = threading.Event()
    original = connection.send_bytes

    def slow_send(data: bytes) -> None:
        sending.set()
        release.wait(timeout=10)
        original(data)

    connection.send_bytes = slow_send  # type: ignore[method-assign]
    first = threading.Thread(target=outbox.put, args=((1, True, "a"),))
    first.start()
    assert sending.wait(timeout=10)
    outbox.put((2, True, "b"))  # a send is under way: this one only adds its outcome
    outbox.put((3, True, "c"))
    release.set()
    first.join(timeout=10)
    assert connection.sent == [[(1, True, "a")], [(2, True, "b"), (3, True, "c")]]


def test_an_outcome_that_cannot_be_pickled_fails_its_call_alone():
    outcomes = [(1, True, "fine"), (2, True, threading.Lock()), (3, False, KeyError("x"))]
    decoded = pickle.loads(encode_outcomes(outcomes))
    assert decoded[0] == (1, True, "fine")
    assert decoded[1][:2] == (2, False)
    assert "could not send lock back" in str(decoded[1][2])
    assert decoded[2][:2] == (3, False) and isinstance(decoded[2][2], KeyError)
