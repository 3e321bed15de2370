"""http1: response heads, body framing, decoding and reuse, on real sockets (socketpair)."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import zlib
from collections.abc import Iterator

import pytest

from titlefetch.http.codings import ContentDecodingError
from titlefetch.http.http1 import (
    MAX_HEAD,
    Response,
    encode_request,
    parse_head,
    read_response,
)


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


def respond(pair: tuple[socket.socket, socket.socket], data: bytes, **kwargs: bool) -> Response:
    client, server = pair
    serve(server, data, **kwargs)
    return read_response(client)


def read_all(response: Response, most: int = 1 << 20) -> bytes:
    chunks = []
    while chunk := response.read1(most):
        assert len(chunk) <= most
        chunks.append(chunk)
    return b"".join(chunks)


def released(response: Response) -> list[bool]:
    """The reusable flags the response's release callback is called with."""
    calls: list[bool] = []
    response.on_release(lambda sock, reusable: calls.append(reusable))
    return calls


def test_request_is_one_get_with_host_first_and_a_blank_line_last():
    request = encode_request("/a?b=1", "example.test:8080", {"User-Agent": "t/1", "Accept": "*/*"})
    assert request == (
        b"GET /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("head", "version", "status", "headers"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
            11,
            200,
            {"content-type": "text/html"},
        ),
        (b"HTTP/1.0 404 Not Found\r\n\r\n", 10, 404, {}),
        (b"HTTP/1.1 204\r\n\r\n", 11, 204, {}),  # no reason phrase
        (b"HTTP/1.1 200 OK\nA: 1\nB:2\n\n", 11, 200, {"a": "1", "b": "2"}),  # bare LF
        (b"HTTP/1.1 200 OK\r\nX: one\r\n  two\r\n\r\n", 11, 200, {"x": "one two"}),  # folded
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n: nameless\r\nY: 1\r\n\r\n", 11, 200, {"y": "1"}),
        (
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n",
            11,
            200,
            {"Set-Cookie": "a=1, b=2"},
        ),
        (b"HTTP/1.1 200 OK\r\nLocation: /caf\xe9\r\n\r\n", 11, 200, {"location": "/caf\xe9"}),
    ],
)
def test_heads_are_read_as_leniently_as_browsers_read_them(head, version, status, headers):
    got_version, got_status, got_headers = parse_head(head)
    assert (got_version, got_status) == (version, status)
    for name, value in headers.items():
        assert got_headers.get(name) == value
        assert name.upper() in got_headers


def test_repeated_headers_keep_every_value():
    _, _, headers = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n")
    assert headers.getlist("content-type") == ["a", "b"]
    assert headers.getlist("Missing") == []
    assert headers.get("Missing", "default") == "default"


@pytest.mark.parametrize("line", [b"HTTP/1.1", b"ICY 200 OK", b"HTTP/1.1 2x0 OK", b"<html>"])
def test_a_status_line_that_is_not_http_is_a_bad_status_line(line):
    with pytest.raises(http.client.BadStatusLine):
        parse_head(line + b"\r\n\r\n")


def test_more_than_100_headers_is_refused():
    head = b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        parse_head(head)


@pytest.mark.parametrize(
    ("raw", "body", "reusable"),
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello", True, id="length"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
            b"hello world",
            True,
            id="chunked-with-extension-and-trailer",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
            b"2\r\nhi\r\n0\r\n\r\n",
            b"hi",
            True,
            id="chunked-wins-over-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", b"hi", True, id="equal-lengths"
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\nto the end", b"to the end", False, id="no-length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw",
            b"raw",
            False,
            id="te-not-chunked",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
            b"hi",
            False,
            id="connection-close",
        ),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", b"hi", False, id="http-1.0"
        ),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nhi",
            b"hi",
            True,
            id="http-1.0-keep-alive",
        ),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", b"", True, id="204-has-no-body"),
        pytest.param(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", b"", True, id="304"
        ),
        pytest.param(
            b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            b"hi",
            True,
            id="1xx-skipped",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA",
            b"hi",
            False,
            id="bytes-after-body",
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


def test_a_partly_read_body_does_not_give_its_socket_back(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
    calls = released(response)
    assert response.read1(4) == b"0123"
    assert response.length_remaining == 6
    response.release()
    assert calls == [False]


@pytest.mark.parametrize(("limit", "reusable"), [(6, True), (5, False)])
def test_skip_rest_reads_a_short_rest_so_the_socket_can_be_reused(pair, limit, reusable):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
    calls = released(response)
    response.read1(4)
    response.skip_rest(limit)
    response.release()
    assert calls == [reusable]


def test_skip_rest_keeps_quiet_when_the_server_closes_mid_body(pair):
    response = respond(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123")
    calls = released(response)
    response.skip_rest(100)  # no exception: what was needed had been read
    response.release()
    assert calls == [False]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        pytest.param(b"", http.client.RemoteDisconnected, id="closed-before-a-byte"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-", http.client.IncompleteRead, id="cut-head"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
            http.client.HTTPException,
            id="conflicting-lengths",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            http.client.HTTPException,
            id="negative-length",
        ),
    ],
)
def test_a_broken_head_raises_http_clients_errors(pair, raw, error):
    with pytest.raises(error):
        respond(pair, raw)


def test_a_head_over_the_limit_is_line_too_long(pair):
    raw = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"x" * MAX_HEAD + b"\r\n\r\n"
    with pytest.raises(http.client.LineTooLong):
        respond(pair, raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", id="length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", id="chunk-data"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
            id="chunk-size",
        ),
    ],
)
def test_a_body_cut_short_is_an_incomplete_read(pair, raw):
    response = respond(pair, raw)
    with pytest.raises(http.client.IncompleteRead):
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
        ("deflate", zlib.compress(PAGE), PAGE),  # zlib-wrapped, as the RFC says
        ("deflate", zlib.compress(PAGE)[2:-4], PAGE),  # raw deflate, as some servers send
        ("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), b"one two"),  # two members
        ("gzip", gzip.compress(PAGE) + b"\0\0\0\0", PAGE),  # trailing zeros, ignored
        ("br", b"not decoded", b"not decoded"),  # never asked for: passed on as it is
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


def test_the_redirect_location_is_reported_as_urllib3_does(pair):
    response = respond(pair, b"HTTP/1.1 301 Moved\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")
    assert (response.status, response.get_redirect_location()) == (301, "/b")
