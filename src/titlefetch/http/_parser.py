"""The response parser: its head and headers as browsers read them, its body through httptools
(llhttp, the parser of Node.js), and the errors a response can break with.

A head is read by llhttp, strictly, as HTTP/1.1 has it (the common case, in C); one that
llhttp refuses, or that Chromium reads otherwise (HTTP/1.0 chunked, a Location twice, ...), is
read by read_head() as Chromium reads it, and llhttp then reads the body by the framing
read_head() gives it. A body is read leniently where browsers are lenient (a bare LF ending a
chunk line, spaces after a chunk size, odd bytes in trailer fields); a chunked one is also read
by a second, strict llhttp (no callbacks: C only), and if only the lenient one could read it,
or the head needed read_head(), its connection is not reused.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import httptools

_LENIENCIES = {
    "lenient_optional_cr_before_lf": True,  # a bare LF ending a chunk line: llhttp needs
    "lenient_optional_lf_after_cr": True,  # both flags for it
    "lenient_headers": True,  # control bytes in trailer fields
    "lenient_spaces_after_chunk_size": True,
}


class ResponseError(Exception):
    """The response breaks HTTP/1.1 or a limit of ours."""


class MalformedResponse(ResponseError):
    """Bytes that are not an HTTP/1.1 response (llhttp's or read_head()'s reason is the message)."""


class HeadTooLarge(ResponseError):
    """Response heads over MAX_HEAD bytes."""


class CutShort(ResponseError):
    """The connection closed before the body's end, as its framing gives it."""


class NoResponse(ResponseError, ConnectionError):
    """The connection closed before the first byte of a response."""


class _Unsolicited(Exception):
    """A second response began after the one that was asked for (stops the parser)."""


_CHUNKED = b"HTTP/1.1 200 -\r\nTransfer-Encoding: chunked\r\n\r\n"


class _Silent:
    """A parser's protocol with no callbacks: llhttp then parses in C alone."""


class Parse:
    """One response as httptools parses it: its head, and body pieces as they arrive."""

    __slots__ = (
        "parser", "strict", "headers", "status", "head_done", "length", "ends_at_close",
        "keep_alive", "repaired", "body", "complete", "error", "stray",
    )  # fmt: skip

    def __init__(self, head: bytes) -> None:
        """Parse the final `head` (its empty line included).

        Raises:
            HeadError: Chromium refuses it.
        """
        self.headers, self.status, self.head_done = Headers(), 0, False
        self.body: deque[bytes] = deque()
        self.complete, self.stray = False, False  # stray: bytes came after the response's end
        self.error: MalformedResponse | None = None  # in the body: raised once it is reached
        self.parser = httptools.HttpResponseParser(self)
        try:
            self.parser.feed_data(head)
            is_plain = self._is_plain()
        except httptools.HttpParserError:
            is_plain = False
        if is_plain:
            chunked, self.repaired = "transfer-encoding" in self.headers, False
            length = None if chunked else self.headers.get("content-length")
            self.length = None if length is None else int(length)  # llhttp let digits only by
        else:
            chunked = self._read_as_chromium(read_head(head))
        self.ends_at_close = not chunked and self.length is None  # (204, 304: complete at once)
        self.keep_alive = self.parser.should_keep_alive()
        self.parser.set_dangerous_leniencies(**_LENIENCIES)
        self.strict: httptools.HttpResponseParser | None = None
        if chunked and not self.complete:
            self.strict = httptools.HttpResponseParser(_Silent())
            self.strict.feed_data(_CHUNKED)

    def _is_plain(self) -> bool:
        """Whether llhttp read the head as Chromium reads it."""
        if not self.head_done or not 100 <= self.status < 600:
            return False
        values = self.headers._values
        codings = values.get("transfer-encoding")
        if len(values.get("location", ())) > 1:
            return False
        # Chromium de-chunks only HTTP/1.1 (llhttp, HTTP/1.0 too), and reads HTTP/2.0 as 1.1.
        return codings is None or (
            codings == ["chunked"] and self.parser.get_http_version() == "1.1"
        )

    def _read_as_chromium(self, head: Head) -> bool:
        """Take `head` (read by read_head()), and the framing of its body; whether it is chunked."""
        self.parser = httptools.HttpResponseParser(self)
        self.headers, self.status, self.length = head.headers, head.status, head.length
        self.repaired, self.complete, self.head_done = True, False, True
        self.parser.feed_data(head.framing)
        return b"chunked" in head.framing

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.head_done:  # not a chunked body's trailer fields, nor read_head()'s framing
            self.headers.add(name.lower().decode("latin-1"), value.decode("latin-1").strip())

    def on_headers_complete(self) -> None:
        if not self.head_done:
            self.status, self.head_done = self.parser.get_status_code(), True

    def on_message_begin(self) -> None:
        if self.complete:
            raise _Unsolicited

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def feed(parse: Parse, data: bytes | memoryview) -> bool:
    """Parse `data`; False if its connection cannot be reused: bytes came after the end of the
    response (parse.stray), or only a leniency read them (the response stays usable)."""
    strict = parse.strict
    try:
        parse.parser.feed_data(data)
    except httptools.HttpParserCallbackError as exc:
        cause = exc.__context__
        if isinstance(cause, _Unsolicited):
            parse.stray = True
            return False
        raise
    except httptools.HttpParserError as exc:
        if parse.complete:  # data after a response that closes the connection
            parse.stray = True
            return False
        parse.error = MalformedResponse(f"malformed response: {str(exc) or type(exc).__name__}")
        return False  # the body that came before it can still be read
    if strict is not None:
        try:
            strict.feed_data(data)
        except httptools.HttpParserError:
            parse.strict = None
            return False  # only a leniency read it: never reused
    return True


# A response head read as Chromium reads it (net/http's HttpResponseHeaders): lenient where it
# is lenient, refused where it refuses, and turned into the framing llhttp reads the body by.
#
# Chromium ends a head at the first empty line (LF LF or LF CR LF), splits it into lines at any
# CR or LF, skips lines without a colon, reads a status code from the digits after the version
# (none: 200), ignores a Content-Length that is not a number, and refuses a NUL in the head or
# two different values of Content-Length or Location. docs/http.md lists every choice.

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
            headers.add(last, value.strip(" \t"))
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


# Response headers: looked up without regard to case, every value of a repeated one kept.


class Headers:
    """Response headers, looked up without regard to case; repeated ones keep every value."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def add(self, name: str, value: str) -> None:
        """Add a header whose `name` is in lower case already."""
        values = self._values.get(name)
        if values is None:
            self._values[name] = [value]
        else:
            values.append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The header's value (repeated values joined by ", ", as urllib3 does)."""
        values = self._values.get(name.lower())
        return ", ".join(values) if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values
