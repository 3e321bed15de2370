"""_parser: a response head read as Chromium reads it (issue 22), and the framing llhttp then
reads its body by. Expected values are Chromium 156's (tests/http/hostile_chromium.json has the
same behaviours end to end)."""

from __future__ import annotations

import pytest

from titlefetch.http._parser import HeadError, end_of_head, is_interim, read_head


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (b"HTTP/1.1 200 OK", 200),
        (b"HTTP/1.1 2000 OK", 2000),
        (b"HTTP/1.1 2x0 OK", 2),
        (b"HTTP/1.1 2 junk", 2),
        (b"HTTP/1.1 OK", 200),
        (b"HTTP/1.1", 200),
        (b"HTTP/1.1  404 Not Found", 404),
        (b"http/1.1 200 OK", 200),
        (b"HTTP/2.0 299 Fine", 299),
    ],
)
def test_the_status_is_the_digits_after_the_version_or_200(line, status):
    assert read_head(line + b"\r\n\r\n").status == status


@pytest.mark.parametrize(
    ("lines", "headers"),
    [
        (b"A: 1\r\nno colon\r\nB: 2", {"a": ["1"], "b": ["2"]}),
        (b": empty name\r\nB: 2", {"b": ["2"]}),
        (b"A : 1\r\nB\t:\t2", {"a": ["1"], "b": ["2"]}),
        (b"A: one\r\n two\r\n\tthree", {"a": ["one two three"]}),
        (b"A: 1\rB: 2\nC: 3", {"a": ["1"], "b": ["2"], "c": ["3"]}),  # any CR or LF ends a line
        (b"X(A): 1\r\nX A: 2", {"x(a)": ["1"], "x a": ["2"]}),
        (b"Location: /a\r\nLocation: /a", {"location": ["/a"]}),
    ],
)
def test_header_lines_are_read_as_chromium_reads_them(lines, headers):
    head = read_head(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n\r\n")
    for name, values in headers.items():
        assert head.headers.getlist(name) == values


@pytest.mark.parametrize(
    ("lines", "framing", "length"),
    [
        (b"Content-Length: 5", b"HTTP/1.1 200 -\r\nContent-Length: 5\r\n\r\n", 5),
        (b"Content-Length: 5, 5", b"HTTP/1.1 200 -\r\nContent-Length: 5\r\n\r\n", 5),
        (b"Content-Length: 005", b"HTTP/1.1 200 -\r\nContent-Length: 5\r\n\r\n", 5),
        (b"Content-Length: +5", b"HTTP/1.1 200 -\r\n\r\n", None),
        (b"Content-Length: 0x5", b"HTTP/1.1 200 -\r\n\r\n", None),
        (b"Content-Length: 9223372036854775808", b"HTTP/1.1 200 -\r\n\r\n", None),
        (
            b"Transfer-Encoding: chunked\r\nContent-Length: 5",
            b"HTTP/1.1 200 -\r\nTransfer-Encoding: chunked\r\n\r\n",
            None,
        ),
        (
            b"Transfer-Encoding: gzip, chunked",
            b"HTTP/1.1 200 -\r\nTransfer-Encoding: chunked\r\n\r\n",
            None,
        ),
        (b"Connection: close", b"HTTP/1.1 200 -\r\nConnection: close\r\n\r\n", None),
    ],
)
def test_the_body_is_framed_as_chromium_frames_it(lines, framing, length):
    head = read_head(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n\r\n")
    assert (head.framing, head.length) == (framing, length)


def test_http_1_0_is_not_de_chunked_nor_kept_alive_unless_it_asks():
    head = read_head(b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert head.framing == b"HTTP/1.1 200 -\r\nConnection: close\r\n\r\n"
    kept = read_head(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n")
    assert kept.framing == b"HTTP/1.1 200 -\r\nContent-Length: 1\r\n\r\n"


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\nA: a\x00b\r\n\r\n", "NUL"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\nContent-Length: 2\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n", "Location"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
        (b"ICY 200 OK\r\n\r\n", "HTTP"),
    ],
)
def test_heads_chromium_refuses_are_refused(head, reason):
    with pytest.raises(HeadError, match=reason):
        read_head(head)


@pytest.mark.parametrize(
    ("data", "end"),
    [
        (b"HTTP/1.1 200 OK\r\n\r\nbody", 19),
        (b"HTTP/1.1 200 OK\n\nbody", 17),
        (b"HTTP/1.1 200 OK\n\r\nbody", 18),
        (b"HTTP/1.1 200 OK\r\r\rX: 1", None),  # a CR alone never ends a head
    ],
)
def test_a_head_ends_at_its_first_empty_line(data, end):
    assert end_of_head(data) == end


@pytest.mark.parametrize(
    ("head", "interim"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\n", True),
        (b"HTTP/1.1 103 Early Hints\r\n\r\n", True),
        (b"HTTP/1.1  103 Early Hints\r\n\r\n", True),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", False),
        (b"HTTP/1.1 1000 Odd\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\n\r\n", False),
    ],
)
def test_interim_heads_are_told_from_final_ones(head, interim):
    assert is_interim(head) is interim
