"""Requests through the proxies the environment names: requests' rules, urllib3's pools.

requests knows proxies: which URL goes through which proxy (no_proxy included), credentials
in the proxy URL, SOCKS (with the socks extra). Its adapter's urllib3 pools carry those
requests, with connections that die with the fetch attempt's deadline as direct ones do.

urllib3 makes and connects its connections inside urlopen(), out of our reach: the request's
Deadline reaches them through a context variable set for the duration of that one call (the
only place titlefetch passes something that way, and only into urllib3's callbacks).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies, select_proxy
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError
from urllib3.response import BaseHTTPResponse

from titlefetch.http._connections import resolve
from titlefetch.http._deadline import Deadline
from titlefetch.http._parser import Headers
from titlefetch.http._trust import Trust, tls_context

if TYPE_CHECKING:
    from titlefetch.http._failures import Limits

MAX_POOLS = 256  # proxies and hosts whose idle connections are kept
_READ_AHEAD = 64 * 1024
# A compressed rest is decompressed as it is read (urllib3 refuses raw reads after decoded
# ones), so only a short one is worth reading to keep the connection: a bomb stays cheap.
_SKIP_LIMIT_ENCODED = 64 * 1024
_SKIP_CHUNK = 256 * 1024
_deadline: ContextVar[Deadline | None] = ContextVar("titlefetch_proxied_deadline", default=None)


class Proxies:
    """Sends a GET through the proxy the environment names for its URL, if any."""

    def __init__(self, per_host: int, trust: Trust, limits: Limits) -> None:
        self._adapter = ProxyPools(per_host, trust)
        self._limits = limits

    def send(
        self, url: str, headers: Mapping[str, str], deadline: Deadline
    ) -> ProxiedResponse | None:
        """The response to a GET of `url` through its proxy; None if it goes direct.

        No retries and no redirects: the caller's loops do both.
        """
        proxy = select_proxy(url, get_environ_proxies(url))  # honours no_proxy, as requests
        if proxy is None:
            return None
        connect = deadline.within(self._limits.connect_timeout)
        # SOCKS connections are not watched: their reads are bounded by a timeout instead.
        read = None if self._adapter.watches(proxy) else deadline.within(self._limits.timeout)
        token = _deadline.set(deadline)
        try:
            raw = self._adapter.manager_for(proxy).urlopen(
                "GET",
                url,
                headers=dict(headers),
                redirect=False,
                retries=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
                preload_content=False,
                decode_content=True,
            )
        finally:
            _deadline.reset(token)
        return ProxiedResponse(raw)


class ProxiedResponse:
    """A urllib3 response, read as _http11.SocketResponse is."""

    __slots__ = ("_raw", "status", "headers", "encoded_limit")

    def __init__(self, raw: BaseHTTPResponse) -> None:
        self._raw = raw
        self.status = raw.status
        self.headers = Headers(raw.headers.items())
        self.encoded_limit: int | None = None  # urllib3 bounds each read's output itself

    @property
    def length_remaining(self) -> int | None:
        return self._raw.length_remaining

    @property
    def truncated(self) -> bool:
        return False

    def read1(self, most: int) -> bytes:
        return self._raw.read1(most, decode_content=True)

    def skip_rest(self, limit: int, deadline: Deadline) -> None:  # the deadline bounds it
        left = self._raw.length_remaining
        if self.headers.get("Content-Encoding"):
            limit = min(limit, _SKIP_LIMIT_ENCODED)
        if not left or left > limit:
            return
        with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
            while self._raw.read(_SKIP_CHUNK, decode_content=True):
                pass

    def release(self) -> None:
        self._raw.close()  # a body read to its end has already let go of its connection
        self._raw.release_conn()


class ProxyPools(HTTPAdapter):
    """requests' adapter, used for what it knows about proxies: HTTP ones (credentials in the
    URL become Proxy-Authorization) and SOCKS ones (with the socks extra)."""

    def __init__(self, per_host: int, trust: Trust) -> None:
        super().__init__(pool_connections=MAX_POOLS, pool_maxsize=per_host, pool_block=False)
        self._trust = trust

    def manager_for(self, proxy: str) -> PoolManager:
        return self.proxy_manager_for(proxy, **_tls(self._trust))

    @staticmethod
    def watches(proxy: str) -> bool:
        """Whether connections through `proxy` are watched by the deadline watchdog: SOCKS
        pools have connection classes of their own, kept rather than silently bypassed."""
        return not proxy.lower().startswith("socks")

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if self.watches(proxy):
            manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager


class _ReadAheadResponse(http.client.HTTPResponse):
    """http.client's response, reading its socket 64 KiB at a time instead of 8 KiB: fewer
    recv() calls, and each one hands the GIL to the other worker threads and back."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the 8 KiB reader, unused so far
        self.fp = sock.makefile("rb", _READ_AHEAD)  # type: ignore[assignment]  # a BufferedReader


class _SteadySocket(socket.socket):
    """A socket whose settimeout() makes no system call when the timeout does not change.

    urllib3 sets a pooled connection's timeout twice per request, and each call is an ioctl()
    that hands the GIL to another thread and back.
    """

    __slots__ = ()

    def settimeout(self, value: float | None) -> None:
        if value != self.gettimeout():
            super().settimeout(value)


def _steady(sock: socket.socket) -> _SteadySocket:
    timeout = sock.gettimeout()
    steady = _SteadySocket(sock.family, sock.type, sock.proto, sock.detach())
    socket.socket.settimeout(steady, timeout)  # the descriptor's mode is the timeout's
    return steady


class _WatchedConnection(HTTPConnection):
    """An HTTP connection (to a proxy) whose sockets die with the fetch attempt's deadline.

    The watchdog bounds every read and write, so once connected a socket keeps no timeout:
    with one, CPython would poll() before each send() and recv().
    """

    response_class = _ReadAheadResponse

    def _new_conn(self) -> socket.socket:
        deadline = _deadline.get()
        if deadline is not None:
            self.timeout = deadline.within(self.timeout)
        name = self._dns_host
        addresses = self._resolve(name)
        try:
            sock = self._connect_any(addresses)
        finally:
            self._dns_host = name
        steady = _steady(sock)
        if deadline is not None:
            deadline.watch(steady)
        return steady

    def _connect_any(self, addresses: list[str]) -> socket.socket:
        # What urllib3's create_connection does with the names it resolves itself.
        error: Exception | None = None
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()
            except ConnectTimeoutError as exc:  # NewConnectionError included
                error = exc
        raise error or OSError("getaddrinfo returned no address")

    def _resolve(self, name: str) -> list[str]:
        try:
            return resolve(name, self.port, self.timeout)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            message = f"resolving {self.host} took longer than {self.timeout}s"
            raise ConnectTimeoutError(self, message) from exc

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = _deadline.get()
        if self.sock is not None and deadline is not None:  # a pooled connection, reused
            deadline.watch(self.sock)
            self.timeout = self.sock.gettimeout()  # not the connect timeout: it is connected
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    """The HTTPS twin: the raw TCP socket is watched, so the TLS handshake is bounded too."""


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _validate_conn(self, conn: Any) -> None:
        # urllib3 warns on every unverified request; unverified means --insecure was given,
        # and a warning per URL on stderr would only repeat that choice.
        if conn.is_closed:
            conn.connect()


_POOL_CLASSES = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


def _tls(trust: Trust) -> dict[str, Any]:
    """Pool settings for certificates, as _trust.py chose them. (With the OS verifier, a pool's
    handshakes take turns on its one context: see _trust.py.)"""
    return {
        "ssl_context": tls_context(trust),
        "cert_reqs": "CERT_NONE" if trust.verifier == "none" else "CERT_REQUIRED",
    }


class _DropPoolFull(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Connection pool is full")


# A connection that cannot go back to a full pool is simply closed; that is no news to a user.
logging.getLogger("urllib3.connectionpool").addFilter(_DropPoolFull())
