"""Memory of a process and its descendants, read from /proc (Linux) in a sampling thread.

RSS counts shared pages in every process that maps them, so for a process pool it overstates;
PSS (proportional set size, from /proc/PID/smaps_rollup) splits shared pages between their
users, so the sum over a process tree is what the tree really costs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: seconds since the start, the root's RSS and the tree's PSS (KiB)."""

    seconds: float
    rss_kb: int
    pss_kb: int
    progress: int  # whatever the caller's progress function returned (0 without one)


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (children, grandchildren...), from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent_of(entry)
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        kids = children.get(stack.pop(), [])
        found += kids
        stack += kids
    return found


def _parent_of(entry: Path) -> int | None:
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces and parentheses: split after the last.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _field_kb(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_kb(pid: int) -> int:
    """Resident set size of one process, KiB (0 when it is gone)."""
    return _field_kb(PROC / str(pid) / "status", "VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional set size of one process, KiB (0 when it is gone or unreadable)."""
    return _field_kb(PROC / str(pid) / "smaps_rollup", "Pss:")


class TreeSampler:
    """Samples the RSS of `pid` and the summed PSS of it and its descendants, every `interval`."""

    def __init__(
        self, pid: int, interval: float, *, progress: Callable[[], int] | None = None
    ) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[Sample] = []
        self._progress = progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._started = time.perf_counter()

    def __enter__(self) -> TreeSampler:
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_rss_kb(self) -> int:
        return max((sample.rss_kb for sample in self.samples), default=0)

    @property
    def peak_pss_kb(self) -> int:
        return max((sample.pss_kb for sample in self.samples), default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._take()
            self._stop.wait(self.interval)

    def _take(self) -> None:
        rss = rss_kb(self.pid)
        if rss == 0:  # gone (or a zombie waiting to be reaped)
            return
        pss = sum(pss_kb(pid) for pid in [self.pid, *descendants(self.pid)])
        progress = self._progress() if self._progress else 0
        seconds = time.perf_counter() - self._started
        self.samples.append(Sample(seconds, rss, pss, progress))
