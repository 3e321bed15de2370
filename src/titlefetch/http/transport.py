"""The HTTP transport: one GET -> its response head, over a kept-alive connection (or a proxy
the environment names), retried as retries.py's policy says.

Direct requests are written and read by http1.py on connections.py's sockets: for a fetch
that reads a page's first kilobytes, urllib3's and http.client's layers cost more CPU than all
the rest of the fetch (benchmarks/README.md). Proxied ones go through urllib3 (proxies.py).
"""

from __future__ import annotations

import functools
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from urllib3.exceptions import LocationValueError
from urllib3.util import parse_url

from titlefetch._errors import FetchError
from titlefetch.http import http1
from titlefetch.http.connections import Connections
from titlefetch.http.deadline import Deadline
from titlefetch.http.failures import (
    CONNECT,
    FAILURES,
    RESPONSE,
    Limits,
    classify,
    is_unreachable,
    timed_out,
)
from titlefetch.http.headers import Headers
from titlefetch.http.origin import Origin
from titlefetch.http.retries import RetryPolicy
from titlefetch.http.strays import StrayOrigins
from titlefetch.http.trust import Trust, tls_context

if TYPE_CHECKING:
    from titlefetch.http.proxies import Proxies

_SKIP_RETRIED = 64 * 1024  # a retried response's body is read to keep its connection if short


class Response(Protocol):
    """A response whose head has arrived (http1.Response, or a proxied one)."""

    status: int
    headers: Headers
    encoded_limit: int | None  # body bytes (as sent) a content-coded body may use

    @property
    def length_remaining(self) -> int | None: ...
    @property
    def truncated(self) -> bool:
        """Whether decoding stopped at a limit (encoded_limit, gzip members) before the end."""
        ...

    def read1(self, most: int) -> bytes:
        """Up to `most` bytes of the decoded body; b"" at its end."""
        ...

    def skip_rest(self, limit: int, deadline: Deadline) -> None:
        """Read and forget the rest of the body if it is at most `limit` bytes and comes
        within http1.DRAIN_SECONDS (and `deadline`), so that the connection can be reused."""
        ...

    def release(self) -> None:
        """Done with it: its connection goes back to the pool, or is closed."""
        ...


@dataclass(frozen=True, slots=True)
class Transport:
    """What a process needs to send GETs with one set of options, shared by its threads."""

    connections: Connections
    proxies: Proxies | None  # only when a proxy variable is set
    policy: RetryPolicy
    limits: Limits  # the timeouts (connect_timeout bounds each new connection)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    trust: Trust | None = None  # what certificates are checked against, named in TLS errors

    def get(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: Deadline,
        *,
        retry_unreachable: bool = True,
    ) -> Response:
        """The response to a GET of `url`, after the retries the policy allows; each retry
        gets a fresh allowance of `deadline`. `retry_unreachable=False`: a server that cannot
        be reached (failures.is_unreachable) is not tried again.

        Raises:
            FetchError: the URL cannot be fetched, or the last try failed.
        """
        target = _Target.of(url)
        retry = 1
        while True:
            try:
                response = self._send(url, target, headers, deadline)
            except FetchError as failure:
                pause = self.policy.pause_after_failure(failure, retry)
                if pause is None or (not retry_unreachable and is_unreachable(failure)):
                    if retry > 1:  # the time spent is not a mystery: say it was tried again
                        failure.message = f"after {retry} tries, {failure.message}"
                    raise
            else:
                pause = self.policy.pause_after_status(
                    response.status, response.headers.get("Retry-After"), retry, time.time()
                )
                if pause is None:
                    return response
                response.skip_rest(_SKIP_RETRIED, deadline)
                response.release()
            retry += 1
            self.sleep(pause)
            deadline.renew()

    def _send(
        self, url: str, target: _Target, headers: Mapping[str, str], deadline: Deadline
    ) -> Response:
        if self.proxies is not None:
            try:
                proxied = self.proxies.send(url, headers, deadline)
            except FAILURES as exc:  # urllib3's: its type tells the stage
                raise self._failure(exc, url, deadline, None) from exc
            if proxied is not None:
                return proxied
        request = http1.encode_request(target.path, target.host_header, headers)
        sock = self.connections.take_idle(target.origin, deadline)
        if sock is not None:
            try:
                return self._exchange(sock, target.origin, request)
            except ConnectionError:
                # The server closed the kept-alive connection while the request was on its
                # way: browsers try once more on a new one, and so does this, outside the
                # retry budget.
                if deadline.expired:
                    raise timed_out(self.limits, RESPONSE) from None
            except FAILURES as exc:
                raise self._failure(exc, url, deadline, RESPONSE) from exc
        try:
            sock = self.connections.open(target.origin, self.limits.connect_timeout, deadline)
        except FAILURES as exc:
            raise self._failure(exc, url, deadline, CONNECT) from exc
        try:
            return self._exchange(sock, target.origin, request)
        except FAILURES as exc:
            raise self._failure(exc, url, deadline, RESPONSE) from exc

    def _failure(
        self, exc: BaseException, url: str, deadline: Deadline, stage: str | None
    ) -> FetchError:
        expired = deadline.expired
        return classify(exc, url, self.limits, stage=stage, expired=expired, trust=self.trust)

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
        """Raises FetchError (invalid_url) for a URL without a usable host or port."""
        try:
            parsed = parse_url(url)  # lower-cased, IDNA-encoded host; as urllib3 requests it
        except LocationValueError as exc:
            raise FetchError("invalid_url", f"not a fetchable URL: {exc}", permanent=True) from exc
        if not parsed.host or parsed.port == 0:
            message = f"not a fetchable URL: no host or port in {url!r}"
            raise FetchError("invalid_url", message, permanent=True)
        scheme = parsed.scheme or "http"
        default_port = 443 if scheme == "https" else 80
        port = parsed.port or default_port
        host_header = parsed.host if port == default_port else f"{parsed.host}:{port}"
        origin = Origin(scheme, parsed.host.strip("[]"), port)
        return cls(origin, parsed.request_uri, host_header)


def new_transport(
    per_host: int,
    trust: Trust,
    policy: RetryPolicy,
    limits: Limits,
    *,
    strays: StrayOrigins | None = None,
) -> Transport:
    """A transport keeping at most `per_host` idle connections per origin, none to `strays`."""
    proxies = None
    if _has_proxy_environment():  # only then are requests and its proxy rules imported
        from titlefetch.http.proxies import Proxies

        proxies = Proxies(per_host, trust, limits)
    return Transport(
        connections=Connections(
            per_host=per_host, tls_context=functools.partial(tls_context, trust), strays=strays
        ),
        proxies=proxies,
        policy=policy,
        limits=limits,
        trust=trust,
    )


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _has_proxy_environment() -> bool:
    return any(name.lower() in _PROXY_VARIABLES and value for name, value in os.environ.items())
