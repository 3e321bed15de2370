"""Input lines -> UrlLine: what a line of a URL list means, and the smoke-check expectation a
line carries judged against its result; pure functions (no I/O).

A line is an http(s) URL, or a host line: a host name or address without a scheme
(`example.com`, `shop.example.org:8443/sale`, `[::1]:8080`), fetched as https://… and, with
the `auto` scheme, as http://… when https cannot connect (see http/_fallback.py).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from titlefetch._results import Failure, TitleResult
from titlefetch.http import Origin

if TYPE_CHECKING:
    from titlefetch._options import HostScheme

_URL_PREFIXES = ("http://", "https://")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")  # \s: whitespace as str.isspace() sees it
# A scheme: followed by //, or by a colon that does not start a port (mailto:, data:)
_SCHEME_SLASHES = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SCHEME_COLON = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?![0-9]*(?:[/?#]|$))")
# host, then an optional :port, then an optional path, query or fragment
_HOST_LINE = re.compile(r"(\[[^\]]*\]|[^:/?#\[\]]*)(?::([^/?#]*))?([/?#].*)?", re.DOTALL)
# Labels of letters, digits, '-' and '_' in any script (IDNA encodes them), at least two.
_HOST_NAME = re.compile(r"(?:[\w-]+\.)+[\w-]+\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")


@dataclass(frozen=True, slots=True)
class UrlLine:
    """One URL as the input gave it, with where it came from."""

    url: str
    source: str
    line: int
    problem: str | None = None  # why this line is not a usable URL
    expect: str | None = None  # a regular expression the title must match (after a tab)


def is_url_argument(argument: str) -> bool:
    """Whether a command-line SOURCE is a URL itself rather than a file name."""
    return argument.lower().startswith(_URL_PREFIXES)


def is_host_line(url: str) -> bool:
    """Whether a usable line is a host line (no scheme) rather than an http(s) URL."""
    return not url.lower().startswith(_URL_PREFIXES)


def urls_to_try(url: str, scheme: HostScheme) -> tuple[str, ...]:
    """The URLs a usable line is fetched as, in order: an http(s) URL is itself; a host line
    is https://… then http://… for `auto`, or the one `scheme` pins.

    >>> urls_to_try("example.com:8443/a", "auto")
    ('https://example.com:8443/a', 'http://example.com:8443/a')
    >>> urls_to_try("::1", "http"), urls_to_try("http://a.test/", "https")
    (('http://[::1]',), ('http://a.test/',))
    """
    if not is_host_line(url):
        return (url,)
    if _is_bare_ipv6(url):
        url = f"[{url}]"
    schemes = ("https", "http") if scheme == "auto" else (scheme,)
    return tuple(f"{name}://{url}" for name in schemes)


def url_problem(url: str) -> str | None:
    """Why `url` is neither a fetchable http(s) URL nor a host line, or None when it is one."""
    if _SPACE_OR_CONTROL.search(url):
        return "contains whitespace or control characters"
    if is_host_line(url):
        problem = host_line_problem(url)
        if problem is not None:
            return problem
        url = urls_to_try(url, "https")[0]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if not parts.hostname:
        return "no host name"
    if port == 0:
        return "port 0"
    try:
        Origin.of(url)
    except ValueError as exc:  # a name IDNA cannot encode, among others
        return f"malformed host name ({exc})"
    return None


def host_line_problem(text: str) -> str | None:
    """Why `text`, a line without http:// or https://, is not a host line; None when it is.

    >>> host_line_problem("ftp://example.com/"), host_line_problem("example.com:0")
    ('scheme ftp: only http and https are fetched', 'port 0 is not in 1-65535')
    """
    if _is_bare_ipv6(text):
        return None
    if _is_bare_ipv6(text.partition("%")[0]):
        return "an IPv6 address with a zone (%…) cannot be fetched"
    if text.startswith("//"):
        return "no scheme before //: write https://… or the host alone"
    scheme = _SCHEME_SLASHES.match(text) or _SCHEME_COLON.match(text)
    if scheme is not None:
        name = scheme.group(1).lower()
        if name in ("http", "https"):
            return f"malformed {name} URL: write {name}://HOST/…"
        if "." not in name or scheme.group().endswith("//"):
            return f"scheme {name}: only http and https are fetched"
    parts = _HOST_LINE.fullmatch(text)
    if parts is None:
        return "not an http(s) URL or a host name"
    host, port, _ = parts.groups()
    return _host_problem(host) or (_port_problem(port) if port is not None else None)


def _host_problem(host: str) -> str | None:
    if not host:
        return "no host name"
    if host.lower() in ("http", "https"):
        return f"malformed {host.lower()} URL: write {host.lower()}://HOST/…"
    if host.startswith("["):
        return None if _is_bare_ipv6(host[1:-1]) else f"{host} is not an IPv6 address"
    if _DOTTED_NUMBERS.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"{host} is not an IPv4 address"
        return None
    if host.lower() == "localhost" or _HOST_NAME.fullmatch(host):
        return None
    if re.fullmatch(r"[\w-]+", host):
        return "not an http(s) URL or a host name (a name without a dot needs http://)"
    return "not an http(s) URL or a host name"


def _port_problem(port: str) -> str | None:
    if not (port.isascii() and port.isdigit()):
        return f"port {port!r} is not a number" if port else "no port after ':'"
    if not 0 < int(port) < 65536:
        return f"port {int(port)} is not in 1-65535"
    return None


def _is_bare_ipv6(text: str) -> bool:
    if ":" not in text or "%" in text:  # a zone (fe80::1%eth0) has no place in a URL
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def expect_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable title expectation (a Python regex), or None when it is.

    >>> expect_problem("^Home( page)?$") is None
    True
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid title pattern {pattern!r} ({exc})"
    return None


def parse_line(text: str, source: str, number: int) -> UrlLine:
    r"""One stripped, meaningful line: `URL`, or `URL<TAB>REGEX` for a smoke check.

    >>> parse_line("https://example.com/\tExample", "urls.txt", 3).expect
    'Example'
    """
    url, tab, pattern = text.partition("\t")
    url = url.strip()
    expect = pattern.strip() if tab and pattern.strip() else None
    problem = url_problem(url) or (expect_problem(expect) if expect is not None else None)
    return UrlLine(url, source, number, problem, expect)


def parse_lines(lines: Iterable[str], source: str) -> Iterator[UrlLine]:
    """UrlLines from text lines: strip, skip blanks and `#` comments, keep numbering."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if number == 1:
            text = text.removeprefix("\ufeff").strip()
        if not text or text.startswith("#"):
            continue
        yield parse_line(text, source, number)


def as_lines(urls: Iterable[str | UrlLine]) -> Iterator[UrlLine]:
    """UrlLines from a caller's URLs: strings are numbered from 1 in a source named <urls>."""
    for number, url in enumerate(urls, start=1):
        yield url if isinstance(url, UrlLine) else UrlLine(url, "<urls>", number, url_problem(url))


# Smoke-check expectations: the statuses and title pattern a result must satisfy.
#
# Pure functions over a TitleResult; the scheduler applies them where a result meets its input
# line, so every line is judged against its own expectation, even for a URL fetched once.

# The kinds a worker reports for a final status outside 2xx: an explicit --expect-status
# replaces them with its own verdict.
_STATUS_KINDS = frozenset({"http_4xx", "http_5xx", "http_status"})


def parse_statuses(text: str) -> frozenset[int]:
    """The status codes in a comma-separated list such as `200,301`.

    >>> sorted(parse_statuses("200, 301"))
    [200, 301]

    Raises:
        ValueError: an item is not a status code from 100 to 599.
    """
    codes = set()
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or not 100 <= int(item) <= 599:
            raise ValueError(f"{item!r} is not an HTTP status code (100-599)")
        codes.add(int(item))
    return frozenset(codes)


def check_result(
    result: TitleResult, expect: str | None, statuses: Collection[int] | None
) -> TitleResult:
    """`result`, failed with `status_mismatch` or `title_mismatch` when it misses an expectation.

    `statuses` are the final statuses (after redirects) that count as success; None keeps the
    default, any 2xx. `expect` is a regex the title must contain (re.search). A result that
    failed before any response (no status) is returned unchanged.

    >>> ok = TitleResult("https://example.com/", status=200, title="Example Domain")
    >>> check_result(ok, "Example", None).ok
    True
    >>> check_result(ok, None, {301}).error
    Failure(kind='status_mismatch', message='expected status 301, got 200')
    """
    if result.status is None:
        return result
    if statuses is not None:
        if result.status not in statuses:
            return _failed(result, "status_mismatch", _status_message(statuses, result.status))
        if result.error is not None and result.error.kind in _STATUS_KINDS:
            result = replace(result, error=None)
    if expect is None or result.error is not None:
        return result
    if result.title is None or not _compiled(expect).search(result.title):
        got = "no title" if result.title is None else repr(result.title)
        return _failed(result, "title_mismatch", f"expected title matching {expect!r}, got {got}")
    return result


def _status_message(statuses: Collection[int], got: int) -> str:
    expected = " or ".join(str(code) for code in sorted(statuses))
    return f"expected status {expected}, got {got}"


def _failed(result: TitleResult, kind: str, message: str) -> TitleResult:
    return replace(result, error=Failure(kind, message))


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
