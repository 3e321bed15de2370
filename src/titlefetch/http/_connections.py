"""Connections to origins: opened (name lookup, TCP, TLS) within the attempt's deadline, and
kept alive between requests, at most `per_host` idle ones per origin.

Every socket handed out is watched by the attempt's Deadline, which bounds each read and write
of the attempt; so once connected a socket keeps no timeout of its own (with one, CPython
would poll() before each send() and recv()). An idle socket is handed out again only when
nothing arrived on it while it was idle (urllib3's connectionpool checks the same): bytes
there are a response nobody asked for, or the server's close.
"""

from __future__ import annotations

import contextlib
import ipaddress
import queue
import select
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from urllib3.exceptions import ConnectTimeoutError
from urllib3.util.connection import allowed_gai_family

from titlefetch.http._deadline import Deadline
from titlefetch.http._origins import Origin, StrayOrigins

MAX_ORIGINS = 256  # origins whose idle connections are kept; the least recently used go first


class Connections:
    """Idle keep-alive sockets per origin, shared by the threads of a process."""

    def __init__(
        self,
        *,
        per_host: int,
        tls_context: Callable[[], ssl.SSLContext],
        strays: StrayOrigins | None = None,
    ) -> None:
        self._per_host = per_host
        self._tls_context = tls_context  # called for HTTPS connections only
        # Origins whose connections are not reused: this pool's own unless given a shared one.
        self.strays = strays if strays is not None else StrayOrigins()
        self._idle: OrderedDict[Origin, list[socket.socket]] = OrderedDict()
        self._lock = threading.Lock()

    def take_idle(self, origin: Origin, deadline: Deadline) -> socket.socket | None:
        """The most recently used idle socket to `origin` on which nothing arrived while it
        was idle, watched by `deadline`. Others are closed on the way; an origin that sent
        bytes on one gets no reused connection again (_origins.py)."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                sock = idle.pop() if idle else None
            if sock is None or is_quiet(sock):
                break
            if has_stray_bytes(sock):
                self.strays.add(origin)
            sock.close()
        if sock is not None and origin in self.strays:
            sock.close()
            sock = None
        if sock is not None:
            deadline.watch(sock)
        return sock

    def give_back(
        self, origin: Origin, sock: socket.socket, reusable: bool, stray: bool = False
    ) -> None:
        """Keep `sock` for the next request to `origin` if it is `reusable` and there is room;
        `stray`: bytes came past the response's end (no connection to `origin` is reused)."""
        if stray:
            self.strays.add(origin)
        evicted: list[socket.socket] = [sock]
        if reusable and origin not in self.strays:
            with self._lock:
                idle = self._idle.setdefault(origin, [])
                self._idle.move_to_end(origin)
                if len(idle) < self._per_host:
                    idle.append(sock)
                    evicted = []
                if len(self._idle) > MAX_ORIGINS:
                    evicted += self._idle.popitem(last=False)[1]
        for stale in evicted:
            stale.close()

    def open(self, origin: Origin, connect_timeout: float, deadline: Deadline) -> socket.socket:
        """A new connection to `origin` (TLS for https), watched by `deadline`.

        Raises:
            ConnectTimeoutError: no answer to the lookup, connect or handshake in time.
            socket.gaierror: the name does not resolve.
            ssl.SSLError: the TLS handshake failed (an untrusted certificate among others).
            OSError: refused, unreachable, ...
        """
        timeout = deadline.within(connect_timeout)
        try:
            addresses = resolve(origin.host, origin.port, timeout)
        except TimeoutError as exc:
            message = f"resolving {origin.host} took longer than {timeout:g}s"
            raise ConnectTimeoutError(message) from exc
        # Until it is connected, the socket's timeout bounds each step (connect, handshake).
        sock = _connect_any(addresses, origin, connect_timeout, deadline)
        if origin.scheme == "https":
            sock = self._secure(sock, origin, connect_timeout, deadline)
        sock.settimeout(None)
        deadline.watch(sock)
        return sock

    def _secure(
        self, sock: socket.socket, origin: Origin, connect_timeout: float, deadline: Deadline
    ) -> socket.socket:
        try:
            secure = self._tls_context().wrap_socket(
                sock, server_hostname=origin.host, do_handshake_on_connect=False
            )
        except BaseException:
            sock.close()
            raise
        timeout = deadline.within(connect_timeout)
        try:
            secure.settimeout(timeout)
            secure.do_handshake()
        except TimeoutError as exc:
            secure.close()
            message = f"no TLS handshake with {origin} within {timeout:g}s"
            raise ConnectTimeoutError(message) from exc
        except BaseException:
            secure.close()
            raise
        return secure

    def close(self) -> None:
        """Close every idle socket."""
        with self._lock:
            idle = [sock for socks in self._idle.values() for sock in socks]
            self._idle.clear()
        for sock in idle:
            sock.close()


def is_quiet(sock: socket.socket) -> bool:
    """Whether nothing can be read from idle `sock`: no byte, and no close, came while idle."""
    # A zero-timeout poll, as urllib3's wait_for_read: a peeking recv() that finds nothing
    # raises BlockingIOError, which cost ~5 times as much per reuse.
    readable = select.poll()
    readable.register(sock, select.POLLIN)
    return not readable.poll(0)


def has_stray_bytes(sock: socket.socket) -> bool:
    """Whether what arrived on idle, readable `sock` is bytes (not a close or a reset). For a
    TLS socket, the bytes may be the server's close_notify: never called stray."""
    if isinstance(sock, ssl.SSLSocket):
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:
        return False


def _connect_any(
    addresses: list[str], origin: Origin, connect_timeout: float, deadline: Deadline
) -> socket.socket:
    """A socket connected to the first of `addresses` that accepts, as urllib3 connects."""
    error: Exception | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        timeout = deadline.within(connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as urllib3
            sock.settimeout(timeout)
            sock.connect((address, origin.port))
            return sock
        except TimeoutError as exc:
            sock.close()
            error = ConnectTimeoutError(f"no connection to {origin} within {timeout:g}s")
            error.__cause__ = exc
        except OSError as exc:
            with contextlib.suppress(OSError):
                sock.close()
            error = exc
    raise error or OSError(f"no address for {origin.host}")


# Host name lookups that give up when the connect timeout passes.
#
# getaddrinfo cannot be interrupted, and a dead resolver stalls it for many seconds, longer than
# any --timeout: so it runs in a daemon thread of its own, and an answer that comes too late is
# left behind (a pool would make the interpreter wait for it at exit).


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
