"""A process's children and whether they are gone, read from /proc (Linux): for the tests that
check a run leaves no process behind."""

from __future__ import annotations

import os
import time
from pathlib import Path


def children_of(pid: int) -> list[int]:
    """The pids of `pid`'s direct children."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def is_running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_gone(pids: list[int]) -> list[int]:
    """Wait up to 5 s for `pids` to end; the ones still running."""
    for _ in range(100):
        left = [pid for pid in pids if is_running(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return left


def processes_with(variable: str) -> list[int]:
    """The running processes whose environment has `variable` (NAME=value): a test marks the
    command it starts with one, and finds every process started below it, even those that
    left its tree (a browser's helpers)."""
    needle = variable.encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if needle in environ.split(b"\0") and is_running(int(entry)):
                found.append(int(entry))
    return found
