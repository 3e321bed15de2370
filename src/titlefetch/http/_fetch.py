"""One HTTP GET -> Page: status, content types and the body prefix that holds the title.

The only module that fetches: it follows redirects (and the meta refreshes its caller picks)
and reads bodies within one Deadline per attempt; _transport.py sends each request (retried as
its policy says), with _redirects.py and _failures.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag

from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._clients import Client, client_for
from titlefetch.http._deadline import Deadline
from titlefetch.http._failures import FAILURES, RESPONSE, classify, timed_out
from titlefetch.http._parser import ResponseError
from titlefetch.http._redirects import (
    BadRedirect,
    ChainCookies,
    headers_for,
    location_of,
    redirect_target,
    refresh_target,
)
from titlefetch.http._transport import OpenResponse

_CHUNK = 16 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    """What a GET returned: enough to find the title, nothing more."""

    url: str
    final_url: str
    status: int
    content_types: tuple[str, ...]
    body: bytes
    redirects: int = 0  # HTTP redirects followed
    truncated: bool = False  # the body passed max_bytes before the reader was satisfied
    refreshes: int = 0  # meta refreshes followed (counted with redirects against max_redirects)


BodyCheck = Callable[[bytes, Sequence[str]], bool]
# Where a final page sends a browser next (its meta refresh's URL, as written), or None: the
# caller decides which refreshes count, fetch_page follows them as it follows redirects.
RefreshCheck = Callable[["Page"], str | None]


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


def fetch_page(
    url: str,
    options: FetchOptions,
    *,
    is_enough: BodyCheck,
    hooks: RunHooks | None = None,
    retry_unreachable: bool = True,
    refresh: RefreshCheck | None = None,
) -> Page:
    """GET `url`, reading the final body until `is_enough(body_so_far, content_types)` or max_bytes.

    `is_enough(b"", content_types)` is asked first: True there means the body is not needed.
    Each attempt (retries get a fresh one) must end within options.timeout, redirects and
    is_enough's work included. `hooks` connect the fetch to the run that scheduled it.
    `retry_unreachable=False`: when `url`'s server cannot be reached, give up at once (another
    URL will be tried instead: _fallback.py). `refresh(page)` may name a URL that a page read in
    full sends the browser to next: it is followed as a redirect is (same chain, deadline,
    count, credentials and cookies), unless it is the page itself.

    Raises:
        FetchError: with the kind of network or HTTP trouble, and how far redirects got.
    """
    client, chain = client_for(options), _Chain([url])
    with Deadline(options.timeout) as deadline:
        check = _Check(is_enough, deadline, options, retry_unreachable)
        try:
            return _follow(client, chain, options, check, _Steps(hooks, refresh))
        except FetchError as exc:
            raise chain.record(exc) from exc.__cause__
        except FAILURES as exc:
            failure = classify(
                exc, chain.current, options, stage=RESPONSE, expired=deadline.expired
            )
            raise chain.record(failure) from exc


@dataclass(slots=True)
class _Chain:
    """The redirect chain so far: the URL of every hop, the status of the last response, and
    how many hops were meta refreshes."""

    visited: list[str]
    status: int | None = None
    refreshes: int = 0

    @property
    def current(self) -> str:
        return self.visited[-1]

    @property
    def redirects(self) -> int:
        return len(self.visited) - 1 - self.refreshes

    def record(self, failure: FetchError) -> FetchError:
        """`failure`, with how far the chain got when it has something to tell."""
        if len(self.visited) > 1 or self.status is not None:
            failure.redirects, failure.refreshes = self.redirects, self.refreshes
            failure.status, failure.final_url = self.status, self.current
        return failure


@dataclass(frozen=True, slots=True)
class _Steps:
    """What decides a chain's steps besides the responses: the run's hooks, the refreshes."""

    hooks: RunHooks | None
    refresh: RefreshCheck | None


@dataclass(frozen=True, slots=True)
class _Hop:
    """The next URL of a chain, and whether a meta refresh (not a redirect) leads there."""

    url: str
    is_refresh: bool


@dataclass(frozen=True, slots=True)
class _Check:
    """is_enough, asked only while the attempt has time: the title search is bounded by the
    deadline as the reads are."""

    is_enough: BodyCheck
    deadline: Deadline
    options: FetchOptions
    retry_unreachable: bool = True  # for the first hop; redirects are always retried

    def __call__(self, body: bytes, content_types: Sequence[str]) -> bool:
        if self.deadline.expired:
            raise timed_out(self.options)
        return self.is_enough(body, content_types)


def _follow(
    client: Client, chain: _Chain, options: FetchOptions, check: _Check, steps: _Steps
) -> Page:
    headers, cookies, deadline = client.headers, ChainCookies(), check.deadline
    while True:
        current = chain.current
        retry_unreachable = check.retry_unreachable or len(chain.visited) > 1
        response = client.transport.get(
            current, headers, deadline, retry_unreachable=retry_unreachable
        )
        chain.status = response.status
        try:
            hop = _next_step(response, chain, options, check, steps)
            if isinstance(hop, Page):
                return hop
            cookies.take(current, response.headers)
        finally:
            response.release()
        _count(hop, chain, options)
        following = hop.url
        headers = cookies.with_cookies(headers_for(headers, current, following), following)
        chain.visited.append(following)
        chain.refreshes += hop.is_refresh
        chain.status = None
        if steps.hooks is not None:
            # Waiting for a slot on the new host is not the server's doing: it does not count
            # against --timeout.
            with deadline.paused():
                steps.hooks.entering(following)


def _next_step(
    response: OpenResponse, chain: _Chain, options: FetchOptions, check: _Check, steps: _Steps
) -> Page | _Hop:
    """Where the chain goes from `response`: a redirect's or a refresh's hop, or the page."""
    location = location_of(response.status, response.headers)
    if location is not None:
        response.skip_rest(_DRAIN_LIMIT_REDIRECT, check.deadline)
        return _Hop(_target(redirect_target, location, chain.current), is_refresh=False)
    page = _read_page(response, chain, options, check, steps.hooks)
    written = steps.refresh(page) if steps.refresh is not None else None
    if written is None:
        return page
    following = _target(refresh_target, written, chain.current)
    # A refresh to the page itself reloads the same page: a browser keeps showing its title.
    if urldefrag(following).url == urldefrag(chain.current).url:
        return page
    return _Hop(following, is_refresh=True)


def _target(resolve: Callable[[str, str], str], written: str, current: str) -> str:
    try:
        return resolve(written, current)
    except BadRedirect as exc:
        raise FetchError("bad_redirect", str(exc), permanent=True) from exc


def _count(hop: _Hop, chain: _Chain, options: FetchOptions) -> None:
    """Raise too_many_redirects when `hop` is one more than max_redirects allows: redirects
    and meta refreshes count together."""
    if len(chain.visited) <= options.max_redirects:
        return
    hops = "redirects and meta refreshes" if hop.is_refresh or chain.refreshes else "redirects"
    message = f"more than {options.max_redirects} {hops} (a loop?; raise --max-redirects)"
    raise FetchError("too_many_redirects", message, permanent=True)


def _read_page(
    response: OpenResponse,
    chain: _Chain,
    options: FetchOptions,
    check: _Check,
    hooks: RunHooks | None,
) -> Page:
    content_types = tuple(response.headers.getlist("Content-Type"))
    body, truncated = b"", False
    # Every final response's body is read, error pages too: their title says which one it is.
    if not check(b"", content_types):
        body, truncated = _read_body(response, options.max_bytes, content_types, check)
    if check.deadline.expired:  # the body ended because the watchdog shut the socket
        raise timed_out(options)
    # The connection is kept only when the body was read to its end: do that when little is
    # left and more URLs wait for the host, so the next one skips a handshake and a cold TCP
    # slow start. Otherwise it is closed: the rest would only delay this result.
    wanted = hooks is None or hooks.is_wanted(chain.current)
    response.skip_rest(_DRAIN_LIMIT if wanted else 0, check.deadline)
    return Page(
        url=chain.visited[0],
        final_url=chain.current,
        status=response.status,
        content_types=content_types,
        body=body,
        redirects=chain.redirects,
        truncated=truncated,
        refreshes=chain.refreshes,
    )


def _read_body(
    response: OpenResponse, limit: int, content_types: tuple[str, ...], check: _Check
) -> tuple[bytes, bool]:
    """The body up to `limit` decoded bytes (and as many as sent, when it is coded), and
    whether it was cut at a limit before `check` was satisfied."""
    response.encoded_limit = limit
    body, checked = bytearray(), 0
    while len(body) < limit:
        try:
            chunk = response.read1(min(_CHUNK, limit - len(body)))
        except ResponseError:  # cut short: what arrived stands if it holds the title
            if body and check(bytes(body), content_types):
                return bytes(body), False
            raise
        if not chunk:
            break
        body += chunk
        # Asking after every chunk of a multi-megabyte body would cost quadratic time.
        if len(body) < _CHECK_EVERY_CHUNK or len(body) >= checked * 5 // 4:
            checked = len(body)
            snapshot = bytes(body)  # the very object is_enough judged is the one returned
            if check(snapshot, content_types):
                return snapshot, False
    snapshot = bytes(body)
    at_limit = len(body) >= limit or response.truncated
    return snapshot, at_limit and not check(snapshot, content_types)
