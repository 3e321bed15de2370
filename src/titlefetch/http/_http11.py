"""HTTP/1.1 on a connected socket: a GET in one send, the response read by _parser.py as it
arrives, its body handed out (decoded by _codings.py) as the fetch asks for it.

A response hands its socket back for the next request only when it was read exactly to its
end and nothing else was sent after it.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping

from titlefetch.http._codings import Decoder, decoder_for
from titlefetch.http._deadline import Deadline
from titlefetch.http._parser import (
    MAX_HEAD,
    MAX_INTERIM,
    CutShort,
    HeadError,
    HeadTooLarge,
    MalformedResponse,
    NoResponse,
    Parse,
    ResponseError,
    end_of_head,
    feed,
    is_http,
    is_interim,
    skip_empty_lines,
)

_RECV = 64 * 1024  # one recv() per this many bytes: each one hands the GIL over and back
# Reading a rest to keep a connection gets this long at most (on top of the attempt): a server
# that stalls after the title costs a closed connection, never the result's time.
DRAIN_SECONDS = 0.25
# The socket, whether it may be reused, and whether bytes came past the response's end.
Release = Callable[[socket.socket, bool, bool], None]


def encode_request(target: str, host: str, headers: Mapping[str, str]) -> bytes:
    """A GET of `target` (path and query) on `host` (its Host header), with `headers`."""
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


class SocketResponse:
    """A response whose head has been read. Read its body with read1, then release it."""

    __slots__ = (
        "status", "headers", "encoded_limit", "body_read", "_parse", "_sock", "_decoder", "_plain",
        "_ends_at_close", "_length", "_reusable", "_eof", "_cut", "_release",
    )  # fmt: skip

    def __init__(self, parse: Parse, sock: socket.socket, *, clean: bool = True) -> None:
        self.status = parse.status
        self.headers = parse.headers
        self.encoded_limit: int | None = None  # body bytes (as sent) a coded body may use
        self.body_read = 0  # body bytes (as sent) handed out so far
        self._parse = parse
        self._sock = sock
        self._decoder: Decoder | None = None
        self._plain = "content-encoding" not in self.headers._values
        self._length = parse.length
        self._ends_at_close = parse.ends_at_close
        self._reusable = clean and parse.keep_alive
        self._eof = False
        self._cut = False  # a coded body stopped at encoded_limit or MAX_MEMBERS
        self._release: Release | None = None

    def on_release(self, release: Release) -> None:
        """Call `release(socket, reusable, stray)` once, when this response is released."""
        self._release = release

    @property
    def length_remaining(self) -> int | None:
        """Body bytes (as sent) not yet read, when the response says how many."""
        return None if self._length is None else self._length - self.body_read

    @property
    def truncated(self) -> bool:
        """Whether reading stopped at a limit of the coded body, before its end."""
        return self._cut or (self._decoder is not None and self._decoder.stopped)

    def read1(self, most: int) -> bytes:
        """Up to `most` bytes of the decoded body; b"" at its end.

        Raises:
            UnsupportedCoding: the body's Content-Encoding cannot be decoded here.
            CutShort, MalformedResponse, OSError: the body broke off.
        """
        if self._plain:
            return self._raw(most)
        if self._decoder is None:
            self._decoder = decoder_for(self.headers.get("Content-Encoding"))
            if self._decoder is None:
                self._plain = True
                return self._raw(most)
        return self._decoded(self._decoder, most)

    def _decoded(self, decoder: Decoder, most: int) -> bytes:
        while True:
            out = decoder.read(most)
            if out or decoder.finished:
                return out
            if self.encoded_limit is not None and self.body_read >= self.encoded_limit:
                self._cut = True
                return b""
            data = self._raw(_RECV)
            if not data:  # a cut compressed body gives what it holds, as in browsers
                return b""
            decoder.feed(data)

    def _raw(self, most: int) -> bytes:
        pieces = self._parse.body
        while not pieces:
            if self._parse.error is not None:
                raise self._parse.error
            if self._parse.complete or not self._receive():
                return b""
        piece = pieces.popleft()
        if len(piece) > most:
            pieces.appendleft(piece[most:])
            piece = piece[:most]
        self.body_read += len(piece)
        return piece

    def _receive(self) -> bool:
        if self._parse.error is not None:
            raise self._parse.error
        data = b"" if self._eof else self._sock.recv(_RECV)
        if data:
            self._reusable &= feed(self._parse, data)
            return True
        self._eof = True
        if not self._ends_at_close:
            raise CutShort("the connection closed before the end of the body")
        self._parse.complete = True
        return False

    def skip_rest(self, limit: int, deadline: Deadline) -> None:
        """Read the rest of the body as sent and forget it, when that is at most `limit` bytes
        and it comes within DRAIN_SECONDS and `deadline` (whose watchdog shuts the socket after
        that): the connection can then carry the next request."""
        parse, left = self._parse, self.length_remaining
        if parse.complete or left is None or left > limit:
            return
        try:
            with deadline.limited(self._sock, DRAIN_SECONDS):
                while not parse.complete:
                    parse.body.clear()
                    self._receive()
        except (OSError, ResponseError):
            self._reusable = False  # what was needed has been read: only the connection is lost
        finally:
            parse.body.clear()

    def release(self) -> None:
        """Give the socket back: for reuse only when the response was read exactly to its end
        and nothing followed it."""
        if self._release is None:
            return
        release, self._release = self._release, None
        parse, sock = self._parse, self._sock
        reusable = self._reusable and parse.complete and not self._eof
        stray = parse.stray
        if reusable and isinstance(sock, ssl.SSLSocket) and sock.pending():
            reusable, stray = False, True  # decrypted bytes no response asked for
        release(sock, reusable, stray)


def read_response(sock: socket.socket) -> SocketResponse:
    """Read the head of the response that `sock` carries (skipping interim 1xx responses).

    Raises:
        NoResponse: the connection closed before the first byte.
        CutShort: it closed in the middle of the head.
        MalformedResponse: not an HTTP/1.1 response, as Chromium reads one (_parser.py).
        HeadTooLarge: heads over MAX_HEAD bytes, or MAX_INTERIM interim responses.
        OSError: from the socket.
    """
    # Heads end before `at`; `dropped` bytes of them are gone from `data`, which holds at
    # most one head; no empty line ends before `searched`.
    data: bytes | bytearray = sock.recv(_RECV)  # most heads come whole in the first recv()
    at, dropped, searched, interim = 0, 0, 0, 0
    while True:
        if at < len(data) and data[at] in b"\r\n":  # empty lines before a head
            at = skip_empty_lines(data, at)
        if len(data) - at >= 4 and not is_http(data[at : at + 4]):
            raise MalformedResponse("malformed response: not an HTTP/1.x status line")
        end = end_of_head(data, max(at, searched))
        if dropped + (len(data) if end is None else end) > MAX_HEAD:
            raise HeadTooLarge(f"response heads over {MAX_HEAD} bytes")
        if end is not None:
            head, at = bytes(memoryview(data)[at:end]), end
            if not is_interim(head):
                break
            if (interim := interim + 1) > MAX_INTERIM:
                raise HeadTooLarge(f"more than {MAX_INTERIM} interim (1xx) responses")
            continue
        received = sock.recv(_RECV)
        if not received:
            if data or dropped:
                raise CutShort("the connection closed in the middle of the response head")
            raise NoResponse("the connection closed without a response")
        if isinstance(data, bytes):
            data = bytearray(data)  # grown in place from here on
        del data[:at]
        dropped, searched, at = dropped + at, max(0, len(data) - 2), 0  # an empty line: 3 bytes
        data += received
    parse = _parse(head)
    clean = feed(parse, memoryview(data)[at:]) if at < len(data) else True
    return SocketResponse(parse, sock, clean=clean and not parse.repaired)


def _parse(head: bytes) -> Parse:
    try:
        return Parse(head)
    except HeadError as exc:
        raise MalformedResponse(f"malformed response: {exc}") from None
