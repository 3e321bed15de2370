"""The response parser: httptools (llhttp, the parser of Node.js) reads a response as browsers
read it, and the errors a response can break with.

A head is read by llhttp, strictly, as HTTP/1.1 has it (the common case, in C); one that
llhttp refuses, or that Chromium reads otherwise (HTTP/1.0 chunked, a Location twice, ...), is
read by heads.py as Chromium reads it, and llhttp then reads the body by the framing heads.py
gives it. A body is read leniently where browsers are lenient (a bare LF ending a chunk line,
spaces after a chunk size, odd bytes in trailer fields); a chunked one is also read by a second,
strict llhttp (no callbacks: C only), and if only the lenient one could read it, or the head
needed heads.py, its connection is not reused.
"""

from __future__ import annotations

from collections import deque

import httptools

from titlefetch.http.headers import Headers
from titlefetch.http.heads import Head, read_head

_LENIENCIES = {
    "lenient_optional_cr_before_lf": True,  # a bare LF ending a chunk line: llhttp needs
    "lenient_optional_lf_after_cr": True,  # both flags for it
    "lenient_headers": True,  # control bytes in trailer fields
    "lenient_spaces_after_chunk_size": True,
}


class ResponseError(Exception):
    """The response breaks HTTP/1.1 or a limit of ours."""


class MalformedResponse(ResponseError):
    """Bytes that are not an HTTP/1.1 response (llhttp's or heads.py's reason is the message)."""


class HeadTooLarge(ResponseError):
    """Response heads over heads.MAX_HEAD bytes."""


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
        """Take `head` (read by heads.py), and the framing of its body; whether it is chunked."""
        self.parser = httptools.HttpResponseParser(self)
        self.headers, self.status, self.length = head.headers, head.status, head.length
        self.repaired, self.complete, self.head_done = True, False, True
        self.parser.feed_data(head.framing)
        return b"chunked" in head.framing

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.head_done:  # not a chunked body's trailer fields, nor heads.py's framing
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
