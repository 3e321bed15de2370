"""cluster.py: a Dask cluster as a concurrent.futures.Executor, its failures as pool errors."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any, cast

import pytest

pytest.importorskip("distributed")  # the dask extra; scripts/setup installs it

from distributed import Client, KilledWorker  # noqa: E402

from titlefetch.errors import WorkerLost  # noqa: E402
from titlefetch.run.cluster import (  # noqa: E402
    ClusterExecutor,
    ClusterLost,
    _settle,
    local_cluster_size,
)


def _failed(exc: BaseException) -> Future[str]:
    task: Future[str] = Future()
    task.set_exception(exc)
    return task


_LAST_WORKER: Any = SimpleNamespace(address="tcp://127.0.0.1:1")  # a WorkerState to str()


def _cancelled() -> Future[str]:
    task: Future[str] = Future()
    task.cancel()
    return task


@pytest.mark.parametrize(
    ("task", "expected", "message"),
    [
        (
            _failed(KilledWorker("get_title-1", _LAST_WORKER, 3)),
            WorkerLost,
            "4 Dask workers died running it",
        ),
        # the cluster dropped it: a broken pool, for the run to renew, not silently missing
        (_cancelled(), ClusterLost, "the Dask client lost its scheduler"),
        (_failed(KeyError("bug")), KeyError, "'bug'"),  # the task's own error, passed on
    ],
)
def test_cluster_failures_become_pool_errors(task, expected, message) -> None:
    outcome: Future[str] = Future()
    outcome.set_running_or_notify_cancel()

    _settle(outcome, task)

    with pytest.raises(expected) as raised:
        outcome.result()
    assert str(raised.value) == message


def test_a_finished_task_passes_its_result_on() -> None:
    task: Future[str] = Future()
    task.set_result("a title")
    outcome: Future[str] = Future()

    _settle(outcome, task)

    assert outcome.result() == "a title"


class _FakeClient:
    """A client whose executor hands out plain futures that the test settles."""

    status = "running"

    def __init__(self) -> None:
        self.tasks: list[Future[object]] = []
        self.closed = False

    def get_executor(self, **kwargs: object) -> _FakeClient:
        assert kwargs == {"pure": False}  # identical URLs must not share a task
        return self

    def submit(self, fn, /, *args, **kwargs) -> Future[object]:
        self.tasks.append(Future())
        return self.tasks[-1]

    def shutdown(self, wait: bool = True) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_after_a_dropped_task_every_submit_fails_fast() -> None:
    # Futures submitted while a client gives up on its scheduler may never finish: once the
    # cluster drops one task, the executor is broken, as a process pool whose worker died.
    client = _FakeClient()
    executor = ClusterExecutor(cast(Client, client))
    first, second = executor.submit(str, "a"), executor.submit(str, "b")

    client.tasks[0].cancel()
    client.tasks[1].set_result("a title")

    assert isinstance(first.exception(), ClusterLost)
    assert second.result() == "a title"
    with pytest.raises(ClusterLost):
        executor.submit(str, "c")
    executor.shutdown(cancel_futures=True)
    assert client.closed


@pytest.mark.parametrize(
    ("workers", "cores", "expected"),
    [(64, 2, (2, 32)), (32, 8, (8, 4)), (3, 8, (3, 1)), (5, 2, (2, 3)), (1, 1, (1, 1))],
)
def test_local_cluster_has_a_process_per_core_sharing_the_threads(workers, cores, expected) -> None:
    assert local_cluster_size(workers, cores) == expected
