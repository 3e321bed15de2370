"""The HTTP transport: one GET -> its response head, over a kept-alive connection (or a proxy
the environment names), retried as urllib3's Retry policy says.

Direct requests are written and read by http1.py on connections.py's sockets: for a fetch
that reads a page's first kilobytes, urllib3's and http.client's layers cost more CPU than all
the rest of the fetch (benchmarks/README.md). Proxied ones go through urllib3 (proxies.py).
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    HTTPError,
    LocationValueError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from titlefetch.http import deadline, http1
from titlefetch.http.codings import ContentDecodingError
from titlefetch.http.connections import Connections, tls_context
from titlefetch.http.http1 import Headers
from titlefetch.http.origin import Origin

if TYPE_CHECKING:
    from titlefetch.http.proxies import Proxies

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
# A server asking for a longer pause than this gets no retry: its answer (429, 503) is final.
RETRY_AFTER_CEILING = 10.0
# urllib3 retries at once the first time, then waits 2 x BACKOFF_FACTOR, doubling each time:
# 0, 0.5, 1, 2, 4, 8, 8, ... seconds, plus up to BACKOFF_JITTER at random from the 2nd retry.
BACKOFF_FACTOR = 0.25
BACKOFF_JITTER = 0.25  # up to this many seconds added at random to each backoff
BACKOFF_MAX = 8.0
# What a failed request can raise: the socket's, http.client's, http1's and urllib3's errors.
FAILURES = (OSError, http.client.HTTPException, ContentDecodingError, HTTPError)
_SKIP_RETRIED = 64 * 1024  # a retried response's body is read to keep its connection if short


class Response(Protocol):
    """A response whose head has arrived (http1.Response, or a proxied one)."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def length_remaining(self) -> int | None: ...
    def get_redirect_location(self) -> str | None: ...
    def read1(self, most: int) -> bytes:
        """Up to `most` bytes of the decoded body; b"" at its end."""
        ...

    def skip_rest(self, limit: int) -> None:
        """Read and forget the rest of the body if it is at most `limit` bytes."""
        ...

    def release(self) -> None:
        """Done with it: its connection goes back to the pool, or is closed."""
        ...


@dataclass(frozen=True, slots=True)
class Transport:
    """What a process needs to send GETs with one set of options, shared by its threads."""

    connections: Connections
    proxies: Proxies | None  # only when a proxy variable is set
    retry: Retry
    connect_timeout: float

    def get(self, url: str, headers: Mapping[str, str]) -> Response:
        """The response to a GET of `url`, after the retries the policy allows.

        Raises:
            LocationValueError: `url` has no host or does not parse.
            MaxRetryError: the retries are spent; its reason is the last failure.
            Any of FAILURES that the policy does not retry (a TLS failure, for one).
        """
        target = _Target.of(url)
        retry = self.retry
        while True:
            try:
                response = self._send(url, target, headers)
            except FAILURES as exc:
                retry = retry.increment("GET", url, error=_as_retry_error(exc))
                retry.sleep()
                continue
            has_retry_after = bool(response.headers.get("Retry-After"))
            if not retry.is_retry("GET", response.status, has_retry_after):
                return response
            # Retry reads only .status, .headers and get_redirect_location() of a response.
            urllib3_view = cast(BaseHTTPResponse, response)
            try:
                retry = retry.increment("GET", url, response=urllib3_view)
            except MaxRetryError:
                return response  # the retries are spent: the last status stands
            response.skip_rest(_SKIP_RETRIED)
            response.release()
            retry.sleep(urllib3_view)

    def _send(self, url: str, target: _Target, headers: Mapping[str, str]) -> Response:
        if self.proxies is not None:
            proxied = self.proxies.send(url, headers)
            if proxied is not None:
                return proxied
        request = http1.encode_request(target.path, target.host_header, headers)
        sock = self.connections.take_idle(target.origin)
        if sock is not None:
            try:
                return self._exchange(sock, target.origin, request)
            except ConnectionError:
                # The server closed the kept-alive connection while it was idle: browsers
                # try once more on a new one, and so does this, outside the retry budget.
                if deadline.expired():
                    raise
        sock = self.connections.open(target.origin, self.connect_timeout)
        return self._exchange(sock, target.origin, request)

    def _exchange(self, sock: socket.socket, origin: Origin, request: bytes) -> http1.Response:
        try:
            sock.sendall(request)
            response = http1.read_response(sock)
        except BaseException:
            sock.close()
            raise
        response.on_release(functools.partial(self.connections.give_back, origin))
        return response


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a direct GET goes and what its request line and Host header say."""

    origin: Origin
    path: str  # path and query, percent-encoded where the URL was not
    host_header: str

    @classmethod
    def of(cls, url: str) -> _Target:
        parsed = parse_url(url)  # lower-cased, IDNA-encoded host; as urllib3 requests it
        if not parsed.host:
            raise LocationValueError(f"no host in {url!r}")
        scheme = parsed.scheme or "http"
        default_port = 443 if scheme == "https" else 80
        port = parsed.port or default_port
        host_header = parsed.host if port == default_port else f"{parsed.host}:{port}"
        origin = Origin(scheme, parsed.host.strip("[]"), port)
        return cls(origin, parsed.request_uri, host_header)


def _as_retry_error(exc: BaseException) -> Exception:
    """`exc` as urllib3 hands it to Retry: socket and protocol errors as ProtocolError."""
    if isinstance(exc, HTTPError):
        return exc
    return ProtocolError("Connection aborted.", exc)


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
        if isinstance(cause, SSLError | ssl.SSLError | ssl.CertificateError):
            return True
        if isinstance(cause, http.client.LineTooLong):
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


def new_transport(
    per_host: int, verify: bool | str, retries: int, timeouts: tuple[float, float]
) -> Transport:
    """A transport keeping at most `per_host` idle connections per origin; `timeouts` is
    (connect, whole attempt)."""
    proxies = None
    if _has_proxy_environment():  # only then are requests and its proxy rules imported
        from titlefetch.http.proxies import Proxies

        proxies = Proxies(per_host, verify, timeouts)
    return Transport(
        connections=Connections(
            per_host=per_host, tls_context=functools.partial(tls_context, verify)
        ),
        proxies=proxies,
        retry=new_retry(retries),
        connect_timeout=timeouts[0],
    )


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _has_proxy_environment() -> bool:
    return any(name.lower() in _PROXY_VARIABLES and value for name, value in os.environ.items())
