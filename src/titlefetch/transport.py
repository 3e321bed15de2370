"""The HTTP transport: deadline-aware connections, shared pools, retries.

All worker threads of a process share one PoolManager per FetchOptions, so keep-alive
connections are shared across threads and at most `per_host` idle ones are kept per host.
"""

from __future__ import annotations

import functools
import http.client
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry
from urllib3.util.ssl_ import create_urllib3_context

from titlefetch import deadline, dns

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
# A server asking for a longer pause than this gets no retry: its answer (429, 503) is final.
RETRY_AFTER_CEILING = 10.0
# urllib3 retries at once the first time, then waits 2 x BACKOFF_FACTOR, doubling each time:
# 0, 0.5, 1, 2, 4, 8, 8, ... seconds, plus up to BACKOFF_JITTER at random from the 2nd retry.
BACKOFF_FACTOR = 0.25
BACKOFF_JITTER = 0.25  # up to this many seconds added at random to each backoff
BACKOFF_MAX = 8.0
MAX_POOLS = 256  # hosts whose idle connections are kept
_READ_AHEAD = 64 * 1024


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
    """An HTTP connection whose sockets die with the current fetch attempt's deadline.

    The watchdog bounds every read and write, so once connected a socket keeps no timeout:
    with one, CPython would poll() before each send() and recv().
    """

    response_class = _ReadAheadResponse

    def _new_conn(self) -> socket.socket:
        left = deadline.remaining()
        if left is not None and (self.timeout is None or self.timeout > left):
            self.timeout = max(left, 0.001)
        name = self._dns_host
        addresses = self._resolve(name)
        try:
            sock = self._connect_any(addresses)
        finally:
            self._dns_host = name
        steady = _steady(sock)
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
            return dns.resolve(name, self.port, self.timeout)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            message = f"resolving {self.host} took longer than {self.timeout}s"
            raise ConnectTimeoutError(self, message) from exc

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # a pooled connection, reused by this attempt
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


class FetchRetry(Retry):
    """urllib3's Retry, plus: a fresh deadline per attempt, no retry of permanent failures,
    and no retry when Retry-After asks for more than RETRY_AFTER_CEILING seconds."""

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if error is not None and deadline.expired():
            error = ReadTimeoutError(_pool, url, "deadline passed")  # type: ignore[arg-type]
        elif error is not None and _is_permanent(error):
            raise error
        if response is not None and self._asks_too_long_a_pause(response):
            raise MaxRetryError(_pool, url, None)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def _asks_too_long_a_pause(self, response: BaseHTTPResponse) -> bool:
        value = response.headers.get("Retry-After")
        if value is None or not self.respect_retry_after_header:
            return False
        try:
            return self.parse_retry_after(value) > RETRY_AFTER_CEILING
        except ValueError:  # urllib3's InvalidHeader: ignore the header
            return False

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        super().sleep(response)
        deadline.renew()


def _is_permanent(error: Exception) -> bool:
    """Failures a retry cannot fix: certificates, oversized headers, unknown host names."""
    for cause in causes(error):
        if isinstance(cause, SSLError | http.client.LineTooLong):
            return True
        if isinstance(cause, http.client.HTTPException) and "more than" in str(cause):
            return True  # "got more than 100 headers"
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            return True
    return False


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception it wraps: reason, args, __cause__ and __context__."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [getattr(current, "reason", None), *current.args]
        inner += [current.__cause__, current.__context__]
        todo += [item for item in inner if isinstance(item, BaseException)]


def new_retry(retries: int) -> FetchRetry:
    """The retry policy for `retries` retries of GET after errors and retryable statuses."""
    return FetchRetry(
        total=retries,
        other=0,  # TLS failures and the like: see _is_permanent
        redirect=False,  # fetch.py follows redirects itself
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=BACKOFF_FACTOR,
        backoff_jitter=BACKOFF_JITTER,
        backoff_max=BACKOFF_MAX,
        raise_on_status=False,
    )


def new_pools(per_host: int, verify: bool | str) -> PoolManager:
    """Pools keeping at most `per_host` idle connections per host, never blocking."""
    manager = _Pools(verify, num_pools=MAX_POOLS, maxsize=per_host, block=False)
    manager.pool_classes_by_scheme = _POOL_CLASSES
    return manager


class _Pools(PoolManager):
    """A PoolManager that loads certificates when its first HTTPS pool is made, not before:
    a run over plain HTTP never pays for it."""

    def __init__(self, verify: bool | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._verify = verify

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        if scheme == "https":
            context = request_context or self.connection_pool_kw
            request_context = {**context, **_tls(self._verify)}
        return super()._new_pool(scheme, host, port, request_context)


class ProxyPools(HTTPAdapter):
    """requests' adapter, used for what it knows about proxies: HTTP ones (credentials in the
    URL become Proxy-Authorization) and SOCKS ones (with the socks extra)."""

    def __init__(self, per_host: int, verify: bool | str) -> None:
        super().__init__(pool_connections=MAX_POOLS, pool_maxsize=per_host, pool_block=False)
        self._verify = verify

    def manager_for(self, proxy: str) -> PoolManager:
        return self.proxy_manager_for(proxy, **_tls(self._verify))

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


def _tls(verify: bool | str) -> dict[str, Any]:
    """Pool settings for certificates: False (--insecure), True (certifi's bundle, as
    requests), or a bundle file or folder."""
    return {
        "ssl_context": _tls_context(verify),
        "cert_reqs": "CERT_REQUIRED" if verify is not False else "CERT_NONE",
    }


@functools.cache
def _tls_context(verify: bool | str) -> ssl.SSLContext:
    # One context per process and setting: loading a bundle costs ~30 ms of CPU.
    context = create_urllib3_context()
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    if os.path.isdir(bundle):
        context.load_verify_locations(capath=bundle)
    else:
        context.load_verify_locations(cafile=bundle)
    return context


class _DropPoolFull(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Connection pool is full")


# A connection that cannot go back to a full pool is simply closed; that is no news to a user.
logging.getLogger("urllib3.connectionpool").addFilter(_DropPoolFull())
