"""URLs from files, stdin (`-`) or the command line: one UrlLine per meaningful input line."""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterable, Iterator

from titlefetch.errors import SourceError
from titlefetch.run.lines import UrlLine, is_url_argument, parse_lines, url_problem

STDIN = "-"


def read_source(source: str) -> Iterator[UrlLine]:
    """Lazily read one SOURCE: a URL, `-` for stdin, or a file of URLs.

    Raises:
        SourceError: the file cannot be read.
    """
    if is_url_argument(source):
        yield UrlLine(source, "argument", 1, url_problem(source))
    elif source == STDIN:
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        yield from parse_lines(stream, "<stdin>")
    else:
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                yield from parse_lines(handle, source)
        except OSError as exc:
            raise SourceError(f"cannot read {source}: {exc.strerror or exc}") from exc


def check_readable(source: str) -> None:
    """Raise SourceError now if the file SOURCE cannot be opened for reading."""
    if source == STDIN or is_url_argument(source):
        return
    try:
        with open(source, "rb") as handle:
            handle.read(0)
    except OSError as exc:
        raise SourceError(f"cannot read {source}: {exc.strerror or exc}") from exc


def read_sources(sources: Iterable[str]) -> Iterator[UrlLine]:
    """All SOURCEs in order. Every file is checked up front so a typo fails before any fetch."""
    sources = list(sources)
    for source in sources:
        check_readable(source)
    return itertools.chain.from_iterable(read_source(source) for source in sources)


def count_lines(sources: Iterable[str]) -> int | None:
    """How many URL lines the SOURCEs hold, or None when one is stdin (unknown in advance)."""
    sources = list(sources)
    if STDIN in sources:
        return None
    return sum(1 for source in sources for _ in read_source(source))
