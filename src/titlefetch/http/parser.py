"""The body parser: httptools (llhttp, the parser of Node.js) reads a body by the framing
heads.py gives it, as browsers read bodies, and the errors a response can break with.

llhttp is strict where browsers are strict (chunk sizes, the data after each chunk) and is told
to be lenient where they are lenient (a bare LF ending a chunk line, spaces after a chunk size,
odd bytes in trailer fields). A chunked body is also read by a second, strict llhttp (no
callbacks: C only): if only the lenient one could read it, its connection is not reused.
"""

from __future__ import annotations

from collections import deque

import httptools

from titlefetch.http.headers import Headers
from titlefetch.http.heads import Head, HeadError

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

    @classmethod
    def of(cls, error: HeadError) -> MalformedResponse:
        return cls(f"malformed response: {error}")


class HeadTooLarge(ResponseError):
    """Response heads over heads.MAX_HEAD bytes."""


class CutShort(ResponseError):
    """The connection closed before the body's end, as its framing gives it."""


class NoResponse(ResponseError, ConnectionError):
    """The connection closed before the first byte of a response."""


class _Unsolicited(Exception):
    """A second response began after the one that was asked for (stops the parser)."""


class _Silent:
    """A parser's protocol with no callbacks: llhttp then parses in C alone."""


class Parse:
    """One response's body as httptools parses it, by the framing of its head."""

    __slots__ = (
        "parser", "strict", "headers", "status", "length", "ends_at_close", "keep_alive", "body",
        "complete", "error", "stray",
    )  # fmt: skip

    def __init__(self, head: Head) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.parser.set_dangerous_leniencies(**_LENIENCIES)
        self.headers: Headers = head.headers
        self.status = head.status
        self.length = head.length
        chunked = b"chunked" in head.framing
        self.ends_at_close = not chunked and head.length is None  # (204, 304: complete at once)
        self.body: deque[bytes] = deque()
        self.complete = False
        self.error: MalformedResponse | None = None  # in the body: raised once it is reached
        self.stray = False  # bytes came after the response's end
        self.parser.feed_data(head.framing)
        self.keep_alive = self.parser.should_keep_alive()
        self.strict: httptools.HttpResponseParser | None = None
        if chunked and not self.complete:
            self.strict = httptools.HttpResponseParser(_Silent())
            self.strict.feed_data(head.framing)

    def on_message_begin(self) -> None:
        if self.complete:
            raise _Unsolicited

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def feed(parse: Parse, data: bytes) -> bool:
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
