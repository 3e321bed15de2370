"""Origins that could not be reached, remembered for a while: later host lines of the same
host go straight to http, as browsers remember a host whose upgrade to https failed."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from titlefetch._errors import FetchError
from titlefetch.http.origin import Origin

REMEMBER_SECONDS = 600.0  # a site's https rarely comes up within a run; a long run may see it
MOST_ORIGINS = 4096


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
            if len(self._failures) > MOST_ORIGINS:
                self._failures.popitem(last=False)
