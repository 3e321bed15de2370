"""make_executor(): one concurrent.futures.Executor per backend name, and the defaults."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from titlefetch._errors import BackendUnavailable
from titlefetch._options import BACKEND_NAMES
from titlefetch.run.executors import (
    BACKENDS,
    Backend,
    default_processes,
    default_workers,
    make_executor,
    require_backend,
    starts_at_once,
)
from titlefetch.run.executors.process import ProcessThreadPoolExecutor


def test_the_backends_are_threads_processes_and_a_cluster():
    assert BACKEND_NAMES == ("thread", "process", "dask")
    assert (*BACKENDS, "dask") == BACKEND_NAMES  # the pools of this machine, then a cluster


def test_a_thread_backend_runs_calls_in_this_process():
    with make_executor(Backend("thread", 3)) as executor:
        assert isinstance(executor, ThreadPoolExecutor)
        assert executor.submit(os.getpid).result() == os.getpid()


def _mark_worker(value: str) -> None:
    os.environ["TITLEFETCH_TEST_MARK"] = value


def _worker_mark() -> str | None:
    return os.environ.get("TITLEFETCH_TEST_MARK")


def test_a_process_backend_runs_calls_in_workers_set_up_by_the_initializer():
    with make_executor(Backend("process", 2), initializer=_mark_worker, initargs=("set",)) as (
        executor
    ):
        assert isinstance(executor, ProcessThreadPoolExecutor)
        assert executor.submit(os.getpid).result() != os.getpid()
        assert executor.submit(_worker_mark).result() == "set"


def test_a_scheduler_address_needs_the_dask_backend():
    with pytest.raises(ValueError, match="needs the dask backend, not 'thread'"):
        make_executor(Backend("thread", 2, scheduler_address="tcp://127.0.0.1:9"))


def test_dask_without_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with pytest.raises(BackendUnavailable, match=r"pip install 'titlefetch\[dask\]'"):
        require_backend("dask")
    require_backend("thread")  # the pools of this machine need nothing more


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_every_backend_keeps_32_fetches_in_flight_by_default(backend):
    assert default_workers(backend) == 32


@pytest.mark.parametrize(("cores", "expected"), [(8, 8), (None, 1)])
def test_a_process_per_core_by_default(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert default_processes() == expected


def test_processes_share_the_workers_out_as_threads():
    with make_executor(Backend("process", 5, processes=2)) as executor:
        pids = {executor.submit(os.getpid).result() for _ in range(20)}
        assert len(pids) <= 2
        assert os.getpid() not in pids


def test_only_pools_with_a_thread_per_fetch_start_every_call_at_once():
    from concurrent.futures import ProcessPoolExecutor

    with ThreadPoolExecutor(1) as threads, make_executor(Backend("process", 2)) as processes:
        assert starts_at_once(threads)
        assert starts_at_once(processes)
    with ProcessPoolExecutor(1) as stdlib_processes:  # one call at a time per process
        assert not starts_at_once(stdlib_processes)
