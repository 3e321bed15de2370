"""run_batch(): a batch's calls, at most `allowance` at once, outcomes for each, context kept."""

from __future__ import annotations

import contextvars
import pickle
import threading

from titlefetch.run.batch_runner import run_batch

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
    return pickle.dumps([(allowance, [(id_, fn, args, {}) for id_, fn, args in calls])])


def outcomes(data: bytes) -> dict[int, tuple[bool, object]]:
    return {call_id: (ok, value) for call_id, ok, value in pickle.loads(data)}


def run_in_context(payload: bytes) -> bytes:
    _WHERE.set("the task")  # as a cluster worker sets its own for the task's thread
    return contextvars.copy_context().run(run_batch, payload)


def test_the_calls_run_allowance_at_a_time_each_seeing_the_tasks_context(monkeypatch):
    import tests.run.test_batch_runner as me

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
        [(2, [(i, f, a, {}) for i, f, a in first]), (1, [(i, f, a, {}) for i, f, a in second])]
    )
    try:
        done = outcomes(run_in_context(payload))
    finally:
        MEETING = None
    assert done == {n: (True, f"{n} in the task") for n in range(6)}
