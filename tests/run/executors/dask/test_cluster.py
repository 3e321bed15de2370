"""cluster.py: a Dask client as a batching executor; the cluster's failures as pool errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("distributed")  # the dask extra; scripts/setup installs it

from distributed import Client, KilledWorker, LocalCluster  # noqa: E402

from titlefetch._errors import WorkerLost  # noqa: E402
from titlefetch.run.executors.dask._cluster import (  # noqa: E402
    ClusterExecutor,
    ClusterLost,
    local_cluster_size,
    task_failure,
)
from titlefetch.run.executors.dask._lanes import Lanes  # noqa: E402

_LAST_WORKER: Any = SimpleNamespace(address="tcp://127.0.0.1:1")  # a WorkerState to str()
_GATE = threading.Event()  # in-process workers: what holds a test's call back


def where(url: str) -> str:
    return f"{url} ran"


def held(url: str) -> str:
    assert _GATE.wait(timeout=10)
    return url


@pytest.fixture(scope="module")
def in_process_cluster() -> Iterator[LocalCluster]:
    """Workers as threads of this process: quick to start, enough to test the executor."""
    with LocalCluster(
        n_workers=1,
        threads_per_worker=4,
        processes=False,
        dashboard_address=None,
        # Its health checks are served over HTTP even without a dashboard: on a random port,
        # not 8787, which another Dask on the machine may hold (as the dask backend does).
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        yield cluster


@pytest.fixture
def executor(in_process_cluster: LocalCluster) -> Iterator[ClusterExecutor]:
    client = Client(in_process_cluster, direct_to_workers=True)
    running = ClusterExecutor(client, Lanes(per_host=2, workers=4))
    yield running
    running.shutdown(cancel_futures=True)


def test_each_url_gets_its_own_result_from_its_hosts_batch(executor) -> None:
    urls = [f"http://{host}.test/{n}" for n in range(5) for host in "ab"]
    futures = [executor.submit(where, url) for url in urls]
    assert [future.result(timeout=20) for future in futures] == [f"{url} ran" for url in urls]


class DeliversBadlyOnce(ClusterExecutor):
    """A stand-in for a bug in passing outcomes on: the first message's delivery raises."""

    raised = False

    def deliver(self, outcomes: list[Any]) -> None:
        if not self.raised:
            self.raised = True
            raise RuntimeError("a bug in delivering outcomes")
        super().deliver(outcomes)


def test_an_error_reading_a_feed_drops_it_and_its_calls_run_again(
    in_process_cluster, monkeypatch
) -> None:
    # Issue 25: the thread that reads a feed died with such an error and the run waited.
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    running = DeliversBadlyOnce(Client(in_process_cluster), Lanes(per_host=2, workers=4))
    try:
        urls = [f"http://{host}.test/{n}" for n in range(4) for host in "abc"]
        futures = [running.submit(where, url) for url in urls]
        assert [future.result(timeout=30) for future in futures] == [f"{u} ran" for u in urls]
    finally:
        running.shutdown(cancel_futures=True)
    assert running.raised
    assert [str(error) for error in errors] == ["a bug in delivering outcomes"]


def test_a_batch_the_cluster_dropped_breaks_the_executor(executor) -> None:
    # Futures submitted while a client gives up on its scheduler may never finish: once the
    # cluster drops one batch, the executor is broken, as a process pool whose worker died.
    _GATE.clear()
    try:
        future = executor.submit(held, "http://a.test/")
        while not executor._tasks:
            threading.Event().wait(0.01)
        executor._client.cancel(list(executor._finished_tasks.futures))
        with pytest.raises(ClusterLost, match="^the Dask client lost its scheduler$"):
            future.result(timeout=20)
        with pytest.raises(ClusterLost):
            executor.submit(where, "http://b.test/")
    finally:
        _GATE.set()


@pytest.mark.parametrize(
    ("status", "result", "expected", "message"),
    [
        (
            "error",
            (KilledWorker, KilledWorker("run_batch-1", _LAST_WORKER, 3), None),
            WorkerLost,
            "4 Dask workers died running it",
        ),
        ("error", (KeyError, KeyError("bug"), None), KeyError, "'bug'"),  # passed on
        ("cancelled", None, ClusterLost, "the Dask client lost its scheduler"),
    ],
)
def test_a_task_that_did_not_finish_fails_its_calls(status, result, expected, message) -> None:
    error = task_failure(status, result)
    assert type(error) is expected
    assert str(error) == message


def test_shutdown_closes_the_client(in_process_cluster) -> None:
    client = Client(in_process_cluster)
    ClusterExecutor(client, Lanes(per_host=1, workers=1)).shutdown()
    assert client.status == "closed"


@pytest.mark.parametrize(
    ("workers", "processes", "expected"),
    [(64, 2, (2, 32)), (32, 8, (8, 4)), (3, 8, (3, 1)), (5, 2, (2, 3)), (1, 1, (1, 1))],
)
def test_a_local_cluster_shares_the_workers_out_over_its_processes(workers, processes, expected):
    assert local_cluster_size(workers, processes) == expected
