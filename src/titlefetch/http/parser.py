"""The response parser: httptools (llhttp, the parser of Node.js) set as browsers read responses,
with titlefetch's limits on heads, and the errors a response can break with.

llhttp is strict where browsers are strict (framing: Content-Length, chunk sizes, the status
line) and is told to be lenient where they are lenient (bare LF line ends, folded header lines,
any byte in a header value, a missing reason phrase, other HTTP/1.x versions, spaces after a
chunk size, Transfer-Encoding beside Content-Length). README "HTTP behaviour" lists each choice.
"""

from __future__ import annotations

from collections import deque

import httptools

from titlefetch.http.headers import Headers

MAX_HEAD = 64 * 1024  # bytes of status lines and headers, interim (1xx) responses included
MAX_HEADERS = 100  # header lines of one response, as http.client allows
_LENIENCIES = {
    "lenient_optional_cr_before_lf": True,  # bare LF line ends
    "lenient_headers": True,  # folded lines, control bytes in header values
    "lenient_version": True,  # HTTP/1.2 and the like, read as HTTP/1.1
    "lenient_spaces_after_chunk_size": True,
    "lenient_chunked_length": True,  # chunked wins over Content-Length (never reused after)
}


class ResponseError(Exception):
    """The response breaks HTTP/1.1 or a limit of ours."""


class MalformedResponse(ResponseError):
    """Bytes that are not an HTTP/1.1 response (llhttp's reason is the message)."""


class HeadTooLarge(ResponseError):
    """Response heads over MAX_HEAD bytes or MAX_HEADERS lines."""


class CutShort(ResponseError):
    """The connection closed before the body's end, as its framing gives it."""


class NoResponse(ResponseError, ConnectionError):
    """The connection closed before the first byte of a response."""


class _Unsolicited(Exception):
    """A second response began after the one that was asked for (stops the parser)."""


class Parse:
    """One response as httptools parses it: the final head, and body pieces as they arrive."""

    __slots__ = (
        "parser",
        "headers",
        "lines",
        "status",
        "head_done",
        "keep_alive",
        "body",
        "complete",
        "error",
    )

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.parser.set_dangerous_leniencies(**_LENIENCIES)
        self.headers = Headers()
        self.lines = 0
        self.status = 0
        self.head_done = False
        self.keep_alive = False
        self.body: deque[bytes] = deque()
        self.complete = False
        self.error: MalformedResponse | None = None  # in the body: raised once it is reached

    def on_message_begin(self) -> None:
        if self.complete:
            raise _Unsolicited

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.head_done:
            return  # a chunked body's trailer fields: nothing a browser uses
        self.lines += 1
        if self.lines > MAX_HEADERS:
            raise HeadTooLarge(f"more than {MAX_HEADERS} header lines")
        self.headers.add(name.lower().decode("latin-1"), value.decode("latin-1").strip())

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        self.head_done = not 100 <= self.status < 200

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
        else:  # an interim response (100 Continue, 103 Early Hints): the final one follows
            self.headers, self.lines = Headers(), 0


def feed(parse: Parse, data: bytes) -> bool:
    """Parse `data`; False if bytes came after the end of the response (it stays usable, its
    connection does not)."""
    try:
        parse.parser.feed_data(data)
    except httptools.HttpParserCallbackError as exc:
        cause = exc.__context__
        if isinstance(cause, _Unsolicited):
            return False
        if isinstance(cause, ResponseError):
            raise cause from None
        raise
    except httptools.HttpParserError as exc:
        if parse.complete:  # data after a response that closes the connection
            return False
        error = MalformedResponse(f"malformed response: {str(exc) or type(exc).__name__}")
        if not parse.head_done:
            raise error from None
        parse.error = error  # the body that came before it can still be read
        return False
    return True
