"""HTTP/1.1 on a connected socket: a GET in one send, the response head, its body as read.

The framing rules are RFC 9112's (section 6.3), read as leniently as browsers read them: bare
LF line ends, a status line without a reason, folded header lines and header lines without a
colon are all accepted. A response whose body was read to its end hands its socket back for
the next request; any other is closed. Errors are http.client's exceptions, so one
classification (failures.py) covers this module and urllib3 alike.
"""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Callable, Iterable, Mapping

from titlefetch.http.codings import decoder_for

MAX_HEAD = 64 * 1024  # bytes of status line and headers, as http.client allows per line
MAX_HEADERS = 100  # as http.client
_RECV = 64 * 1024  # one recv() per this many bytes: each one hands the GIL over and back
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_NO_BODY_STATUSES = frozenset({204, 304})

Release = Callable[[socket.socket, bool], None]  # the socket, and whether it may be reused


def encode_request(target: str, host: str, headers: Mapping[str, str]) -> bytes:
    """A GET of `target` (path and query) on `host` (its Host header), with `headers`."""
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


class Headers:
    """Response headers, looked up without regard to case; repeated ones keep every value."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The header's value (repeated values joined by ", ", as urllib3 does)."""
        values = self._values.get(name.lower())
        return ", ".join(values) if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values


class _Stream:
    """Bytes from a socket, with what was received but not yet consumed kept in front."""

    __slots__ = ("sock", "_buffer")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    @property
    def has_leftover(self) -> bool:
        return bool(self._buffer)

    def read_some(self, most: int) -> bytes:
        """At most `most` bytes, from the buffer or one recv(); b"" when the peer closed."""
        if not self._buffer:
            data = self.sock.recv(_RECV)
            if len(data) <= most:
                return data
            self._buffer = data
        data, self._buffer = self._buffer[:most], self._buffer[most:]
        return data

    def read_until(self, end: re.Pattern[bytes], limit: int) -> bytes | None:
        """The bytes up to and including the first match of `end`; None if the peer closed
        first. Raises LineTooLong past `limit` bytes."""
        searched = 0
        while True:
            found = end.search(self._buffer, max(0, searched - 3))
            if found is not None and found.end() > limit:
                raise http.client.LineTooLong("response head")
            if found is not None:
                data, self._buffer = self._buffer[: found.end()], self._buffer[found.end() :]
                return data
            searched = len(self._buffer)
            if searched > limit:
                raise http.client.LineTooLong("response head")
            data = self.sock.recv(_RECV)
            if not data:
                return None
            self._buffer += data


class _Length:
    """A body of Content-Length bytes."""

    __slots__ = ("left",)

    def __init__(self, length: int) -> None:
        self.left = length

    @property
    def done(self) -> bool:
        return self.left == 0

    def read(self, stream: _Stream, most: int) -> bytes:
        if not self.left:
            return b""
        data = stream.read_some(min(most, self.left))
        if not data:
            raise http.client.IncompleteRead(b"", self.left)
        self.left -= len(data)
        return data


class _Chunked:
    """A body in chunks: a hex size line, that many bytes and a line end, until size 0."""

    __slots__ = ("left", "done", "_started")

    def __init__(self) -> None:
        self.left = 0  # bytes of the current chunk not yet read
        self.done = False
        self._started = False

    def read(self, stream: _Stream, most: int) -> bytes:
        if self.done:
            return b""
        if not self.left:
            self._next_chunk(stream)
            if self.done:
                return b""
        data = stream.read_some(min(most, self.left))
        if not data:
            raise http.client.IncompleteRead(b"")
        self.left -= len(data)
        return data

    def _next_chunk(self, stream: _Stream) -> None:
        if self._started:
            _read_line(stream)  # the line end after the previous chunk's data
        self._started = True
        size_line = _read_line(stream).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise http.client.IncompleteRead(size_line) from None
        if size < 0:
            raise http.client.IncompleteRead(size_line)
        if size == 0:
            while _read_line(stream):  # trailer fields, up to an empty line
                pass
            self.done = True
        self.left = size


def _read_line(stream: _Stream) -> bytes:
    line = stream.read_until(_LINE_END, MAX_HEAD)
    if line is None:
        raise http.client.IncompleteRead(b"")
    return line.rstrip(b"\r\n")


class _UntilClose:
    """A body that ends when the server closes the connection."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def read(self, stream: _Stream, most: int) -> bytes:
        data = stream.read_some(most) if not self.done else b""
        self.done = not data
        return data


_Body = _Length | _Chunked | _UntilClose


class Response:
    """A response whose head has been read. Read its body with read1, then release it."""

    __slots__ = ("status", "headers", "_stream", "_body", "_decoder", "_reusable", "_release")

    def __init__(
        self, status: int, headers: Headers, stream: _Stream, body: _Body, *, reusable: bool
    ) -> None:
        self.status = status
        self.headers = headers
        self._stream = stream
        self._body = body
        self._decoder = decoder_for(headers.get("Content-Encoding"))
        self._reusable = reusable
        self._release: Release | None = None

    def on_release(self, release: Release) -> None:
        """Call `release(socket, reusable)` once, when this response is released."""
        self._release = release

    @property
    def length_remaining(self) -> int | None:
        """Body bytes (as sent) not yet read, when the response says how many."""
        return self._body.left if isinstance(self._body, _Length) else None

    def get_redirect_location(self) -> str | None:
        """As urllib3's responses do (urllib3's Retry asks)."""
        return self.headers.get("Location") if 300 <= self.status < 400 else None

    def read1(self, most: int) -> bytes:
        """Up to `most` bytes of the decoded body; b"" at its end."""
        while True:
            if self._decoder is not None and self._decoder.has_pending:
                out = self._decoder.decode(b"", most)
                if out:
                    return out
            if self._decoder is None:
                return self._body.read(self._stream, most)
            data = self._body.read(self._stream, _RECV)
            if not data:  # a cut compressed body gives what it holds, as in browsers
                return b""
            out = self._decoder.decode(data, most)
            if out:
                return out

    def skip_rest(self, limit: int) -> None:
        """Read the rest of the body as sent and forget it, when that is at most `limit`
        bytes: the connection can then carry the next request."""
        left = self.length_remaining
        if left is None or left > limit:
            return
        try:
            while self._body.read(self._stream, _RECV):
                pass
        except (OSError, http.client.HTTPException):
            self._reusable = False  # what was needed has been read: only the connection is lost

    def release(self) -> None:
        """Give the socket back, for reuse only if the body was read to its end."""
        if self._release is None:
            return
        release, self._release = self._release, None
        reusable = self._reusable and self._body.done and not self._stream.has_leftover
        release(self._stream.sock, reusable)


def read_response(sock: socket.socket) -> Response:
    """Read the head of the response that `sock` carries (skipping 1xx interim responses).

    Raises:
        http.client.RemoteDisconnected: the connection closed before the first byte.
        http.client.HTTPException: a malformed or cut head, or one over MAX_HEAD or
            MAX_HEADERS (LineTooLong, "got more than 100 headers").
        OSError: from the socket.
    """
    stream = _Stream(sock)
    while True:
        head = stream.read_until(_HEAD_END, MAX_HEAD)
        if head is None and stream.has_leftover:
            raise http.client.IncompleteRead(b"", None)  # closed in the middle of the head
        if head is None:
            raise http.client.RemoteDisconnected("closed without a response")
        version, status, headers = parse_head(head)
        if not 100 <= status < 200 or status == 101:
            break
    body = _framing(status, headers)
    return Response(status, headers, stream, body, reusable=_keeps_alive(version, headers, body))


def parse_head(head: bytes) -> tuple[int, int, Headers]:
    """(HTTP version as 10 or 11, status, headers) of a response head."""
    lines = _LINE_END.split(head.rstrip(b"\r\n"))
    version, status = _parse_status_line(lines[0])
    if len(lines) > MAX_HEADERS + 1:
        raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and pairs:  # obsolete line folding: continues the last
            folded_name, folded_value = pairs[-1]
            pairs[-1] = (folded_name, f"{folded_value} {line.strip().decode('latin-1')}")
            continue
        name, colon, value = line.partition(b":")
        if colon and name.strip():  # a line without a name is skipped, as browsers do
            pairs.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    return version, status, Headers(pairs)


def _parse_status_line(line: bytes) -> tuple[int, int]:
    protocol, _, rest = line.partition(b" ")
    code = rest.lstrip()[:3]
    if not protocol.startswith(b"HTTP/") or len(code) != 3 or not code.isdigit():
        raise http.client.BadStatusLine(line.decode("latin-1"))
    return (10 if protocol == b"HTTP/1.0" else 11), int(code)


def _keeps_alive(version: int, headers: Headers, body: _Body) -> bool:
    if isinstance(body, _UntilClose):
        return False
    tokens = {token.strip().lower() for token in (headers.get("Connection") or "").split(",")}
    return "close" not in tokens if version >= 11 else "keep-alive" in tokens


def _framing(status: int, headers: Headers) -> _Body:
    """How the body's end is found (RFC 9112, 6.3)."""
    if status in _NO_BODY_STATUSES:
        return _Length(0)
    codings = headers.get("Transfer-Encoding")
    if codings is not None:
        if codings.rsplit(",", 1)[-1].strip().lower() == "chunked":
            return _Chunked()
        return _UntilClose()
    lengths = headers.getlist("Content-Length")
    if not lengths:
        return _UntilClose()
    values = {value.strip() for joined in lengths for value in joined.split(",")}
    if len(values) != 1 or not (value := values.pop()).isdigit():
        raise http.client.HTTPException(f"invalid Content-Length: {', '.join(lengths)!r}")
    return _Length(int(value))
