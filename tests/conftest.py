"""Shared fixtures: a real HTTP server on 127.0.0.1 whose pages each test defines."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.page_server import PageServer

# No test may read proxy settings: every request goes straight to 127.0.0.1.
for _name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"


@pytest.fixture
def server() -> Iterator[PageServer]:
    """A page server on a free port of 127.0.0.1, shut down after the test."""
    with PageServer() as running:
        yield running


@pytest.fixture(autouse=True, scope="session")
def _idle_connections_closed_at_the_end() -> Iterator[None]:
    """Clients live as long as their process; close their sockets before the interpreter does
    (it would warn about each one)."""
    yield
    from titlefetch.http._clients import close_clients

    close_clients()


@pytest.fixture(autouse=True)
def _no_titlefetch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults from a developer's TITLEFETCH_* variables must not change what tests see."""
    for name in list(os.environ):
        if name.startswith("TITLEFETCH_") or name == "NO_COLOR":
            monkeypatch.delenv(name)


@contextlib.contextmanager
def _started(args: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def dask_scheduler_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A `dask scheduler` and two `dask worker`s (4 threads each) on 127.0.0.1, as separate
    processes, started once for all the tests that ask for them."""
    pytest.importorskip("distributed")  # the dask extra; scripts/setup installs it
    path = tmp_path_factory.mktemp("dask") / "scheduler.json"
    common = ["--scheduler-file", str(path), "--no-dashboard"]
    dask = str(Path(sys.executable).parent / "dask")
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _started([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", *common])
        )
        for _ in range(2):
            worker = [dask, "worker", "--host", "127.0.0.1", "--nthreads", "4", *common]
            stack.enter_context(_started(worker))
        yield path


@pytest.fixture
def dask_cluster(dask_scheduler_file: Path) -> Iterator[Any]:
    """A distributed.Client on that cluster, once both its workers are connected (a test may
    have killed one: its nanny starts another)."""
    from distributed import Client

    deadline = time.monotonic() + 20
    while not dask_scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with Client(scheduler_file=str(dask_scheduler_file), timeout=20) as client:
        client.wait_for_workers(2, timeout=20)
        yield client
