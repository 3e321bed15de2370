"""One HTTP GET -> Page: status, content types and the body prefix that holds the title.

The only module that sends requests; transport.py, deadline.py and failures.py serve it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from titlefetch import __version__, deadline
from titlefetch.errors import FetchError
from titlefetch.failures import describe_failure, timeout_message
from titlefetch.transport import SharedAdapter, new_adapter

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
_DRAIN_CHUNK = 256 * 1024
_local = threading.local()
_adapters: dict[FetchOptions, SharedAdapter] = {}
_adapters_lock = threading.Lock()


def _forget_after_fork() -> None:
    # A forked worker must not use the parent's pooled connections: two processes would write
    # requests to one socket and read each other's responses.
    global _local, _adapters_lock
    _local = threading.local()
    _adapters.clear()
    _adapters_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def session_for(options: FetchOptions) -> requests.Session:
    """This thread's session for `options`, built on first use and reused after."""
    sessions: dict[FetchOptions, requests.Session] = _local.__dict__.setdefault("sessions", {})
    session = sessions.get(options)
    if session is None:
        session = sessions[options] = _new_session(options)
    return session


def _new_session(options: FetchOptions) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = options.user_agent
    session.headers.update(dict(options.headers))
    session.max_redirects = options.max_redirects
    session.verify = _verify_setting(options)
    # requests reads the proxy variables and looks for ~/.netrc on every request when trust_env
    # is on: a tenth of the CPU per URL. With no proxy configured that buys nothing.
    session.trust_env = _has_proxy_environment()
    # Cookies from a million sites would pile up in every thread's jar. A redirect chain
    # still carries its own cookies (requests keeps them per request).
    session.cookies = _NoCookieJar()
    adapter = _adapter_for(options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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


class _NoCookieJar(requests.cookies.RequestsCookieJar):
    """A session cookie jar that keeps nothing."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def extract_cookies(self, response: Any, request: Any) -> None:
        pass


def _adapter_for(options: FetchOptions) -> SharedAdapter:
    # One adapter (one pool of connections) per process, shared by the sessions of all threads.
    with _adapters_lock:
        adapter = _adapters.get(options)
        if adapter is None:
            adapter = _adapters[options] = new_adapter(options.retries, options.per_host)
        return adapter


def fetch_page(url: str, options: FetchOptions, *, is_enough: BodyCheck) -> Page:
    """GET `url`, reading a 2xx body until `is_enough(body_so_far, content_types)` or max_bytes.

    `is_enough(b"", content_types)` is asked first: True there means the body is not needed.
    Each attempt (retries get a fresh one) must end within options.timeout, redirects included.

    Raises:
        FetchError: with the kind of network or HTTP trouble.
    """
    hops: list[requests.Response] = []
    with deadline.attempt(options.timeout):
        try:
            return _get(url, options, is_enough, hops)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise describe_failure(exc, url, options, hops) from exc


def _get(url: str, options: FetchOptions, is_enough: BodyCheck, hops: list[Any]) -> Page:
    session = session_for(options)
    request = _prepare(session, url, hops)
    with session.send(
        request,
        stream=True,
        timeout=(options.connect_timeout, options.timeout),
        # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE or
        # CURL_CA_BUNDLE override a session's verify, and so --insecure and --ca-bundle.
        verify=session.verify,
        proxies=_proxies_for(session, request),
        cert=None,
        allow_redirects=True,
    ) as response:
        content_types = tuple(response.raw.headers.getlist("Content-Type"))
        body, truncated = b"", False
        if 200 <= response.status_code < 300 and not is_enough(b"", content_types):
            body, truncated = _read_body(response.raw, options.max_bytes, content_types, is_enough)
        if deadline.expired():  # the body ended because the watchdog shut the socket
            raise FetchError("timeout", timeout_message(options))
        _drain_short_rest(response.raw)
        return Page(
            url=url,
            final_url=response.url,
            status=response.status_code,
            content_types=content_types,
            body=body,
            redirects=len(response.history),
            truncated=truncated,
        )


def _prepare(session: requests.Session, url: str, hops: list[Any]) -> requests.PreparedRequest:
    # requests' documented "prepared request" path: Session.request would merge a cookie jar,
    # auth and settings titlefetch does not use, a third of the CPU of a request.
    request = requests.PreparedRequest()
    request.prepare(
        method="GET",
        url=url,
        headers=session.headers,
        hooks={"response": [lambda response, **_: hops.append(response)]},
    )
    return request


def _proxies_for(session: requests.Session, request: requests.PreparedRequest) -> Any:
    if not session.trust_env:  # no proxy variable is set (see _new_session)
        return {}
    settings = session.merge_environment_settings(request.url, {}, True, session.verify, None)
    return settings["proxies"]


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
            if is_enough(bytes(body), content_types):
                return bytes(body), False
    return bytes(body), not is_enough(bytes(body), content_types)


def _drain_short_rest(raw: Any) -> None:
    # A connection goes back to the pool only when its body was read to the end: do that when
    # little is left, so the next URL on the host skips a new handshake. Otherwise it closes.
    left = raw.length_remaining
    limit = _DRAIN_LIMIT_ENCODED if raw.headers.get("Content-Encoding") else _DRAIN_LIMIT
    if not left or left > limit:
        return
    with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
        # In large reads. Decoded, because urllib3 refuses raw reads after decoded ones; a
        # compressed rest is at most _DRAIN_LIMIT_ENCODED, so decoding it stays cheap.
        while raw.read(_DRAIN_CHUNK, decode_content=True):
            pass
