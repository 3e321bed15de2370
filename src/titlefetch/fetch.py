"""One HTTP GET -> Page: status, content types and the body prefix that holds the title.

The only module that sends requests; transport.py, redirects.py, deadline.py and failures.py
serve it. It calls urllib3 (requests' own transport) directly: requests' Session, Request and
Response objects cost more CPU per URL than urllib3 itself (see benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from requests.utils import default_headers, get_environ_proxies, select_proxy
from urllib3 import PoolManager
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from titlefetch import __version__, deadline, hops
from titlefetch.errors import FetchError
from titlefetch.failures import describe_failure, timeout_message
from titlefetch.redirects import (
    ChainCookies,
    headers_for,
    is_fetchable,
    location_of,
    resolve,
)
from titlefetch.transport import ProxyPools, new_pools, new_retry

DEFAULT_USER_AGENT = f"titlefetch/{__version__} (+https://github.com/titlefetch/titlefetch)"
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
_CHUNK = 16 * 1024


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to fetch: picklable, so it crosses to process and cluster workers unchanged."""

    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 2
    max_redirects: int = 10
    max_bytes: int = DEFAULT_MAX_BYTES
    user_agent: str = DEFAULT_USER_AGENT
    headers: tuple[tuple[str, str], ...] = ()
    verify: bool = True
    ca_bundle: str | None = None
    per_host: int = 8


@dataclass(frozen=True, slots=True)
class Page:
    """What a GET returned: enough to find the title, nothing more."""

    url: str
    final_url: str
    status: int
    content_types: tuple[str, ...]
    body: bytes
    redirects: int = 0
    truncated: bool = False  # the body passed max_bytes before the reader was satisfied


BodyCheck = Callable[[bytes, Sequence[str]], bool]
_CHECK_EVERY_CHUNK = 64 * 1024  # below this, ask is_enough after every chunk; above, every +25%
# Unread body bytes worth reading to keep a connection: a new one costs a handshake and a cold
# TCP slow start, and to one host at most --per-host connections should ever be opened. A
# compressed rest is decompressed as it is read, so less of it is worth it (a bomb stays cheap).
_DRAIN_LIMIT = 2 * 1024 * 1024
_DRAIN_LIMIT_ENCODED = 64 * 1024
_DRAIN_LIMIT_REDIRECT = 64 * 1024  # a redirect's body is never needed
_DRAIN_CHUNK = 256 * 1024
_clients: dict[FetchOptions, _Client] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class _Client:
    """What a process needs to fetch with one FetchOptions, built once, shared by its threads."""

    pools: PoolManager
    proxy_pools: ProxyPools | None  # only when a proxy variable is set
    headers: dict[str, str]
    retry: Retry
    # The deadline watchdog bounds every read and write of a watched connection; a socket
    # timeout on top would make CPython poll() before each recv(): a second system call, and
    # a second hand-off of the GIL, for every read. So those get a connect timeout only.
    watched_timeout: urllib3.Timeout
    timeout: urllib3.Timeout  # for SOCKS connections, which are not watched

    def route(self, url: str) -> tuple[PoolManager, urllib3.Timeout]:
        """The pools that carry a request for `url`, and the socket timeouts they need."""
        if self.proxy_pools is None:
            return self.pools, self.watched_timeout
        proxy = select_proxy(url, get_environ_proxies(url))  # honours no_proxy, as requests
        if proxy is None:
            return self.pools, self.watched_timeout
        # SOCKS connections are not watched: they keep a socket read timeout.
        timeout = self.watched_timeout if self.proxy_pools.watches(proxy) else self.timeout
        return self.proxy_pools.manager_for(proxy), timeout


def _forget_after_fork() -> None:
    # A forked worker must not use the parent's pooled connections: two processes would write
    # requests to one socket and read each other's responses.
    global _clients_lock
    _clients.clear()
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def client_for(options: FetchOptions) -> _Client:
    """This process's client for `options`, built on first use and shared by its threads."""
    client = _clients.get(options)
    if client is None:
        with _clients_lock:
            client = _clients.get(options)
            if client is None:
                client = _clients[options] = _new_client(options)
    return client


def _new_client(options: FetchOptions) -> _Client:
    verify = _verify_setting(options)
    headers = dict(default_headers())  # what requests sends: Accept, Accept-Encoding, ...
    headers["User-Agent"] = options.user_agent
    headers.update(options.headers)
    return _Client(
        pools=new_pools(options.per_host, verify),
        proxy_pools=ProxyPools(options.per_host, verify) if _has_proxy_environment() else None,
        headers=headers,
        retry=new_retry(options.retries),
        watched_timeout=urllib3.Timeout(connect=options.connect_timeout, read=None),
        timeout=urllib3.Timeout(connect=options.connect_timeout, read=options.timeout),
    )


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _has_proxy_environment() -> bool:
    return any(name.lower() in _PROXY_VARIABLES and value for name, value in os.environ.items())


def _verify_setting(options: FetchOptions) -> bool | str:
    """What to verify certificates against: --ca-bundle, else the bundle the environment
    names (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, as requests does), else certifi's."""
    if options.ca_bundle:
        return options.ca_bundle
    if not options.verify:
        return False
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def fetch_page(url: str, options: FetchOptions, *, is_enough: BodyCheck) -> Page:
    """GET `url`, reading a 2xx body until `is_enough(body_so_far, content_types)` or max_bytes.

    `is_enough(b"", content_types)` is asked first: True there means the body is not needed.
    Each attempt (retries get a fresh one) must end within options.timeout, redirects included.

    Raises:
        FetchError: with the kind of network or HTTP trouble.
    """
    visited = [url]  # the URL of every hop so far
    with deadline.attempt(options.timeout):
        try:
            return _get(url, options, is_enough, visited)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise describe_failure(exc, visited[-1], options) from exc


def _get(url: str, options: FetchOptions, is_enough: BodyCheck, visited: list[str]) -> Page:
    client = client_for(options)
    headers, cookies = client.headers, ChainCookies()
    while True:
        target = visited[-1]
        pools, timeout = client.route(target)
        response = pools.urlopen(
            "GET",
            target,
            headers=headers,
            redirect=False,
            retries=client.retry,
            timeout=timeout,
            preload_content=False,
            decode_content=True,
        )
        try:
            location = location_of(response.status, response.headers)
            if location is None:
                return _read_page(response, visited, options, is_enough)
            cookies.take(target, response.headers)
            _drain_short_rest(response, _DRAIN_LIMIT_REDIRECT)
        finally:
            response.close()
            response.release_conn()
        following = resolve(location, target)
        if not is_fetchable(following):
            message = f"redirect to {location!r}, which is not an http(s) URL"
            raise FetchError("bad_redirect", message)
        if len(visited) > options.max_redirects:
            message = (
                f"more than {options.max_redirects} redirects (a loop?; raise --max-redirects)"
            )
            raise FetchError("too_many_redirects", message)
        headers = cookies.with_cookies(headers_for(headers, target, following), following)
        visited.append(following)
        hops.entering(following)  # a thread pool's --per-host counts the hop's host


def _read_page(
    response: BaseHTTPResponse, visited: list[str], options: FetchOptions, is_enough: BodyCheck
) -> Page:
    content_types = tuple(response.headers.getlist("Content-Type"))
    body, truncated = b"", False
    if 200 <= response.status < 300 and not is_enough(b"", content_types):
        body, truncated = _read_body(response, options.max_bytes, content_types, is_enough)
    if deadline.expired():  # the body ended because the watchdog shut the socket
        raise FetchError("timeout", timeout_message(options))
    _drain_short_rest(response, _DRAIN_LIMIT)
    return Page(
        url=visited[0],
        final_url=visited[-1],
        status=response.status,
        content_types=content_types,
        body=body,
        redirects=len(visited) - 1,
        truncated=truncated,
    )


def _read_body(
    raw: Any, limit: int, content_types: tuple[str, ...], is_enough: BodyCheck
) -> tuple[bytes, bool]:
    """The body up to `limit` decoded bytes, and whether it was cut there."""
    body = bytearray()
    checked = 0
    while len(body) < limit:
        # urllib3 >= 2.6 returns at most the bytes asked for, also when decompressing
        chunk = raw.read1(min(_CHUNK, limit - len(body)), decode_content=True)
        if not chunk:
            return bytes(body), False
        body += chunk
        # Asking after every chunk of a multi-megabyte body would cost quadratic time.
        if len(body) < _CHECK_EVERY_CHUNK or len(body) >= checked * 5 // 4:
            checked = len(body)
            snapshot = bytes(body)  # the very object is_enough judged is the one returned
            if is_enough(snapshot, content_types):
                return snapshot, False
    snapshot = bytes(body)
    return snapshot, not is_enough(snapshot, content_types)


def _drain_short_rest(raw: Any, limit: int) -> None:
    # A connection goes back to the pool only when its body was read to the end: do that when
    # little is left, so the next URL on the host skips a new handshake. Otherwise it closes.
    left = raw.length_remaining
    if raw.headers.get("Content-Encoding"):
        limit = min(limit, _DRAIN_LIMIT_ENCODED)
    if not left or left > limit:
        return
    with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
        # In large reads. Decoded, because urllib3 refuses raw reads after decoded ones; a
        # compressed rest is at most _DRAIN_LIMIT_ENCODED, so decoding it stays cheap.
        while raw.read(_DRAIN_CHUNK, decode_content=True):
            pass
