"""URLs from files, stdin (`-`) or the command line: one UrlLine per meaningful input line.

--resume: the URLs an earlier, interrupted run already answered in its jsonl output.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import sys
from collections.abc import Iterable, Iterator

from titlefetch._errors import SourceError
from titlefetch.run import (
    UrlLine,
    host_line_problem,
    is_url_argument,
    parse_lines,
    url_problem,
)

STDIN = "-"
# A missing `urls.txt` is a typo of a file name, not the host urls.txt: no such TLD exists.
_LIST_SUFFIXES = (".txt", ".csv", ".tsv", ".json", ".jsonl", ".lst", ".list", ".log")


def is_line_argument(source: str) -> bool:
    """Whether a command-line SOURCE is a line to fetch itself: a URL, or a host line (such as
    example.com or host:8443/path) when no file of that name exists."""
    if is_url_argument(source):
        return True
    if source == STDIN or os.path.lexists(source) or source.lower().endswith(_LIST_SUFFIXES):
        return False
    return host_line_problem(source) is None


def read_source(source: str) -> Iterator[UrlLine]:
    """Lazily read one SOURCE: a URL or host line, `-` for stdin, or a file of URLs.

    Raises:
        SourceError: the file cannot be read.
    """
    if is_line_argument(source):
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
    if source == STDIN or is_line_argument(source):
        return
    try:
        with open(source, "rb") as handle:
            handle.read(0)
    except OSError as exc:
        raise SourceError(
            f"cannot read {source}: {exc.strerror or exc}{_nor_a_host(source)}"
        ) from exc


def _nor_a_host(source: str) -> str:
    # Said only when the argument could have been meant as a host: a file name with a path
    # or a list's suffix was meant as a file.
    if os.sep in source or source.lower().endswith(_LIST_SUFFIXES) or os.path.lexists(source):
        return ""
    return f"; nor is it a host to fetch: {host_line_problem(source)}"


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


def trim_partial_line(path: str) -> None:
    """Cut a last line that a hard kill left unfinished, so appending starts on a fresh line."""
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        position = size
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            newline = handle.read(step).rfind(b"\n")
            if newline >= 0:
                handle.truncate(position - step + newline + 1)
                return
            position -= step
        handle.truncate(0)


def answered_urls(path: str) -> Iterator[str]:
    """The `url` of every record in a jsonl output, one per line, lazily.

    Raises:
        SourceError: the file cannot be read, or a line is not a titlefetch jsonl record.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                yield _url_of(line, f"{path}:{number}")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _url_of(line: str, where: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where}: not a jsonl record ({exc.msg})") from exc
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(url, str):
        raise SourceError(f"{where}: a titlefetch jsonl record has a 'url'")
    return url
