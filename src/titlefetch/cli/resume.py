"""--resume: the URLs an earlier, interrupted run already answered in its jsonl output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from titlefetch._errors import SourceError


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
