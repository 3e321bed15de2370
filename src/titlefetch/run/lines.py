"""Input lines -> UrlLine: what a line of a URL list means, as pure functions (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from titlefetch.http.origin import Origin

_URL_PREFIXES = ("http://", "https://")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")  # \s: whitespace as str.isspace() sees it


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


def url_problem(url: str) -> str | None:
    """Why `url` is not a fetchable http(s) URL, or None when it is."""
    if not url.lower().startswith(_URL_PREFIXES):
        return "not an http(s) URL"
    if _SPACE_OR_CONTROL.search(url):
        return "contains whitespace or control characters"
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
