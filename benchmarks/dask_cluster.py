"""A running Dask cluster for the benchmarks: a `dask scheduler` and N `dask worker` processes.

Started once, outside the runs it serves, so that each run measures titlefetch against a
cluster that is already up (as a user's would be), and so that the scheduler's and the
workers' CPU can be read apart from the client's: `cpu_seconds()` before and after a run.
Optionally each worker runs in a network namespace of its own (see netns.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sampling import descendants

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """utime + stime of one live process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a worker and its nanny)."""
    return sum(process_cpu(each) for each in [pid, *descendants(pid)])


@dataclass
class Cluster:
    """The address of a running scheduler and the processes to read CPU from."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far: the scheduler's, and all workers' together."""
        return tree_cpu(self.scheduler.pid), sum(tree_cpu(w.pid) for w in self.workers)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_for_file(path: Path, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
        time.sleep(0.05)
    sys.exit(f"dask_cluster.py: no scheduler after {timeout:g} s")


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=60)


@contextlib.contextmanager
def running_cluster(
    workers: int,
    threads: int,
    *,
    host: str = "127.0.0.1",
    worker_prefixes: Sequence[Sequence[str]] = (),
) -> Iterator[Cluster]:
    """A scheduler on `host` and `workers` workers of `threads` threads; worker i is started
    with worker_prefixes[i] in front (e.g. `ip netns exec NAME`) and its address then."""
    quiet: dict[str, object] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    # As docs/cluster.md advises for fetching: no statistical profiler sampling every thread's
    # stack 100 times a second (a sixth of a worker's CPU with titlefetch's threads).
    quiet["env"] = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    with tempfile.TemporaryDirectory(prefix="titlefetch-dask-") as folder:
        scheduler_file = Path(folder) / "scheduler.json"
        command = [_bin("dask"), "scheduler", "--host", host, "--port", "0", "--no-dashboard"]
        scheduler = subprocess.Popen([*command, "--scheduler-file", str(scheduler_file)], **quiet)
        cluster = Cluster(str(_wait_for_file(scheduler_file)["address"]), scheduler)
        try:
            for n in range(workers):
                prefix = list(worker_prefixes[n]) if n < len(worker_prefixes) else []
                worker = [_bin("dask"), "worker", cluster.address, "--nthreads", str(threads)]
                worker += ["--no-dashboard", "--memory-limit", "0"]
                cluster.workers.append(subprocess.Popen([*prefix, *worker], **quiet))
            _wait_for_workers(cluster.address, workers)
            yield cluster
        finally:
            for process in [*cluster.workers, scheduler]:
                process.terminate()
            for process in [*cluster.workers, scheduler]:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
