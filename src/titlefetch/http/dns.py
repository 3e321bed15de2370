"""Host name lookups that give up when the connect timeout passes.

getaddrinfo cannot be interrupted, and a dead resolver stalls it for many seconds, longer than
any --timeout: so it runs in a daemon thread of its own, and an answer that comes too late is
left behind (a pool would make the interpreter wait for it at exit).
"""

from __future__ import annotations

import contextlib
import ipaddress
import queue
import socket
import threading
from typing import Any

from urllib3.util.connection import allowed_gai_family


def resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of `host`, in getaddrinfo's order, without repeats.

    Raises:
        socket.gaierror: the name does not resolve.
        TimeoutError: no answer within `timeout` seconds.
    """
    bare = host.strip("[]")
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(bare))]  # an address already: nothing to look up
    answers: queue.SimpleQueue[Any] = queue.SimpleQueue()
    lookup = threading.Thread(
        target=_look_up, args=(bare, port, answers), name="titlefetch-dns", daemon=True
    )
    lookup.start()
    try:
        found = answers.get(timeout=timeout)
    except queue.Empty as exc:
        raise TimeoutError(f"no answer for {bare} within {timeout}s") from exc
    if isinstance(found, Exception):
        raise found
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _look_up(host: str, port: int, answers: queue.SimpleQueue[Any]) -> None:
    try:
        answers.put(socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM))
    except Exception as exc:  # handed to the waiting thread, which raises it
        answers.put(exc)
