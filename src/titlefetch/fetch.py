"""One HTTP GET -> Page: status, content types and the body prefix that holds the title.

The only module that uses requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from titlefetch import __version__
from titlefetch.errors import FetchError

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
    headers: dict[str, str] = field(default_factory=dict)


BodyCheck = Callable[[bytes, Sequence[str]], bool]
_local = threading.local()


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
    session.verify = options.ca_bundle or options.verify
    return session


def fetch_page(url: str, options: FetchOptions, *, is_enough: BodyCheck) -> Page:
    """GET `url`, reading a 2xx body until `is_enough(body_so_far, content_types)` or max_bytes.

    `is_enough(b"", content_types)` is asked first: True there means the body is not needed.

    Raises:
        FetchError: with the kind of network or HTTP trouble.
    """
    session = session_for(options)
    try:
        with session.get(
            url, stream=True, timeout=(options.connect_timeout, options.timeout)
        ) as response:
            content_types = tuple(response.raw.headers.getlist("Content-Type"))
            body, truncated = b"", False
            if 200 <= response.status_code < 300 and not is_enough(b"", content_types):
                body, truncated = _read_body(response, options, content_types, is_enough)
            return Page(
                url=url,
                final_url=response.url,
                status=response.status_code,
                content_types=content_types,
                body=body,
                redirects=len(response.history),
                truncated=truncated,
            )
    except requests.TooManyRedirects as exc:
        raise FetchError(
            "too_many_redirects", f"more than {options.max_redirects} redirects"
        ) from exc
    except requests.Timeout as exc:
        raise FetchError("timeout", f"timed out after {options.timeout:g}s") from exc
    except requests.ConnectionError as exc:
        raise FetchError("refused", f"connection failed: {exc}") from exc
    except requests.RequestException as exc:
        raise FetchError("reset", str(exc)) from exc


def _read_body(
    response: requests.Response,
    options: FetchOptions,
    content_types: tuple[str, ...],
    is_enough: BodyCheck,
) -> tuple[bytes, bool]:
    body = bytearray()
    deadline = time.monotonic() + options.timeout
    while len(body) < options.max_bytes:
        chunk = response.raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            return bytes(body), False
        body += chunk
        if is_enough(bytes(body), content_types):
            return bytes(body), False
        if time.monotonic() > deadline:
            raise FetchError("timeout", f"timed out after {options.timeout:g}s")
    return bytes(body[: options.max_bytes]), True
