"""The response reader against a reference parser (h11, a test-only oracle), on generated and
mutated response bytes: the same status and body when both read a response, a clean protocol
error (ResponseError) otherwise, never an exception of another kind.

One deliberate difference: a chunked HTTP/1.0 body is not de-chunked, as in Chromium (issue
22); h11 de-chunks it, so such responses are not compared."""

from __future__ import annotations

from typing import Any

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titlefetch.http._http11 import read_response
from titlefetch.http._parser import ResponseError

Outcome = tuple[str, Any, Any]


class Pieces:
    """A socket's recv() over bytes in memory, `size` bytes at a time, then end of stream."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size

    def recv(self, most: int) -> bytes:
        data, self._data = self._data[: min(most, self._size)], self._data[min(most, self._size) :]
        return data


def ours(data: bytes, size: int) -> Outcome:
    try:
        response = read_response(Pieces(data, size))  # type: ignore[arg-type]
        body = b""
        while chunk := response.read1(1000):
            body += chunk
    except ResponseError as exc:
        return ("error", type(exc).__name__, None)
    return ("ok", response.status, body)


def reference(data: bytes) -> Outcome:
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="GET", target="/", headers=[("Host", "a.test")]))
    connection.send(h11.EndOfMessage())
    connection.receive_data(data)
    connection.receive_data(b"")
    status, body = None, b""
    try:
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Response):
                status = event.status_code
                chunked = any(name == b"transfer-encoding" for name, _ in event.headers)
                if event.http_version == b"1.0" and chunked:
                    return ("chunked on HTTP/1.0", None, None)
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return ("ok", status, body)
            elif event is h11.NEED_DATA or event is h11.PAUSED:
                return ("error", "incomplete", None)
    except h11.RemoteProtocolError as exc:
        return ("error", str(exc), None)


# Not Location: two different ones are refused, as Chromium refuses them (h11 reads them).
TOKEN = (
    st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
    .filter(lambda name: name != "location")
    .map(str.encode)
)
VALUE = st.text("abcdefgh 0123456789,;=/", max_size=20).map(str.encode)


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    status = draw(st.sampled_from([200, 204, 301, 304, 404, 500]) | st.integers(200, 599))
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    reason = draw(st.sampled_from([b" OK", b" Whatever it is", b""]))
    headers = draw(st.lists(st.tuples(TOKEN, VALUE), max_size=4))
    body = draw(st.binary(max_size=200))
    framings = ["length", "chunked", "close"] if version == b"HTTP/1.1" else ["length", "close"]
    framing = draw(st.sampled_from(framings))
    lines = [version + b" %d" % status + reason]
    lines += [name + b": " + value for name, value in headers]
    if framing == "length":
        lines.append(b"Content-Length: %d" % len(body))
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        cut = draw(st.integers(0, len(body)))
        pieces = [piece for piece in (body[:cut], body[cut:]) if piece]
        body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    interim = draw(st.sampled_from([b"", b"HTTP/1.1 100 Continue\r\n\r\n"]))
    return interim + eol.join(lines) + eol + eol + body


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(responses()))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        byte = draw(st.sampled_from(b"\r\n :0aZ\x00\xff;-"))
        if edit == "insert":
            data[where:where] = bytes([byte])
        elif edit == "delete":
            del data[where : where + 1]
        elif edit == "replace":
            data[where : where + 1] = bytes([byte])
        else:
            del data[where:]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=responses() | mutated(), size=st.integers(1, 64))
def test_the_reader_frames_as_h11_does_or_refuses_cleanly(data, size):
    mine, theirs = ours(data, size), reference(data)
    if mine[0] == "ok" and theirs[0] == "ok":
        assert mine == theirs
    assert ours(data, len(data) + 1) == mine  # however the bytes arrive


@settings(max_examples=200, deadline=None)
@given(data=responses())
def test_well_formed_responses_are_read_by_both_alike(data):
    mine, theirs = ours(data, 7), reference(data)
    assert mine[0] == theirs[0] == "ok"
    assert mine == theirs
