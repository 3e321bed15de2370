"""Origins (scheme, host, port) and what a process remembers of them: stray bytes, no answer.

Origins that sent bytes nobody asked for get no reused connection again. A response nobody
asked for that arrives after the next request went out on the same connection is read as its
answer: no HTTP/1.1 client can tell, the first time. Every later time can be prevented: once
an origin has sent stray bytes (on an idle connection, or past a response's end), each request
to it goes on a new connection, for the rest of the run.

Within a process the origins are a set. The processes of the process backend also share a small
table in shared memory (made by the parent with new_table(), given to each worker at start):
64-bit hashes of the origins, open addressing. It is a best effort: two processes writing the
same free slot at once keep one of the origins; the other process still keeps its own.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.util import parse_url

from titlefetch._errors import FetchError

TABLE_SLOTS = 4096  # shared hashes; more origins than that are kept by each process alone
MAX_ORIGINS = 4096  # origins a process keeps in each of its sets (stray, unreachable)
_PROBES = 8
StrayTable = MutableSequence[int]  # a RawArray of c_uint64, shared by the processes of a run


def new_table() -> StrayTable:
    """A table for the processes of one run to share (passed to them when they start)."""
    import ctypes  # here: only the process backend shares a table
    import multiprocessing.sharedctypes

    table = multiprocessing.sharedctypes.RawArray(ctypes.c_uint64, TABLE_SLOTS)
    return table  # type: ignore[return-value]  # an Array of c_uint64 reads and writes ints


class StrayOrigins:
    """The origins of this process (and, given a table, of every process of the run) whose
    connections are not reused."""

    def __init__(self, table: StrayTable | None = None) -> None:
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


# Origin: where a request goes (scheme, host, port), the one notion of "host" in titlefetch.
#
# Connections are kept per origin, --per-host counts requests per origin, and credentials
# follow a redirect only within one.

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host (lower case, IDNA, IPv6 without brackets) and port (the scheme's default
    when the URL names none)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of an http(s) URL.

        >>> Origin.of("HTTP://Example.TEST/a")
        Origin(scheme='http', host='example.test', port=80)
        >>> str(Origin.of("https://[::1]:8443/"))
        '[::1]:8443'

        Raises:
            ValueError: the URL has no host, or its port is not a number from 0 to 65535.
        """
        parts = urlsplit(url)
        host = parts.hostname  # lower-cased, brackets of an IPv6 address removed
        if not host:
            raise ValueError(f"no host in {url!r}")
        if not host.isascii():  # IDNA, as urllib3 encodes it for the request
            host = (parse_url(url).host or host).strip("[]")
        scheme = parts.scheme.lower()
        port = parts.port  # a ValueError when not a number from 0 to 65535
        return cls(scheme, host, DEFAULT_PORTS.get(scheme, 80) if port is None else port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


# Origins that could not be reached, remembered for a while: later host lines of the same
# host go straight to http, as browsers remember a host whose upgrade to https failed.

REMEMBER_SECONDS = 600.0  # a site's https rarely comes up within a run; a long run may see it


class UnreachableOrigins:
    """The failure of each origin that could not be reached, for REMEMBER_SECONDS at most;
    shared by a process's threads."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[Origin, tuple[float, FetchError]] = OrderedDict()
        self._lock = threading.Lock()

    def failure(self, url: str) -> FetchError | None:
        """How `url`'s origin failed lately, or None if it was not found unreachable."""
        origin = Origin.of(url)
        with self._lock:
            found = self._failures.get(origin)
            if found is None:
                return None
            until, failure = found
            if self._clock() >= until:
                del self._failures[origin]
                return None
            return failure

    def remember(self, url: str, failure: FetchError) -> None:
        """Remember that `url`'s origin could not be reached, and how."""
        origin = Origin.of(url)
        with self._lock:
            self._failures[origin] = (self._clock() + REMEMBER_SECONDS, failure)
            self._failures.move_to_end(origin)
            if len(self._failures) > MAX_ORIGINS:
                self._failures.popitem(last=False)
