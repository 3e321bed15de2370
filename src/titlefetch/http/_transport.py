"""The HTTP transport: one GET -> its response head, over a kept-alive connection (or a proxy
the environment names), retried as its RetryPolicy says.

Direct requests are written and read by _http11.py on _connections.py's sockets: for a fetch
that reads a page's first kilobytes, urllib3's and http.client's layers cost more CPU than all
the rest of the fetch (benchmarks/README.md). Proxied ones go through urllib3 (_proxies.py).
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import os
import random
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from urllib3.exceptions import LocationValueError
from urllib3.util import parse_url

from titlefetch._errors import FetchError
from titlefetch.http import _http11
from titlefetch.http._connections import Connections
from titlefetch.http._deadline import Deadline
from titlefetch.http._failures import (
    CONNECT,
    FAILURES,
    RESPONSE,
    Limits,
    classify,
    is_unreachable,
    timed_out,
)
from titlefetch.http._origins import Origin, StrayOrigins
from titlefetch.http._parser import Headers
from titlefetch.http._trust import Trust, tls_context

if TYPE_CHECKING:
    from titlefetch.http._proxies import Proxies

_SKIP_RETRIED = 64 * 1024  # a retried response's body is read to keep its connection if short


class OpenResponse(Protocol):
    """A response whose head has arrived (_http11.SocketResponse, or a ProxiedResponse)."""

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
        within _http11.DRAIN_SECONDS (and `deadline`), so that the connection can be reused."""
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
    ) -> OpenResponse:
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
    ) -> OpenResponse:
        if self.proxies is not None:
            try:
                proxied = self.proxies.send(url, headers, deadline)
            except FAILURES as exc:  # urllib3's: its type tells the stage
                raise self._failure(exc, url, deadline, None) from exc
            if proxied is not None:
                return proxied
        request = _http11.encode_request(target.path, target.host_header, headers)
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

    def _exchange(
        self, sock: socket.socket, origin: Origin, request: bytes
    ) -> _http11.SocketResponse:
        try:
            sock.sendall(request)
            response = _http11.read_response(sock)
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
        from titlefetch.http._proxies import Proxies

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


# When a GET is tried again, and how long it waits first: the policy the transport applies.
#
# The numbers are urllib3's Retry with titlefetch's settings (requests' users know them): the
# first retry at once, then 0.5, 1, 2, 4, 8 s plus up to 0.25 s of jitter, or what the server's
# Retry-After asks when that is at most RETRY_AFTER_CEILING.

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
# A server asking for a longer pause than this gets no retry: its answer (429, 503) is final.
RETRY_AFTER_CEILING = 10.0
BACKOFF_FACTOR = 0.25
BACKOFF_JITTER = 0.25  # up to this many seconds added at random to each backoff
BACKOFF_MAX = 8.0
_SECONDS = re.compile(r"\s*[0-9]+\s*")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retries` retries of a GET after failures that are not permanent and RETRY_STATUSES."""

    retries: int
    random: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        if retry <= 1:
            return 0.0
        wait = BACKOFF_FACTOR * 2.0 ** (retry - 1) + self.random() * BACKOFF_JITTER
        return min(BACKOFF_MAX, wait)

    def pause_after_failure(self, failure: FetchError, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` after `failure`; None: no retry."""
        if failure.permanent or retry > self.retries:
            return None
        return self.backoff(retry)

    def pause_after_status(
        self, status: int, retry_after: str | None, retry: int, now: float
    ) -> float | None:
        """Seconds to wait before retry number `retry` after a response with `status`; None:
        the response is final. An unparsable Retry-After is ignored, as browsers ignore it."""
        if status not in RETRY_STATUSES or retry > self.retries:
            return None
        asked = seconds_asked(retry_after, now)
        if asked is None:
            return self.backoff(retry)
        return asked if asked <= RETRY_AFTER_CEILING else None


def seconds_asked(retry_after: str | None, now: float) -> float | None:
    """The pause a Retry-After value asks for (delay-seconds or an HTTP date, seen at `now`,
    in seconds since the epoch); None when there is none or it does not parse.

    >>> seconds_asked("120", 0.0), seconds_asked("Thu, 01 Jan 1970 00:01:00 GMT", 30.0)
    (120.0, 30.0)
    >>> seconds_asked("soon", 0.0) is None, seconds_asked("Fri, 31 Dec 99999 23:59:59 GMT", 0.0)
    (True, None)
    """
    if retry_after is None:
        return None
    if _SECONDS.fullmatch(retry_after):
        return float(int(retry_after))
    try:
        date = email.utils.parsedate_to_datetime(retry_after)
        when = date.replace(tzinfo=date.tzinfo or datetime.UTC).timestamp()  # HTTP dates are GMT
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(0.0, when - now)
