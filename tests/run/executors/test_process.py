"""The process backend's executor: processes x threads, one Future per call, dead workers."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import Pipe
from typing import Any

import pytest

from titlefetch.run.executors.process import (
    READY,
    Outbox,
    PoolShape,
    ProcessThreadPoolExecutor,
    WorkerDied,
    encode_outcomes,
    serve,
)

_meeting: Any = None  # each worker's copy of the barrier its initializer was given


def _remember(barrier: Any) -> None:
    global _meeting
    _meeting = barrier


def _meet(n: int) -> tuple[int, int, str]:
    """Returns only when every call of the test is running: (n, pid, thread)."""
    _meeting.wait(timeout=10)
    return n, os.getpid(), threading.current_thread().name


def _where() -> int:
    return os.getpid()


def _fail() -> None:
    raise KeyError("the call's own error")


def _refuse() -> None:
    raise RuntimeError("no setting up here")


@pytest.fixture
def executor_of():
    made: list[ProcessThreadPoolExecutor] = []

    def make(shape: PoolShape) -> ProcessThreadPoolExecutor:
        made.append(ProcessThreadPoolExecutor(shape))
        return made[-1]

    yield make
    for executor in made:
        executor.shutdown(cancel_futures=True)


@pytest.mark.parametrize(
    ("workers", "processes", "shape"), [(64, 2, (2, 32)), (5, 2, (2, 3)), (3, 8, (3, 1))]
)
def test_the_calls_are_shared_out_over_processes_of_threads(workers, processes, shape):
    made = PoolShape.for_workers(workers, processes)
    assert (made.processes, made.threads) == shape


def test_every_call_runs_at_once_on_a_thread_of_one_of_the_processes(executor_of):
    import multiprocessing

    barrier = multiprocessing.Barrier(4)  # the calls meet: they must all run at once
    executor = executor_of(PoolShape.for_workers(4, 2, initializer=_remember, initargs=(barrier,)))
    results = [
        future.result(timeout=20) for future in [executor.submit(_meet, n) for n in range(4)]
    ]
    assert [n for n, _, _ in results] == [0, 1, 2, 3]
    by_process: dict[int, set[str]] = {}
    for _, pid, thread in results:
        by_process.setdefault(pid, set()).add(thread)
    assert os.getpid() not in by_process
    assert [len(threads) for threads in by_process.values()] == [2, 2]


def test_a_calls_exception_reaches_its_future_and_the_pool_goes_on(executor_of):
    executor = executor_of(PoolShape(processes=1, threads=2))
    with pytest.raises(KeyError, match="the call's own error"):
        executor.submit(_fail).result(timeout=20)
    assert executor.submit(_where).result(timeout=20) != os.getpid()


def test_a_killed_worker_fails_its_calls_alone_and_is_replaced(executor_of):
    import multiprocessing

    barrier = multiprocessing.Barrier(2)
    executor = executor_of(PoolShape.for_workers(2, 2, initializer=_remember, initargs=(barrier,)))
    met = [executor.submit(_meet, n) for n in range(2)]
    first, second = (future.result(timeout=20)[1] for future in met)
    paused = [executor.submit(signal.pause) for _ in range(2)]  # one on each process
    os.kill(first, signal.SIGKILL)
    dead = next(iter(wait(paused, timeout=20, return_when=FIRST_COMPLETED).done))
    assert isinstance(dead.exception(), WorkerDied)
    assert "died (exit code -9)" in str(dead.exception())
    alive = paused[1 - paused.index(dead)]
    assert not alive.done()  # the other process's call goes on
    assert executor.submit(_where).result(timeout=20) not in (first, second)  # a new process
    os.kill(second, signal.SIGKILL)
    assert isinstance(alive.exception(timeout=20), WorkerDied)


def test_a_worker_that_cannot_start_breaks_the_pool(executor_of):
    executor = executor_of(PoolShape(processes=1, threads=1, initializer=_refuse))
    with pytest.raises(BrokenProcessPool, match="ended before it was ready"):
        executor.submit(_where).result(timeout=20)
    with pytest.raises(BrokenProcessPool):
        executor.submit(_where)


def test_queued_calls_can_be_cancelled_until_a_thread_is_free(executor_of):
    import multiprocessing

    barrier = multiprocessing.Barrier(2)  # the blocker ends when this test meets it
    executor = executor_of(PoolShape(1, 1, initializer=_remember, initargs=(barrier,)))
    blocker = executor.submit(_meet, 0)
    while not blocker.running():  # sent to the process's one thread
        threading.Event().wait(0.01)
    queued = executor.submit(_where)
    assert queued.cancel()
    assert not blocker.cancel()  # it runs
    barrier.wait(timeout=10)
    assert blocker.result(timeout=20)[0] == 0
    assert executor.submit(_where).result(timeout=20) == blocker.result()[1]


def test_shutdown_waits_for_running_calls_and_leaves_no_process():
    executor = ProcessThreadPoolExecutor(PoolShape(processes=2, threads=2))
    futures = [executor.submit(_where) for _ in range(8)]
    pids = executor.pids
    executor.shutdown(wait=True)
    assert all(future.done() for future in futures)
    for pid in pids:
        assert pid is not None and _ends(pid)
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(_where)


def test_workers_leave_when_their_parent_is_gone():
    code = (
        "import os, sys\n"
        "from titlefetch.run.executors.process import PoolShape, ProcessThreadPoolExecutor\n"
        "executor = ProcessThreadPoolExecutor(PoolShape(processes=2, threads=2))\n"
        "print(*executor.pids, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2
    for pid in pids:
        assert _ends(pid)


def _ends(pid: int) -> bool:
    import time

    for _ in range(200):  # a worker notices at its next read of the pipe: at once
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# A worker process's loop: calls in, run on threads, outcomes out in batches.


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
