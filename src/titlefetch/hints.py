"""What a thread pool's scheduler and the fetch running in one of its threads tell each other.

- A redirect hop to another host: --per-host counts each request by the host it goes to, so
  before a fetch follows a redirect, the scheduler gives back the slot of the host the chain
  leaves and takes (waiting, if need be) one on the host it enters.
- Whether more URLs wait for a host: only then is reading the unread rest of a page worth it,
  to keep its connection for the next one.

Process and cluster workers have no scheduler in their process: their whole redirect chain
counts against the host of the input URL, and every connection is kept where it can be.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from titlefetch import deadline

_local = threading.local()


@contextlib.contextmanager
def given_by(
    *, entering: Callable[[str], None], is_wanted: Callable[[str], bool]
) -> Iterator[None]:
    """Within the block, this thread's fetches call `entering(url)` before each redirect hop
    (it may wait for a slot) and ask `is_wanted(url)` whether more URLs wait for its host."""
    _local.entering, _local.is_wanted = entering, is_wanted
    try:
        yield
    finally:
        _local.entering = _local.is_wanted = None


def entering(url: str) -> None:
    """A fetch is about to request `url`, a redirect's target: report it, if anyone listens.

    The scheduler may wait for a free slot on the new host; that wait is not the server's
    doing, so it does not count against the fetch's --timeout.
    """
    report: Callable[[str], None] | None = getattr(_local, "entering", None)
    if report is not None:
        with deadline.paused():
            report(url)


def is_wanted(url: str) -> bool:
    """Whether a connection to the host of `url` will serve another URL soon (True when no
    scheduler can tell)."""
    ask: Callable[[str], bool] | None = getattr(_local, "is_wanted", None)
    return ask is None or ask(url)
