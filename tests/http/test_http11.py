"""_http11: response heads, body framing, decoding and reuse, on real sockets (socketpair)."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Iterator

import pytest

from titlefetch.http._codings import ContentDecodingError, decoders_here
from titlefetch.http._deadline import Deadline
from titlefetch.http._http11 import SocketResponse, encode_request, read_response
from titlefetch.http._parser import MAX_HEAD, CutShort, HeadTooLarge, MalformedResponse, NoResponse


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    with client, server:
        yield client, server


def serve(server: socket.socket, data: bytes, *, close: bool = True) -> None:
    """Send `data` from a thread (it may be more than the socket buffer holds), then close."""

    def send() -> None:
        try:
            server.sendall(data)
            if close:
                server.shutdown(socket.SHUT_WR)
        except OSError:  # the test closed its end early
            pass

    threading.Thread(target=send, daemon=True).start()


def respond(
    pair: tuple[socket.socket, socket.socket], data: bytes, **kwargs: bool
) -> SocketResponse:
    client, server = pair
    serve(server, data, **kwargs)
    return read_response(client)


def read_all(response: SocketResponse, most: int = 1 << 20) -> bytes:
    chunks = []
    while chunk := response.read1(most):
        assert len(chunk) <= most
        chunks.append(chunk)
    return b"".join(chunks)


def released(response: SocketResponse) -> list[bool]:
    """The reusable flags the response's release callback is called with."""
    calls: list[bool] = []
    response.on_release(lambda sock, reusable, stray: calls.append(reusable))
    return calls


OK_HI = b"Content-Length: 2\r\n\r\nhi"


def test_request_is_one_get_with_host_first_and_a_blank_line_last():
    request = encode_request("/a?b=1", "example.test:8080", {"User-Agent": "t/1", "Accept": "*/*"})
    assert request == (
        b"GET /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("raw", "status", "headers"),
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nA: 1\r\n" + OK_HI, 200, {"a": "1"}, id="plain"),
        pytest.param(b"HTTP/1.0 404 Not Found\r\n" + OK_HI, 404, {}, id="http-1.0"),
        pytest.param(b"HTTP/1.1 204\r\n\r\n", 204, {}, id="no-reason-phrase"),
        pytest.param(
            b"HTTP/1.1 200 OK\nA: 1\nB:2\nContent-Length: 2\n\nhi", 200, {"b": "2"}, id="bare-lf"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX: one\r\n two\r\n" + OK_HI, 200, {"x": "one two"}, id="folded"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX: a\x01b\r\n" + OK_HI, 200, {"x": "a\x01b"}, id="control-byte"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nL: /caf\xe9\r\n" + OK_HI, 200, {"l": "/caf\xe9"}, id="latin-1"
        ),
        pytest.param(b"HTTP/1.2 200 OK\r\n" + OK_HI, 200, {}, id="http-1.2"),
        pytest.param(b"\r\nHTTP/1.1 200 OK\r\n" + OK_HI, 200, {}, id="leading-crlf"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n" + OK_HI,
            200,
            {"Set-Cookie": "a=1, b=2"},
            id="repeated",
        ),
    ],
)
def test_heads_are_read_as_leniently_as_browsers_read_them(pair, raw, status, headers):
    response = respond(pair, raw)
    assert response.status == status
    for name, value in headers.items():
        assert response.headers.get(name) == value
        assert name.upper() in response.headers


def test_repeated_headers_keep_every_value(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Type: b\r\n" + OK_HI)
    assert response.headers.getlist("content-type") == ["a", "b"]
    assert response.headers.getlist("Missing") == []
    assert response.headers.get("Missing", "default") == "default"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"ICY 200 OK\r\n\r\n", id="not-http"),
        pytest.param(b"<html><title>x</title>", id="html-without-head"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n" + OK_HI, id="nul-in-head"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" + OK_HI, id="two-different-lengths"
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nhi", id="length-list"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n" + OK_HI, id="invalid-then-valid-length"
        ),
        pytest.param(
            b"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n" + OK_HI,
            id="two-different-locations",
        ),
        pytest.param(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", id="unasked-101"),
    ],
)
def test_a_head_browsers_would_not_read_is_a_malformed_response(pair, raw):
    with pytest.raises(MalformedResponse, match="^malformed response: "):
        respond(pair, raw)


@pytest.mark.parametrize(
    ("raw", "status", "body"),
    [
        pytest.param(b"HTTP/1.1 2000 OK\r\n" + OK_HI, 2000, b"hi", id="four-digit-status"),
        pytest.param(b"HTTP/1.1 2x0 OK\r\n" + OK_HI, 2, b"hi", id="status-digits-then-junk"),
        pytest.param(b"HTTP/1.1 OK\r\n" + OK_HI, 200, b"hi", id="no-status-code"),
        pytest.param(b"HTTP/1.1 200 OK\r\nno colon here\r\n" + OK_HI, 200, b"hi", id="no-colon"),
        pytest.param(b"HTTP/1.1 200 OK\r\n: empty name\r\n" + OK_HI, 200, b"hi", id="no-name"),
        pytest.param(b"HTTP/1.1 200 OK\rX: 1\r\n" + OK_HI, 200, b"hi", id="bare-cr-ends-a-line"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX : 1\r\n" + OK_HI, 200, b"hi", id="space-before-colon"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", 200, b"hi", id="2, 2"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + OK_HI, 200, b"hi", id="2 twice"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhi", 200, b"hi", id="-1"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: \xc2\xb2\r\n\r\nhi", 200, b"hi", id="2-sup"
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nhi", 200, b"hi", id="hex"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nhi",
            200,
            b"hi",
            id="over-2-63",
        ),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
            200,
            b"2\r\nhi\r\n0\r\n\r\n",
            id="chunked-on-http-1.0-is-not-de-chunked",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\n0\r\n\n",
            200,
            b"hi",
            id="bare-lf-chunk-lines",
        ),
    ],
)
def test_heads_chromium_reads_leniently_are_read_so_and_never_reused(pair, raw, status, body):
    """Issue 22: as Chromium 156 reads them (tests/http/hostile_chromium.json)."""
    response = respond(pair, raw, close=False)
    calls = released(response)
    assert response.status == status
    assert response.read1(100) == body
    response.release()
    assert calls == [False]


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"0x2\r\nhi\r\n0\r\n\r\n", id="hex-prefix"),
        pytest.param(b"+2\r\nhi\r\n0\r\n\r\n", id="plus-sign"),
        pytest.param(b"8_c\r\n" + b"x" * 140 + b"\r\n0\r\n\r\n", id="underscore"),
        pytest.param(b"2\r\nhi0\r\n\r\n", id="data-without-crlf"),
        pytest.param(b"ffffffffffffffffff\r\nhi\r\n0\r\n\r\n", id="size-overflow"),
    ],
)
def test_chunk_framing_that_parsers_disagree_on_is_refused(pair, body):
    response = respond(pair, CHUNKED + body)
    with pytest.raises(MalformedResponse):
        read_all(response)


@pytest.mark.parametrize(
    ("raw", "body", "reusable"),
    [
        pytest.param(b"HTTP/1.1 200 OK\r\n" + OK_HI, b"hi", True, id="length"),
        pytest.param(
            CHUNKED + b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
            b"hello world",
            True,
            id="chunked-with-extension-and-trailer",
        ),
        pytest.param(CHUNKED + b"2 \r\nhi\r\n0\r\n\r\n", b"hi", False, id="space-after-size"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
            b"2\r\nhi\r\n0\r\n\r\n",
            b"hi",
            False,
            id="chunked-wins-over-length-but-no-reuse",
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\nto the end", b"to the end", False, id="no-length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw",
            b"raw",
            False,
            id="te-not-chunked",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n" + OK_HI, b"hi", False, id="connection-close"
        ),
        pytest.param(b"HTTP/1.0 200 OK\r\n" + OK_HI, b"hi", False, id="http-1.0"),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n" + OK_HI,
            b"hi",
            True,
            id="1.0-keep-alive",
        ),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", b"", True, id="204-has-no-body"),
        pytest.param(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", b"", True, id="304"
        ),
        pytest.param(
            b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" + OK_HI,
            b"hi",
            True,
            id="1xx-skipped",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n" + OK_HI + b"EXTRA", b"hi", False, id="bytes-after-body"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n" + OK_HI + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye",
            b"hi",
            False,
            id="second-response-after-body",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n" + OK_HI + b"EXTRA",
            b"hi",
            False,
            id="bytes-after-close",
        ),
    ],
)
def test_the_body_ends_where_its_framing_says_and_only_then_is_the_socket_reused(
    pair, raw, body, reusable
):
    response = respond(pair, raw, close=not reusable)
    calls = released(response)
    assert read_all(response, most=3) == body
    response.release()
    response.release()  # a second release does nothing
    assert calls == [reusable]


def test_a_response_parsed_to_its_end_is_reusable_even_if_not_all_was_read(pair):
    response = respond(
        pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", close=False
    )
    calls = released(response)
    assert response.read1(4) == b"0123"
    response.release()
    assert calls == [True]


def test_a_response_whose_rest_has_not_arrived_does_not_give_its_socket_back(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123", close=False)
    calls = released(response)
    assert response.read1(4) == b"0123"
    assert response.length_remaining == 6
    response.release()
    assert calls == [False]


@pytest.mark.parametrize(("limit", "reusable"), [(6, True), (5, False)])
def test_skip_rest_reads_a_short_rest_so_the_socket_can_be_reused(pair, limit, reusable):
    client, server = pair
    server.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123")
    response = read_response(client)
    calls = released(response)
    response.read1(4)
    serve(server, b"456789", close=False)
    response.skip_rest(limit, Deadline(10.0))
    response.release()
    assert calls == [reusable]


def test_skip_rest_gives_up_on_a_rest_that_does_not_come_within_its_budget(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123", close=False)
    calls = released(response)
    response.skip_rest(100, Deadline(10.0))  # the rest never comes: the watchdog ends it
    response.release()
    assert calls == [False]


def test_skip_rest_keeps_quiet_when_the_server_closes_mid_body(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123")
    calls = released(response)
    response.skip_rest(100, Deadline(10.0))  # no exception: what was needed had been read
    response.release()
    assert calls == [False]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        pytest.param(b"", NoResponse, id="closed-before-a-byte"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-", CutShort, id="cut-head"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-Filler: " + b"x" * MAX_HEAD + b"\r\n\r\n",
            HeadTooLarge,
            id="256-kb",
        ),
        pytest.param(b"HTTP/1.1 103 Early\r\n\r\n" * 15000, HeadTooLarge, id="endless-1xx"),
    ],
)
def test_a_broken_or_oversized_head_raises_its_error(pair, raw, error):
    with pytest.raises(error):
        respond(pair, raw)


def test_a_head_of_just_under_the_limit_is_read(pair):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: "
    filler = b"x" * (MAX_HEAD - len(head) - 4)
    response = respond(pair, head + filler + b"\r\n\r\nhi")
    assert read_all(response) == b"hi"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", id="length"),
        pytest.param(CHUNKED + b"5\r\nhel", id="chunk-data"),
        pytest.param(CHUNKED + b"2\r\nhi\r\n0\r\n", id="last-chunk-without-end"),
    ],
)
def test_a_body_cut_short_raises_cut_short(pair, raw):
    response = respond(pair, raw)
    with pytest.raises(CutShort):
        read_all(response)


def compressed(body: bytes, coding: str) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\n".encode()
    return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


PAGE = b"<title>Packed</title>" + b"<p>filler</p>" * 1000


@pytest.mark.parametrize(
    ("coding", "body", "expected"),
    [
        ("gzip", gzip.compress(PAGE), PAGE),
        ("x-gzip", gzip.compress(PAGE), PAGE),
        ("GZIP", gzip.compress(PAGE), PAGE),
        ("gzip, gzip", gzip.compress(gzip.compress(PAGE)), PAGE),
        ("deflate", zlib.compress(PAGE), PAGE),  # zlib-wrapped, as the RFC says
        ("deflate", zlib.compress(PAGE)[2:-4], PAGE),  # raw deflate, as some servers send
        ("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), b"one two"),  # two members
        ("gzip", gzip.compress(b"") * 3 + gzip.compress(PAGE), PAGE),  # empty members first
        ("gzip", gzip.compress(PAGE) + b"\0\0\0\0", PAGE),  # trailing zeros, ignored
        ("foo", b"not decoded", b"not decoded"),  # a coding nobody knows: shown as it is
        ("identity", b"plain", b"plain"),
    ],
)
def test_bodies_are_decoded_as_their_content_encoding_says(pair, coding, body, expected):
    response = respond(pair, compressed(body, coding))
    calls = released(response)
    assert read_all(response, most=4096) == expected
    response.release()
    assert calls == [True]


def test_a_body_that_is_not_what_its_encoding_says_is_a_decoding_error(pair):
    response = respond(pair, compressed(b"this is not gzip at all", "gzip"))
    with pytest.raises(ContentDecodingError):
        read_all(response)


def test_a_cut_compressed_body_gives_what_it_holds_as_browsers_do(pair):
    body = gzip.compress(PAGE)[:-40]
    response = respond(pair, compressed(body, "gzip"))
    decoded = read_all(response)
    assert decoded.startswith(b"<title>Packed</title>")
    assert PAGE.startswith(decoded)


def test_a_compression_bomb_comes_out_a_little_at_a_time(pair):
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB on the wire
    response = respond(pair, compressed(bomb, "gzip"))
    sizes = [len(response.read1(16 * 1024)) for _ in range(100)]
    assert max(sizes) <= 16 * 1024
    assert sum(sizes) == 100 * 16 * 1024


def test_a_coded_body_stops_at_its_encoded_limit_and_says_so(pair):
    stored = zlib.compressobj(0, zlib.DEFLATED, 31)  # level 0: as large as the input
    body = stored.compress(bytes(200_000)) + stored.flush()
    response = respond(pair, compressed(body, "gzip"))
    response.encoded_limit = 50_000
    decoded = read_all(response, most=4096)
    assert 50_000 <= len(decoded) < 200_000
    assert response.truncated


@pytest.mark.skipif("br" not in decoders_here(), reason="brotli is not installed")
def test_brotli_is_decoded_when_its_library_is_installed(pair):
    import brotli  # type: ignore[import-untyped]

    response = respond(pair, compressed(brotli.compress(PAGE), "br"))
    assert read_all(response, most=1000) == PAGE


@pytest.mark.skipif("zstd" not in decoders_here(), reason="backports.zstd is not installed")
def test_zstd_is_decoded_when_its_library_is_installed(pair):
    from backports import zstd  # type: ignore[import-not-found, unused-ignore]

    response = respond(pair, compressed(zstd.compress(PAGE), "zstd"))
    assert read_all(response, most=1000) == PAGE
