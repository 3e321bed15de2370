"""Following a redirect (or a meta refresh): where it leads, which headers go along, and the
chain's cookies.

The rules are requests' (Session.resolve_redirects, and should_strip_auth for credentials),
kept for one chain at a time: nothing is remembered between URLs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from titlefetch.http._origins import Origin
from titlefetch.http._parser import Headers

if TYPE_CHECKING:
    import http.cookiejar

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Credentials: they follow a redirect only within its origin (scheme, host and port).
_PRIVATE_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


class BadRedirect(ValueError):
    """A Location that is not an http(s) URL with a host and a port from 1 to 65535."""


def location_of(status: int, headers: Headers) -> str | None:
    """The Location a response redirects to, or None when it is not a redirect."""
    if status not in REDIRECT_STATUSES:
        return None
    return headers.get("Location") or None  # an empty one: no redirect, as in Chromium


def resolve(location: str, current: str) -> str:
    """The absolute URL that `location`, received from `current`, points at."""
    from requests.utils import requote_uri  # here: only redirects need requests, slow to import

    # Header values are decoded as Latin-1; servers send UTF-8 (requests undoes it too).
    with contextlib.suppress(UnicodeError):
        location = location.encode("latin-1").decode("utf-8")
    location = _as_url_standard_reads(location)
    if location.startswith("//"):  # scheme-relative
        location = f"{urlsplit(current).scheme}:{location}"
    parts = urlsplit(location)
    if not parts.fragment and "#" not in location:  # a redirect keeps the fragment it came with
        fragment = urlsplit(current).fragment
        location = f"{location}#{fragment}" if fragment else location
    if not parts.netloc:
        return urljoin(current, requote_uri(location))
    return requote_uri(location)


def _as_url_standard_reads(url: str) -> str:
    """`url` as the URL Standard's parser takes it: without the C0 controls and spaces around
    it or the tabs and line breaks in it, and, in an http(s) URL, `\\` read as `/` before the
    query (as every browser reads it)."""
    url = url.strip(_C0_AND_SPACE).translate(_URL_DROPPED)
    scheme = _SCHEME.match(url)
    if scheme is not None and scheme.group().lower() not in ("http:", "https:"):
        return url
    end = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:end].replace("\\", "/") + url[end:]


_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def redirect_target(location: str, current: str) -> str:
    """The URL a redirect to `location`, received from `current`, leads to.

    Raises:
        BadRedirect: it does not parse, or is not an http(s) URL with a usable host and port.
    """
    return _fetchable(location, lambda: resolve(location, current), "redirect")


def refresh_target(url: str, current: str) -> str:
    """The URL a meta refresh to `url` (as written in the page at `current`, character
    references decoded) loads: joined as a link is. Unlike a Location, it is text already
    decoded, and a new navigation: it does not keep the fragment of `current`.

    Raises:
        BadRedirect: as for redirect_target.
    """
    # The URL parser drops tabs and line breaks anywhere in a URL, as browsers do.
    cleaned = url.translate(_URL_DROPPED)
    return _fetchable(url, lambda: _join(cleaned, current), "meta refresh")


_URL_DROPPED = str.maketrans("", "", "\t\n\r")


def _join(url: str, current: str) -> str:
    from requests.utils import requote_uri  # here: only redirects need requests, slow to import

    return urljoin(current, requote_uri(url))


def _fetchable(written: str, target_of: Callable[[], str], what: str) -> str:
    """target_of()'s URL, checked: an http(s) URL with a host and a port that can be used."""
    try:
        target = target_of()
        if urlsplit(target).scheme not in ("http", "https"):
            raise BadRedirect(f"{what} to {written!r}, which is not an http(s) URL")
        origin = Origin.of(target)
    except BadRedirect:
        raise
    except ValueError as exc:  # an IPv6 host without its "]", a port over 65535, ...
        raise BadRedirect(f"{what} to {written!r}, which is not a valid URL") from exc
    if not 0 < origin.port < 65536:
        raise BadRedirect(f"{what} to {written!r}, whose port cannot be connected to")
    return target


def is_fetchable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def headers_for(headers: dict[str, str], current: str, target: str) -> dict[str, str]:
    """The request headers for the hop from `current` to `target`: credentials (Authorization,
    Cookie, Proxy-Authorization) are dropped when the origin changes, except from http to
    https on the default ports of the same host (requests' should_strip_auth)."""
    if _keeps_credentials(Origin.of(current), Origin.of(target)):
        return headers
    return {name: value for name, value in headers.items() if name.lower() not in _PRIVATE_HEADERS}


def _keeps_credentials(before: Origin, after: Origin) -> bool:
    if before == after:
        return True
    upgrade = (before.scheme, before.port, after.scheme, after.port) == ("http", 80, "https", 443)
    return upgrade and before.host == after.host


class ChainCookies:
    """The cookies set along one redirect chain, sent on its later hops (a consent or session
    cookie set by a redirect is often what the next hop checks for)."""

    def __init__(self) -> None:
        self._jar: http.cookiejar.CookieJar | None = None  # most chains set none

    def take(self, url: str, headers: Headers) -> None:
        """Keep the cookies that the response from `url` (with `headers`) sets."""
        if "Set-Cookie" not in headers:
            return
        # Imported here: most chains set no cookie, and urllib.request is slow to import.
        import http.cookiejar
        import urllib.request

        if self._jar is None:
            self._jar = http.cookiejar.CookieJar()
        self._jar.extract_cookies(_Response(headers), urllib.request.Request(url))  # type: ignore[arg-type]

    def with_cookies(self, headers: dict[str, str], url: str) -> dict[str, str]:
        """`headers` plus the Cookie header the chain's cookies give for `url`."""
        if self._jar is None:
            return headers
        import urllib.request

        request = urllib.request.Request(url)
        self._jar.add_cookie_header(request)
        cookie = request.get_header("Cookie")
        return {**headers, "Cookie": cookie} if cookie else headers


class _Response:
    """The little of a urllib response that CookieJar.extract_cookies reads."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def info(self) -> _Response:
        return self

    def get_all(self, name: str, default: Any = None) -> Any:
        return self._headers.getlist(name) or default
