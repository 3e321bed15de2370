"""A hostile HTTP server: over 120 misbehaviours on one host and port, each beside healthy pages.

Every behaviour is a handler of tests/fault_server.py's raw-socket server and the result
titlefetch must give for it: a title, or an error kind. `mixed_urls` interleaves them with
healthy pages, so that kept-alive connections are reused between a behaviour and the healthy
page after it: whatever a behaviour leaves on a connection must never reach that page.

Bounded: no handler sends more than MAX_SENT bytes or waits longer than the server lives.
"""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from tests.fault_server import ClientGone, Exchange, FaultServer, Handler, html, response_head
from titlefetch.http._codings import decoders_here

MAX_SENT = 8 * 1024 * 1024
PAUSE = 0.2  # between the bytes of a trickle


@dataclass(frozen=True)
class Behaviour:
    name: str
    handler: Handler
    title: str | None = None  # the title titlefetch must give, or
    kind: str | None = None  # the error kind it must give


def healthy_title(n: int) -> str:
    return f"Healthy page {n}"


def healthy(n: int) -> Handler:
    return send(ok(html(healthy_title(n))))


def ok(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    """A keep-alive response with Content-Length."""
    head = response_head(
        status, "Content-Type: text/html", f"Content-Length: {len(body)}", *headers
    )
    return head + body


def send(data: bytes, *, keep: bool = True) -> Handler:
    """Send `data` in one write; keep the connection open or close it."""

    def handle(exchange: Exchange) -> bool:
        exchange.send(data)
        return keep

    return handle


def then_close(data: bytes) -> Handler:
    return send(data, keep=False)


def page(title: str) -> bytes:
    return html(title)


def chunked(*pieces: bytes, head: tuple[str, ...] = ()) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    start = response_head("200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked", *head)
    return start + body + b"0\r\n\r\n"


def coded(coding: str, body: bytes) -> bytes:
    return ok(body, f"Content-Encoding: {coding}")


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def stream(head: bytes, piece: bytes, *, pause: float = 0.0) -> Handler:
    """`head`, then `piece` again and again (pausing between them) until the client goes,
    MAX_SENT is reached or the server stops."""

    def handle(exchange: Exchange) -> bool:
        exchange.send(head)
        sent = len(head)
        while sent < MAX_SENT and not exchange.server.stopping.wait(pause):
            exchange.send(piece)
            sent += len(piece)
        return False

    return handle


def then_stall(data: bytes) -> Handler:
    """Send `data`, then nothing more until the client closes the connection."""

    def handle(exchange: Exchange) -> bool:
        exchange.send(data)
        exchange.wait_for_close()
        return False

    return handle


def trickle(data: bytes) -> Handler:
    """`data`, one byte every PAUSE seconds."""

    def handle(exchange: Exchange) -> bool:
        for byte in data:
            exchange.send(bytes([byte]))
            if exchange.server.stopping.wait(PAUSE):
                raise ClientGone
        return False

    return handle


def bad_chunk(size_line: bytes) -> bytes:
    """A chunked page whose second chunk has `size_line`; the title comes after it."""
    good = chunked(b"<!doctype html>", page("After the bad chunk"))
    first = b"\r\n<!doctype html>\r\n"
    return good.replace(first, first + size_line, 1)


def gzip_endless() -> Handler:
    """An endless chunked gzip stream of zeros (after a full flush its blocks repeat)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(64 * 1024)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    head = response_head("200 OK", "Content-Encoding: gzip", "Transfer-Encoding: chunked")
    return stream(head + _chunk(first), _chunk(again))


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def redirect(location: str, status: str = "302 Found", body: bytes = b"") -> bytes:
    return ok(body, f"Location: {location}", status=status)


def behaviours(server: FaultServer) -> list[Behaviour]:
    """Every behaviour, with what titlefetch must make of it."""
    return [
        *_heads(),
        *_bodies(),
        *_codings(),
        *_redirects(server),
        *_statuses(),
        *_stray_bytes(),
        *_stalls_and_bombs(),
        *_lengths(),
        *_chunk_lines(),
        *_odd_heads(),
        *_locations(server),
    ]


def _heads() -> list[Behaviour]:
    b = Behaviour
    body = page("Lenient")
    length = f"Content-Length: {len(body)}".encode()
    return [
        b(
            "bare-lf",
            send(b"HTTP/1.1 200 OK\nContent-Type: text/html\n" + length + b"\n\n" + body),
            "Lenient",
        ),
        b(
            "folded-header",
            send(b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b("no-reason", send(b"HTTP/1.1 200\r\n" + length + b"\r\n\r\n" + body), "Lenient"),
        b(
            "control-byte-in-value",
            send(b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b(
            "space-before-colon",
            send(b"HTTP/1.1 200 OK\r\nX-A : 1\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b("http-1.2", send(b"HTTP/1.2 200 OK\r\n" + length + b"\r\n\r\n" + body), "Lenient"),
        b(
            "leading-empty-lines",
            send(b"\r\n\r\nHTTP/1.1 200 OK\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b(
            "http-1.0-keep-alive",
            send(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b("http-1.0-until-close", then_close(b"HTTP/1.0 200 OK\r\n\r\n" + body), "Lenient"),
        b(
            "1.1-until-close",
            then_close(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body),
            "Lenient",
        ),
        b("100-continue-first", send(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(body)), "Lenient"),
        b(
            "103-early-hints-first",
            send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" * 3 + ok(body)),
            "Lenient",
        ),
        b(
            "status-2000",
            send(b"HTTP/1.1 2000 OK\r\n" + length + b"\r\n\r\n" + body),
            kind="http_status",
        ),
        b(
            "status-2x0",
            send(b"HTTP/1.1 2x0 OK\r\n" + length + b"\r\n\r\n" + body),
            kind="http_status",
        ),
        b("icy-status-line", send(b"ICY 200 OK\r\n" + length + b"\r\n\r\n" + body), kind="reset"),
        b("no-status-line", then_close(body), kind="reset"),
        b(
            "header-without-colon",
            send(b"HTTP/1.1 200 OK\r\nno colon\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b(
            "space-in-header-name",
            send(b"HTTP/1.1 200 OK\r\nX A: 1\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b(
            "cr-without-lf",
            send(b"HTTP/1.1 200 OK\rX: 1\r\n" + length + b"\r\n\r\n" + body),
            "Lenient",
        ),
        b(
            "unasked-101",
            send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + body),
            kind="reset",
        ),
        b("head-over-64-kb", send(ok(body, "X-Big: " + "x" * 70_000)), "Lenient"),
        b(
            "over-100-headers",
            send(ok(body, *[f"X-{n}: {n}" for n in range(120)])),
            "Lenient",
        ),
        b("endless-103", stream(b"", b"HTTP/1.1 103 Early Hints\r\n\r\n"), kind="too_large"),
    ]


def _bodies() -> list[Behaviour]:
    b = Behaviour
    body = page("Framed")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    return [
        b(
            "length-superscript",
            send(head + b"Content-Length: \xc2\xb2\r\n\r\n" + body),
            "Framed",
        ),
        b("length-negative", send(head + b"Content-Length: -1\r\n\r\n" + body), "Framed"),
        b("length-list", send(head + b"Content-Length: 5, 5\r\n\r\n" + body), kind="no_title"),
        b("length-twice", send(ok(body, f"Content-Length: {len(body)}")), "Framed"),
        b("length-too-short", send(ok(body)[:-10] + b"HTTP/1.1 200 OK\r\n\r\nrest"), "Framed"),
        b("cut-after-title", then_close(head + b"Content-Length: 99999\r\n\r\n" + body), "Framed"),
        b(
            "cut-before-title",
            then_close(head + b"Content-Length: 99999\r\n\r\n<!doctype html><p>"),
            kind="reset",
        ),
        b("chunked", send(chunked(body[:20], body[20:])), "Framed"),
        b(
            "chunked-extensions-trailer",
            send(chunked(body, head=()).replace(b"\r\n0\r\n\r\n", b"\r\n0;x=y\r\nT: 1\r\n\r\n")),
            "Framed",
        ),
        b("chunked-and-length", send(chunked(body, head=("Content-Length: 3",))), "Framed"),
        b(
            "chunk-size-0x",
            send(chunked(b"<!doctype html>").replace(b"f\r\n<!", b"0xf\r\n<!")),
            kind="reset",
        ),
        b(
            "chunk-size-plus",
            send(chunked(b"<!doctype html>").replace(b"f\r\n<!", b"+f\r\n<!")),
            kind="reset",
        ),
        b("chunk-size-underscore", send(bad_chunk(b"8_c\r\n")), kind="reset"),
        b(
            "chunk-without-crlf",
            send(chunked(b"<!doctype html>", body).replace(b"html>\r\n", b"html>", 1)),
            kind="reset",
        ),
        b("chunk-cut-after-title", then_close(chunked(body)[:-5]), "Framed"),
        b(
            "204-no-content",
            send(response_head("204 No Content", "Content-Length: 40")),
            kind="no_title",
        ),
    ]


def _codings() -> list[Behaviour]:
    b = Behaviour
    body = page("Packed")
    here = decoders_here()
    members = gzip.compress(b"") * 5 + gzip.compress(body)
    empty_members = response_head("200 OK", "Content-Type: text/html", "Content-Encoding: gzip")
    bomb = gzip.compress(bytes(8 * 1024 * 1024))
    coded_list = [
        b("gzip", send(coded("gzip", gzip.compress(body))), "Packed"),
        b("x-gzip", send(coded("x-gzip", gzip.compress(body))), "Packed"),
        b("gzip-gzip", send(coded("gzip, gzip", gzip.compress(gzip.compress(body)))), "Packed"),
        b("deflate-zlib", send(coded("deflate", zlib.compress(body))), "Packed"),
        b("deflate-raw", send(coded("deflate", raw_deflate(body))), "Packed"),
        b("gzip-empty-members-first", send(coded("gzip", members)), "Packed"),
        b("gzip-trailing-garbage", send(coded("gzip", gzip.compress(body) + b"garbage")), "Packed"),
        b(
            "gzip-cut-stream",
            then_close(
                response_head("200 OK", "Content-Encoding: gzip")
                + gzip.compress(body + bytes(3000))[:-20]
            ),
            "Packed",
        ),
        b("gzip-not-gzip", send(coded("gzip", b"plain, not gzip at all")), kind="reset"),
        b("unknown-coding", send(coded("utf-8", body)), "Packed"),
        b("compress", send(coded("compress", body)), kind="unsupported_encoding"),
        b(
            "endless-empty-members",
            stream(empty_members, gzip.compress(b"") * 500),
            kind="too_large",
        ),
        b("gzip-bomb", send(coded("gzip", bomb)), kind="too_large"),
        b("gzip-endless-chunked", gzip_endless(), kind="too_large"),
    ]
    for coding, compress in _extras().items():
        expected = {"title": "Packed"} if coding in here else {"kind": "unsupported_encoding"}
        coded_list.append(b(f"{coding}-unasked", send(coded(coding, compress(body))), **expected))
    return coded_list


def _extras() -> dict[str, Callable[[bytes], bytes]]:
    """br and zstd compressors, when their libraries are installed here (else raw bytes:
    titlefetch must then name the coding it cannot decode, whatever the bytes)."""
    compressors: dict[str, Callable[[bytes], bytes]] = {"br": bytes, "zstd": bytes}
    try:
        import brotli  # type: ignore[import-untyped]

        compressors["br"] = brotli.compress
    except ImportError:
        pass
    try:
        from backports import zstd  # type: ignore[import-not-found, unused-ignore]

        compressors["zstd"] = zstd.compress
    except ImportError:
        pass
    return compressors


def _redirects(server: FaultServer) -> list[Behaviour]:
    b = Behaviour
    server.add("/target", send(ok(page("Redirected"))))
    endless = response_head("301 Moved", "Location: /target", "Transfer-Encoding: chunked")
    return [
        b("redirect", send(redirect("/target")), "Redirected"),
        b("redirect-relative", send(redirect("../target")), "Redirected"),
        b(
            "redirect-absolute",
            send(redirect(server.url("/target"), "308 Permanent")),
            "Redirected",
        ),
        b(
            "redirect-with-stray-bytes",
            send(redirect("/target", body=b"moved") + b"JUNK"),
            "Redirected",
        ),
        b("redirect-endless-body", stream(endless, b"6\r\nmoved!\r\n"), "Redirected"),
        b("redirect-loop", send(redirect("/b/redirect-loop")), kind="too_many_redirects"),
        b("redirect-ipv6-unclosed", send(redirect("http://[::1/x")), kind="bad_redirect"),
        b("redirect-port-99999", send(redirect("http://127.0.0.1:99999/")), kind="bad_redirect"),
        b("redirect-port-0", send(redirect("http://127.0.0.1:0/")), kind="bad_redirect"),
        b("redirect-ftp", send(redirect("ftp://127.0.0.1/file")), kind="bad_redirect"),
        b("redirect-without-location", send(ok(b"", status="302 Found")), kind="http_status"),
    ]


def _statuses() -> list[Behaviour]:
    b = Behaviour
    return [
        b(
            "503-retry-after-soon",
            send(ok(page("Busy"), "Retry-After: soon", status="503 Busy")),
            kind="http_5xx",
        ),
        b(
            "503-retry-after-year-99999",
            send(
                ok(page("Busy"), "Retry-After: Fri, 31 Dec 99999 23:59:59 GMT", status="503 Busy")
            ),
            kind="http_5xx",
        ),
        b(
            "429-retry-after-an-hour",
            send(ok(page("Slow down"), "Retry-After: 3600", status="429 Too Many")),
            kind="http_4xx",
        ),
        b("status-099", send(ok(page("Odd"), status="099 Odd")), kind="http_status"),
        b(
            "304-with-length",
            send(response_head("304 Not Modified", "Content-Length: 40")),
            kind="http_status",
        ),
    ]


def _stray_bytes() -> list[Behaviour]:
    b = Behaviour
    body = page("Then stray")
    stray = ok(page("STRAY RESPONSE"))
    return [
        b("junk-after-body", send(ok(body) + b"junk junk junk"), "Then stray"),
        b("second-response-after-body", send(ok(body) + stray), "Then stray"),
        b(
            "second-response-after-close-body",
            send(ok(body, "Connection: close") + stray),
            "Then stray",
        ),
        b("empty-lines-after-body", send(ok(body) + b"\r\n\r\n"), "Then stray"),
        b("stray-after-chunked", send(chunked(body) + stray), "Then stray"),
        b("closed-while-idle", then_close(ok(body)), "Then stray"),
    ]


def _stalls_and_bombs() -> list[Behaviour]:
    b = Behaviour
    body = page("Stalled after")
    head = response_head("200 OK", "Content-Type: text/html", "Content-Length: 100000")
    endless = response_head("200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked")
    piece = b"<p>no title here</p>" * 100
    return [
        b("never-answers", then_stall(b""), kind="timeout"),
        b("stalls-in-head", then_stall(b"HTTP/1.1 200 OK\r\nContent-"), kind="timeout"),
        b("stalls-before-title", then_stall(head + b"<!doctype html><html><head>"), kind="timeout"),
        b("stalls-after-title", then_stall(head + body), "Stalled after"),
        b("trickles-head", trickle(ok(page("Too slow"))), kind="timeout"),
        b(
            "endless-chunked-no-title",
            stream(endless, b"%x\r\n%s\r\n" % (len(piece), piece)),
            kind="too_large",
        ),
        b(
            "endless-until-close",
            stream(response_head("200 OK", "Content-Type: text/html"), piece),
            kind="too_large",
        ),
        b("title-after-the-cap", send(ok(b"<p>" * 100_000 + page("Late"))), kind="too_large"),
    ]


def _lengths() -> list[Behaviour]:
    """Content-Length values that do not parse (read to the close, as Chromium does), repeated
    ones, and different ones."""
    b = Behaviour
    body = page("Length")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    size = str(len(body)).encode()

    def length(*values: bytes, keep: bool = False) -> Handler:
        lines = b"".join(b"Content-Length: " + value + b"\r\n" for value in values)
        return send(head + lines + b"\r\n" + body, keep=keep)

    return [
        b("length-plus", length(b"+" + size), "Length"),
        b("length-hex", length(b"0x%x" % len(body)), "Length"),
        b("length-empty", length(b""), "Length"),
        b("length-superscript-3", length(b"\xc2\xb3"), "Length"),
        b("length-over-2-63", length(b"99999999999999999999999"), "Length"),
        b("length-letters", length(b"many"), "Length"),
        b("length-negative-close", length(b"-1"), "Length"),
        b("length-inner-space", length(size[:1] + b" " + size[1:]), "Length"),
        b("length-leading-zeros", length(b"000" + size, keep=True), "Length"),
        b("length-same-twice", length(size, size, keep=True), "Length"),
        b("length-same-list", length(size + b", " + size, keep=True), "Length"),
        b("length-different-twice", length(size, b"5"), kind="reset"),
        b("length-different-list", length(size + b", 5"), kind="reset"),
        b("length-invalid-then-valid", length(b"x", size, keep=True), kind="reset"),
    ]


def _chunk_lines() -> list[Behaviour]:
    b = Behaviour
    body = page("Chunk lines")
    good = chunked(body[:20], body[20:])
    http10 = good.replace(b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", 1)
    huge = b"0" * 5000 + b"%x" % len(body)
    padded = body + b" " * 10  # 0x5a bytes: a chunk size with a letter
    return [
        b("chunk-size-bare-lf", send(_bare_lf_chunks(good)), "Chunk lines"),
        b("chunk-data-bare-lf", send(good.replace(b"\r\n3", b"\n3", 1)), "Chunk lines"),
        b(
            "chunk-size-uppercase",
            send(chunked(padded).replace(b"\r\n5a\r\n", b"\r\n5A\r\n", 1)),
            "Chunk lines",
        ),
        b(
            "chunk-size-leading-zeros",
            send(chunked(body).replace(b"\r\n%x\r\n" % len(body), b"\r\n000%x\r\n" % len(body), 1)),
            "Chunk lines",
        ),
        b(
            "chunk-size-huge-line",
            send(chunked(body).replace(b"\r\n%x\r\n" % len(body), b"\r\n" + huge + b"\r\n", 1)),
            "Chunk lines",
        ),
        b("chunk-size-16-digits", send(bad_chunk(b"1000000000000000\r\n")), "After the bad chunk"),
        b("chunk-size-17-digits", send(bad_chunk(b"10000000000000000\r\n")), kind="reset"),
        b("chunk-size-3000-digits", send(bad_chunk(b"f" * 3000 + b"\r\n")), kind="reset"),
        b("chunked-on-http-1.0", then_close(http10), "Chunk lines"),
        b(
            "chunked-twice",
            send(chunked(body, head=("Transfer-Encoding: chunked",))),
            "Chunk lines",
        ),
        b(
            "transfer-identity",
            then_close(response_head("200 OK", "Transfer-Encoding: identity") + body),
            "Chunk lines",
        ),
        b(
            "transfer-gzip-chunked",
            send(
                response_head("200 OK", "Transfer-Encoding: gzip, chunked")
                + _chunk(gzip.compress(body))
                + b"0\r\n\r\n"
            ),
            kind="no_title",
        ),
    ]


def _bare_lf_chunks(response: bytes) -> bytes:
    head, body = response.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n" + body.replace(b"\r\n", b"\n")


def _odd_heads() -> list[Behaviour]:
    b = Behaviour
    body = page("Odd head")
    length = f"Content-Length: {len(body)}".encode()

    def status(line: bytes) -> Handler:
        return send(line + b"\r\n" + length + b"\r\n\r\n" + body)

    def header(line: bytes) -> Handler:
        return send(b"HTTP/1.1 200 OK\r\n" + line + b"\r\n" + length + b"\r\n\r\n" + body)

    return [
        b("status-2-junk", status(b"HTTP/1.1 2 junk"), kind="http_status"),
        b("status-no-code", status(b"HTTP/1.1 OK"), "Odd head"),
        b("status-version-only", status(b"HTTP/1.1"), "Odd head"),
        b("status-two-spaces", status(b"HTTP/1.1  200 OK"), "Odd head"),
        b("status-404-titled", status(b"HTTP/1.1 404 Not Found"), kind="http_4xx"),
        b("status-500-titled", status(b"HTTP/1.1 500 Oops"), kind="http_5xx"),
        b("status-299", status(b"HTTP/1.1 299 Fine"), "Odd head"),
        b("status-600", status(b"HTTP/1.1 600 Odd"), kind="http_status"),
        b("http-2.0-status-line", status(b"HTTP/2.0 200 OK"), "Odd head"),
        b("http-0.9-lowercase", status(b"http/1.1 200 OK"), "Odd head"),
        b("header-nul-in-value", header(b"X-A: a\x00b"), kind="reset"),
        b("header-bare-cr-in-value", header(b"X-A: a\rb"), "Odd head"),
        b("header-odd-name", header(b"X(A): 1"), "Odd head"),
        b("header-empty-name", header(b": 1"), "Odd head"),
        b("header-leading-space-first", header(b" X-A: 1"), "Odd head"),
        b("headers-200-lines", send(ok(body, *[f"X-{n}: {n}" for n in range(200)])), "Odd head"),
        b("head-200-kb", send(ok(body, *[f"X-{n}: {'x' * 1000}" for n in range(200)])), "Odd head"),
        b(
            "head-over-256-kb",
            send(ok(body, *[f"X-{n}: {'x' * 1000}" for n in range(300)])),
            kind="too_large",
        ),
        b("connection-close-keep-open", send(ok(body, "Connection: close")), "Odd head"),
    ]


def _locations(server: FaultServer) -> list[Behaviour]:
    b = Behaviour
    server.add("/landing/a", send(ok(page("Landed"))))
    server.add("/landing/%C3%A9", send(ok(page("Landed"))))

    def location(*values: bytes) -> Handler:
        lines = b"".join(b"Location: " + value + b"\r\n" for value in values)
        return send(b"HTTP/1.1 302 Found\r\n" + lines + b"Content-Length: 0\r\n\r\n")

    absolute = server.url("/landing/a").encode()
    return [
        b("location-backslashes", location(b"\\landing\\a"), "Landed"),
        b("location-bare-cr", location(b"/landing/\ra"), kind="http_4xx"),
        b("location-tab", location(b"/landing/\ta"), "Landed"),
        b("location-nul", location(b"/landing/\x00a"), kind="reset"),
        b("location-two-different", location(b"/landing/a", b"/target"), kind="reset"),
        b("location-two-same", location(b"/landing/a", b"/landing/a"), "Landed"),
        b("location-scheme-relative", location(absolute[5:]), "Landed"),
        b("location-spaces-around", location(b"  /landing/a  "), "Landed"),
        b("location-empty", location(b""), kind="http_status"),
        b(
            "location-on-300",
            send(b"HTTP/1.1 300 Choices\r\nLocation: /landing/a\r\nContent-Length: 0\r\n\r\n"),
            kind="http_status",
        ),
        b("location-303", send(redirect("/landing/a", "303 See Other")), "Landed"),
        b("location-307", send(redirect("/landing/a", "307 Temporary")), "Landed"),
        b("location-dot-segments", location(b"/x/../landing/./a"), "Landed"),
        b("location-utf8", location("/landing/é".encode()), "Landed"),
    ]


def serve_all(
    server: FaultServer,
) -> tuple[list[str], dict[str, Behaviour], dict[str, str]]:
    """Add every behaviour, each with a healthy page: the URL list interleaving them (each
    behaviour followed by its healthy page), the behaviour of each URL, the title of each
    healthy page."""
    urls: list[str] = []
    expected: dict[str, Behaviour] = {}
    titles: dict[str, str] = {}
    catalog = behaviours(server)
    for n, behaviour in enumerate(catalog):
        url = server.add(f"/b/{behaviour.name}", behaviour.handler)
        expected[url] = behaviour
        ok_url = server.add(f"/ok/{n}", healthy(n))
        titles[ok_url] = healthy_title(n)
        urls += [url, ok_url]
    return urls, expected, titles


def serve_idle_stray(server: FaultServer, gate: FaultServer) -> tuple[list[str], dict[str, str]]:
    """A response that a second, unsolicited one follows a moment later, while the client holds
    the connection idle; and the URLs that make it idle then: the page itself, a page on
    `gate` answered only once the stray response is out, and a healthy page on `server` that
    would be sent on that connection next. Returns the URLs and the title each must get.

    Only a client that fetches one URL at a time is sure to see the stray bytes before it
    reuses the connection (`-w 1 --per-host 1`): no HTTP/1.1 client can tell a response that
    arrives after its request was sent from the answer to it.
    """
    stray_sent = threading.Event()

    def answer_then_stray(exchange: Exchange) -> bool:
        exchange.send(ok(page("Before the stray")))
        exchange.server.stopping.wait(0.05)  # a moment after: the client has read the first
        exchange.send(ok(page("STRAY RESPONSE")))
        stray_sent.set()
        exchange.wait_for_close()
        return False

    def after_the_stray(exchange: Exchange) -> bool:
        stray_sent.wait(10)
        return send(ok(page("Gate")))(exchange)

    urls = [
        server.add("/idle/stray", answer_then_stray),
        gate.add("/idle/gate", after_the_stray),
        server.add("/idle/healthy", healthy(9999)),
    ]
    return urls, dict(zip(urls, ["Before the stray", "Gate", healthy_title(9999)], strict=True))


def serve_closing_on_reuse(server: FaultServer, pages: int) -> tuple[list[str], dict[str, int]]:
    """`pages` healthy pages on a server that closes each kept-alive connection, unanswered,
    exactly when a second request arrives on it (an idle timeout at the worst moment). Returns
    the URLs and the counts taken at the server: "answered" requests, and "closed" ones (a
    request that came on a reused connection and was dropped)."""
    counts = {"answered": 0, "closed": 0}
    answered: set[socket.socket] = set()
    lock = threading.Lock()

    def once_per_connection(n: int) -> Handler:
        def handle(exchange: Exchange) -> bool:
            with lock:
                reused = exchange.sock in answered
                answered.add(exchange.sock)
                counts["closed" if reused else "answered"] += 1
            return False if reused else healthy(n)(exchange)

        return handle

    urls = [server.add(f"/closing/{n}", once_per_connection(n)) for n in range(pages)]
    return urls, counts


def serve_strays(server: FaultServer, pages: int) -> tuple[list[str], list[bool]]:
    """A page followed at once by a second response nobody asked for, then `pages` healthy
    pages on the same host and port. Returns the URLs (the stray one first) and, counted at
    the server for each request to a healthy page after the stray was sent, in arrival order,
    whether it came on a reused connection."""
    used: set[socket.socket] = set()
    reused: list[bool] = []
    stray_sent = threading.Event()
    lock = threading.Lock()

    def arrival(exchange: Exchange) -> None:
        with lock:
            if stray_sent.is_set():
                reused.append(exchange.sock in used)
            used.add(exchange.sock)

    def answer_then_stray(exchange: Exchange) -> bool:
        arrival(exchange)
        exchange.send(ok(page("Before the stray")) + ok(page("STRAY RESPONSE")))
        stray_sent.set()
        return True

    def counted(n: int) -> Handler:
        def handle(exchange: Exchange) -> bool:
            arrival(exchange)
            return healthy(n)(exchange)

        return handle

    urls = [server.add("/stray/first", answer_then_stray)]
    urls += [server.add(f"/stray/{n}", counted(n)) for n in range(pages)]
    return urls, reused
