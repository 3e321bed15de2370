"""Origins that sent bytes nobody asked for: their connections are never reused again.

A response nobody asked for that arrives after the next request went out on the same
connection is read as its answer: no HTTP/1.1 client can tell, the first time. Every later time
can be prevented: once an origin has sent stray bytes (on an idle connection, or past a
response's end), each request to it goes on a new connection, for the rest of the run.

Within a process the origins are a set. The processes of the process backend also share a small
table in shared memory (made by the parent with new_table(), given to each worker at start):
64-bit hashes of the origins, open addressing. It is a best effort: two processes writing the
same free slot at once keep one of the origins; the other process still keeps its own.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing.sharedctypes
import threading
from collections.abc import MutableSequence

from titlefetch.http.origin import Origin

TABLE_SLOTS = 4096  # shared hashes; more origins than that are kept by each process alone
MAX_ORIGINS = 4096  # origins a process keeps
_PROBES = 8
Table = MutableSequence[int]  # a RawArray of c_uint64, shared by the processes of a run


def new_table() -> Table:
    """A table for the processes of one run to share (passed to them when they start)."""
    table = multiprocessing.sharedctypes.RawArray(ctypes.c_uint64, TABLE_SLOTS)
    return table  # type: ignore[return-value]  # an Array of c_uint64 reads and writes ints


class StrayOrigins:
    """The origins of this process (and, given a table, of every process of the run) whose
    connections are not reused."""

    def __init__(self, table: Table | None = None) -> None:
        self._local: set[Origin] = set()
        self._table = table
        self._hashes: dict[Origin, int] = {}  # computed once per origin (bounded)
        self._lock = threading.Lock()

    def add(self, origin: Origin) -> None:
        """Reuse no connection to `origin` from now on."""
        with self._lock:
            if len(self._local) < MAX_ORIGINS:
                self._local.add(origin)
        table = self._table
        if table is not None:
            wanted = self._hash(origin)
            for slot in _slots(wanted, len(table)):
                if table[slot] in (0, wanted):
                    table[slot] = wanted
                    return

    def clear(self) -> None:
        """Forget the origins of this process (a table is the run's: it stays)."""
        with self._lock:
            self._local.clear()

    def __contains__(self, origin: Origin) -> bool:
        if origin in self._local:
            return True
        table = self._table
        if table is None:
            return False
        wanted = self._hash(origin)
        for slot in _slots(wanted, len(table)):
            found = table[slot]
            if found == wanted:
                with self._lock:
                    self._local.add(origin)
                return True
            if found == 0:
                return False
        return False

    def _hash(self, origin: Origin) -> int:
        """A hash of `origin` (host:port) that every process computes alike (str's hash() is
        salted per process); never 0, which marks a free slot."""
        found = self._hashes.get(origin)
        if found is None:
            if len(self._hashes) >= MAX_ORIGINS:
                self._hashes.clear()
            digest = hashlib.blake2b(str(origin).encode(), digest_size=8).digest()
            found = self._hashes[origin] = int.from_bytes(digest, "big") | 1
        return found


def _slots(wanted: int, size: int) -> list[int]:
    return [(wanted + step) % size for step in range(_PROBES)]
