"""Redirect hops to another host, as the --per-host cap of a thread pool sees them.

A thread pool's scheduler counts --per-host by the host each request goes to: before a fetch
follows a redirect, it asks the hook its scheduler set for the thread, which gives back the
slot of the host the chain leaves and takes (waiting, if need be) one on the host it enters.
Process and cluster workers have no hook: their scheduler, in another process, counts the
whole chain against the host of the input URL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from titlefetch import deadline

Hook = Callable[[str], None]  # called with the URL of the next hop, before it is requested
_local = threading.local()


@contextlib.contextmanager
def reported_to(hook: Hook) -> Iterator[None]:
    """Within the block, this thread's fetches call `hook` before each redirect hop."""
    _local.hook = hook
    try:
        yield
    finally:
        _local.hook = None


def entering(url: str) -> None:
    """A fetch is about to request `url`, a redirect's target: report it, if anyone listens.

    The hook may wait for a free slot on the new host; that wait is not the server's doing,
    so it does not count against the fetch's --timeout.
    """
    hook: Hook | None = getattr(_local, "hook", None)
    if hook is not None:
        with deadline.paused():
            hook(url)
