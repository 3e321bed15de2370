"""One HTTP GET -> Page: status, content types and the body prefix that holds the title.

The only module that fetches: it follows redirects and reads bodies; transport.py sends each
request (retried as its policy says), with redirects.py, deadline.py and failures.py.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from titlefetch._version import __version__
from titlefetch.errors import FetchError
from titlefetch.http import deadline
from titlefetch.http.failures import describe_failure, timeout_message
from titlefetch.http.redirects import (
    ChainCookies,
    headers_for,
    is_fetchable,
    location_of,
    resolve,
)
from titlefetch.http.transport import FAILURES, Response, Transport, new_transport

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


@dataclass(frozen=True, slots=True)
class RunHooks:
    """What a fetch tells the run that scheduled it, and asks of it (a thread pool's scheduler
    passes these; process and cluster workers have none in their process)."""

    # Called before a redirect hop to this URL: --per-host counts each request by the host it
    # goes to, so the run may move the fetch's slot there, waiting while that host is full.
    entering: Callable[[str], None]
    # Whether more URLs of the run wait for this URL's host: only then is reading the unread
    # rest of a page worth it, to keep its connection for the next one.
    is_wanted: Callable[[str], bool]


_CHECK_EVERY_CHUNK = 64 * 1024  # below this, ask is_enough after every chunk; above, every +25%
# Unread body bytes worth reading to keep a connection: a new one costs a handshake and a cold
# TCP slow start, and to one host at most --per-host connections should ever be opened.
_DRAIN_LIMIT = 2 * 1024 * 1024
_DRAIN_LIMIT_REDIRECT = 64 * 1024  # a redirect's body is never needed
_clients: dict[FetchOptions, Client] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Client:
    """What a process needs to fetch with one FetchOptions, built once, shared by its threads."""

    transport: Transport
    headers: dict[str, str]


def _forget_after_fork() -> None:
    # A forked worker must not use the parent's pooled connections: two processes would write
    # requests to one socket and read each other's responses.
    global _clients_lock
    _clients.clear()
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def client_for(options: FetchOptions) -> Client:
    """This process's client for `options`, built on first use and shared by its threads."""
    client = _clients.get(options)
    if client is None:
        with _clients_lock:
            client = _clients.get(options)
            if client is None:
                client = _clients[options] = _new_client(options)
    return client


def close_clients() -> None:
    """Close this process's idle kept-alive connections (a long-lived host process, tests)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.transport.connections.close()


def _new_client(options: FetchOptions) -> Client:
    # What requests sends, but for Accept-Encoding: the codings codings.py decodes (requests
    # would also name br and zstd when their packages happen to be installed).
    headers = {
        "User-Agent": options.user_agent,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "*/*",
        "Connection": "keep-alive",
    }
    for name, value in options.headers:  # --header replaces a default of any letter case
        for same in [key for key in headers if key.lower() == name.lower()]:
            del headers[same]
        headers[name] = value
    timeouts = (options.connect_timeout, options.timeout)
    transport = new_transport(options.per_host, _verify_setting(options), options.retries, timeouts)
    return Client(transport=transport, headers=headers)


def _verify_setting(options: FetchOptions) -> bool | str:
    """What to verify certificates against: --ca-bundle, else the bundle the environment
    names (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, as requests does), else certifi's."""
    if options.ca_bundle:
        return options.ca_bundle
    if not options.verify:
        return False
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def fetch_page(
    url: str, options: FetchOptions, *, is_enough: BodyCheck, hooks: RunHooks | None = None
) -> Page:
    """GET `url`, reading the final body until `is_enough(body_so_far, content_types)` or max_bytes.

    `is_enough(b"", content_types)` is asked first: True there means the body is not needed.
    Each attempt (retries get a fresh one) must end within options.timeout, redirects included.
    `hooks` connect the fetch to the run that scheduled it, when that run can listen.

    Raises:
        FetchError: with the kind of network or HTTP trouble.
    """
    visited = [url]  # the URL of every hop so far
    with deadline.attempt(options.timeout):
        try:
            return _get(url, options, is_enough, visited, hooks)
        except FAILURES as exc:
            raise describe_failure(exc, visited[-1], options) from exc


def _get(
    url: str,
    options: FetchOptions,
    is_enough: BodyCheck,
    visited: list[str],
    hooks: RunHooks | None,
) -> Page:
    client = client_for(options)
    headers, cookies = client.headers, ChainCookies()
    while True:
        target = visited[-1]
        response = client.transport.get(target, headers)
        try:
            location = location_of(response.status, response.headers)
            if location is None:
                return _read_page(response, visited, options, is_enough, hooks)
            cookies.take(target, response.headers)
            response.skip_rest(_DRAIN_LIMIT_REDIRECT)
        finally:
            response.release()
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
        if hooks is not None:
            # Waiting for a slot on the new host is not the server's doing: it does not count
            # against --timeout.
            with deadline.paused():
                hooks.entering(following)


def _read_page(
    response: Response,
    visited: list[str],
    options: FetchOptions,
    is_enough: BodyCheck,
    hooks: RunHooks | None,
) -> Page:
    content_types = tuple(response.headers.getlist("Content-Type"))
    body, truncated = b"", False
    # Every final response's body is read, error pages too: their title says which one it is.
    if not is_enough(b"", content_types):
        body, truncated = _read_body(response, options.max_bytes, content_types, is_enough)
    if deadline.expired():  # the body ended because the watchdog shut the socket
        raise FetchError("timeout", timeout_message(options))
    # The connection is kept only when the body was read to its end: do that when little is
    # left and more URLs wait for the host, so the next one skips a handshake and a cold TCP
    # slow start. Otherwise it is closed: the rest would only delay this result.
    wanted = hooks is None or hooks.is_wanted(visited[-1])
    response.skip_rest(_DRAIN_LIMIT if wanted else 0)
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
    response: Response, limit: int, content_types: tuple[str, ...], is_enough: BodyCheck
) -> tuple[bytes, bool]:
    """The body up to `limit` decoded bytes, and whether it was cut there."""
    body = bytearray()
    checked = 0
    while len(body) < limit:
        chunk = response.read1(min(_CHUNK, limit - len(body)))
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
