"""A response head read as Chromium reads it (net/http's HttpResponseHeaders): lenient where it
is lenient, refused where it refuses, and turned into the framing llhttp reads the body by.

Chromium ends a head at the first empty line (LF LF or LF CR LF), splits it into lines at any
CR or LF, skips lines without a colon, reads a status code from the digits after the version
(none: 200), ignores a Content-Length that is not a number, and refuses a NUL in the head or
two different values of Content-Length or Location. docs/http.md lists every choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from titlefetch.http.headers import Headers

MAX_INTERIM = 64  # interim (1xx) responses before the final one; more is an endless stream
MAX_HEAD = 256 * 1024  # bytes of status lines and headers, interim (1xx) ones included: Chromium's
_END = re.compile(rb"\n\r?\n")
_EMPTY_LINES = re.compile(rb"[\r\n]+")
_LINE_ENDS = re.compile(r"[\r\n]+")
_VERSION = re.compile(r"http/(\d+)\.(\d+)", re.IGNORECASE | re.ASCII)
_STATUS = re.compile(r"[^ ]* +(\d{1,9})", re.ASCII)
_LENGTH = re.compile(r"\d{1,18}", re.ASCII)  # below 2**63, as Chromium's int64


class HeadError(Exception):
    """A head Chromium refuses too (net::ERR_INVALID_HTTP_RESPONSE and its relatives)."""


@dataclass(frozen=True, slots=True)
class Head:
    """One response head: its status and headers, and how its body is framed. A head read
    here needed a leniency (llhttp would not read it so): its connection is never reused."""

    status: int
    headers: Headers
    framing: bytes  # the head as llhttp is given it: the framing of the body and nothing else
    length: int | None  # the body's length, when a Content-Length gives it (chunked: None)


def skip_empty_lines(data: bytes | bytearray, start: int) -> int:
    """Where a head in `data` begins, skipping line ends from `start` (as browsers do)."""
    found = _EMPTY_LINES.match(data, start)
    return start if found is None else found.end()


def is_http(data: bytes | bytearray) -> bool:
    """Whether `data` (4 bytes or more, after any empty lines) can begin a response head."""
    return data[:4].lower() == b"http"


def end_of_head(data: bytes | bytearray, start: int = 0) -> int | None:
    """Where the head at the start of `data` ends (after its empty line), if it has; no
    empty line ends before `start`."""
    found = _END.search(data, start)
    return None if found is None else found.end()


def is_interim(data: bytes) -> bool:
    """Whether the head in `data` is an interim (1xx) response that a final one follows (100
    Continue, 103 Early Hints); not 101, which heads are refused for."""
    if data[:9] in (b"HTTP/1.1 ", b"HTTP/1.0 ") and data[9:10] in (b"2", b"3", b"4", b"5"):
        return False  # the common case, without decoding
    status, _ = _status_line(_LINE_ENDS.split(data[:256].decode("latin-1"), 1)[0])
    return 100 <= status < 200 and status != 101


def read_head(data: bytes) -> Head:
    """The head in `data` (its empty line included; leading line ends skipped already).

    Raises:
        HeadError: Chromium refuses it.
    """
    if b"\0" in data:
        raise HeadError("a NUL byte in the response head")
    lines = _LINE_ENDS.split(data.decode("latin-1"))
    status, is_11 = _status_line(lines[0])
    if status == 101:
        raise HeadError("a 101 Switching Protocols that nobody asked for")
    headers = _headers(lines[1:-1])
    framing, length = _framing(status, headers._values, is_11)
    return Head(status, headers, framing, length)


def _status_line(line: str) -> tuple[int, bool]:
    """The status of a status line, and whether its version is HTTP/1.1 or later."""
    if line[:4].lower() != "http":
        raise HeadError("not an HTTP/1.x status line")
    version = _VERSION.match(line)
    is_11 = version is not None and (int(version[1]), int(version[2])) >= (1, 1)
    code = _STATUS.match(line)
    return int(code[1]) if code else 200, is_11  # Chromium: no code is 200


def _headers(lines: list[str]) -> Headers:
    """The headers of `lines`: one without a colon or a name is skipped, one that starts with
    a space or tab continues the one before (obsolete line folding)."""
    headers = Headers()
    values = headers._values
    last = ""  # the name a folded line adds to
    for line in lines:
        if line[:1] in " \t":
            if last in values:
                values[last][-1] = (values[last][-1] + " " + line.strip(" \t")).strip(" ")
            continue
        name, colon, value = line.partition(":")
        last = name.strip(" \t").lower()
        if colon and last:
            values.setdefault(last, []).append(value.strip(" \t"))
    return headers


def _framing(status: int, values: dict[str, list[str]], is_11: bool) -> tuple[bytes, int | None]:
    """The head llhttp reads the body by, and the body's length if it is given. Chromium
    de-chunks only HTTP/1.1 bodies, and keeps HTTP/1.0 connections only when they ask."""
    locations = values.get("location", [])
    if len(set(locations)) > 1:
        raise HeadError("two different Location headers")
    del locations[1:]  # the same one twice: once
    head = b"HTTP/1.1 %d -\r\n" % (status if 100 <= status < 600 else 200)
    connection = ",".join(values.get("connection", ())).lower()
    if "close" in connection or not (is_11 or "keep-alive" in connection):
        head += b"Connection: close\r\n"
    codings = ",".join(values.get("transfer-encoding", ())).split(",")
    if is_11 and "chunked" in {coding.strip().lower() for coding in codings}:
        return head + b"Transfer-Encoding: chunked\r\n\r\n", None  # Content-Length or not
    length = _content_length(values["content-length"]) if "content-length" in values else None
    if length is not None:
        head += b"Content-Length: %d\r\n" % length
    return head + b"\r\n", length


def _content_length(raw: list[str]) -> int | None:
    """The body's length; None when it ends at the close (Chromium ignores a length that is not
    a number, and reads the body to the close)."""
    values = {value.strip() for line in raw for value in line.split(",")}
    if len(values) > 1:
        raise HeadError("two different Content-Length values")
    value = values.pop()
    return int(value) if _LENGTH.fullmatch(value) else None
