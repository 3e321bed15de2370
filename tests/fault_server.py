"""A misbehaving HTTP server for fault tests: raw sockets, so it can break HTTP on purpose.

Each path has a handler that writes whatever it likes to the socket. The server counts what a
client would never tell: bytes actually sent per path, connections open at once, requests in
flight at once, and when each request arrived.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import socket
import ssl
import struct
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

import trustme


class ClientGone(Exception):
    """The client closed the connection (or the server is stopping)."""


@dataclass
class Exchange:
    """One request on one connection, as a handler sees it."""

    server: FaultServer
    sock: socket.socket
    path: str
    headers: dict[str, str]
    hit: int  # 1 for the first request to this path, 2 for the second, ...

    def send(self, data: bytes) -> None:
        """Send `data`, counting the bytes against this path."""
        if self.server.stopping.is_set():
            raise ClientGone
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise ClientGone from exc
        self.server.count_sent(self.path, len(data))

    def send_paced(self, data: bytes, *, piece: int = 1024, pause: float = 0.002) -> None:
        """Send in small pieces with pauses, so the count stops soon after the client does."""
        for start in range(0, len(data), piece):
            self.send(data[start : start + piece])
            time.sleep(pause)

    def wait_for_close(self) -> None:
        """Block until the client closes the connection (or the server stops)."""
        self.sock.settimeout(0.05)
        while not self.server.stopping.is_set():
            try:
                if not self.sock.recv(4096):
                    return
            except TimeoutError:
                continue
            except OSError:
                return


Handler = Callable[[Exchange], bool]  # returns whether the connection stays open


@dataclass
class FaultServer:
    """Serves `routes[path]` on 127.0.0.1 (with TLS when given a context). A context manager."""

    routes: dict[str, Handler] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    plain_too: bool = False  # with tls: a connection that opens without a TLS record is plain
    # without tls: answer a TLS hello with a 400 and close, as nginx and http.server do (else
    # it is read as the start of an HTTP head that never ends)
    refuses_tls: bool = False
    hits: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    arrivals: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    request_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    done: Counter[str] = field(default_factory=Counter)  # handlers finished, per path
    schemes: Counter[str] = field(default_factory=Counter)  # requests over "http", "https"
    connections: int = 0
    max_open: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._in_flight = 0
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]

    @property
    def base(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.tls else "127.0.0.1"
        return f"{scheme}://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def wait_done(self, path: str, timeout: float = 10.0) -> None:
        """Wait until every handler started for `path` has finished."""
        limit = time.monotonic() + timeout
        while self.done[path] < self.hits[path] and time.monotonic() < limit:
            time.sleep(0.02)
        assert self.done[path] == self.hits[path], f"{path} still being served"

    def count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self.sent[path] += size

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self._accept_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._listener.close()
        with self._lock:
            for sock in self._open:
                _shut(sock)

    def _accept_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(sock)
                self.max_open = max(self.max_open, len(self._open))
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        sock, scheme = raw, "http"
        try:
            if self.tls is not None and not (self.plain_too and not _opens_tls(raw)):
                sock, scheme = self.tls.wrap_socket(raw, server_side=True), "https"
            elif self.refuses_tls and _opens_tls(raw):
                sock.sendall(response_head("400 Bad Request", "Connection: close"))
                return
            while self._serve_one(sock, scheme):
                pass
        except (OSError, ClientGone):
            pass
        finally:
            with self._lock:
                self._open.discard(raw)
            sock.close()

    def _serve_one(self, sock: socket.socket, scheme: str) -> bool:
        head = _read_head(sock)
        if head is None:
            return False
        path, headers = head
        with self._lock:
            self.schemes[scheme] += 1
            self.hits[path] += 1
            self.arrivals[path].append(time.monotonic())
            self.request_headers[path] = headers
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            exchange = Exchange(self, sock, path, headers, self.hits[path])
        try:
            return self.routes.get(path, not_found)(exchange)
        finally:
            with self._lock:
                self._in_flight -= 1
                self.done[path] += 1


def server_tls(authority: trustme.CA, *hosts: str) -> ssl.SSLContext:
    """A server's TLS context, with a certificate `authority` issued for `hosts`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*hosts).configure_cert(context)
    return context


def _opens_tls(sock: socket.socket) -> bool:
    return sock.recv(1, socket.MSG_PEEK) == b"\x16"  # a TLS handshake record


def _read_head(sock: socket.socket) -> tuple[str, dict[str, str]] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return path, {name.lower(): value for name, value in headers.items()}


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# -- responses ---------------------------------------------------------------------------


def html(title: str, filler: int = 0) -> bytes:
    """An HTML page with `title`, and `filler` bytes of markup after it."""
    head = f"<!doctype html><html><head><title>{title}</title></head><body>"
    return head.encode() + b"<p>filler</p>" * (filler // 13) + b"</body></html>"


def response_head(status: str = "200 OK", *headers: str, version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def page(
    body: bytes, status: str = "200 OK", *headers: str, content_type: str = "text/html"
) -> Handler:
    """A well-formed response with Content-Length; the connection stays open."""

    def handle(exchange: Exchange) -> bool:
        head = response_head(
            status, f"Content-Type: {content_type}", f"Content-Length: {len(body)}", *headers
        )
        exchange.send(head + body)
        return True

    return handle


def title_page(title: str, *, delay: float = 0.0) -> Handler:
    send = page(html(title))

    def handle(exchange: Exchange) -> bool:
        time.sleep(delay)
        return send(exchange)

    return handle


def delayed(handler: Handler, delay: float) -> Handler:
    """`handler`, after `delay` seconds."""

    def handle(exchange: Exchange) -> bool:
        time.sleep(delay)
        return handler(exchange)

    return handle


def not_found(exchange: Exchange) -> bool:
    return page(b"<title>Not Found</title>", "404 Not Found")(exchange)


def redirect(location: str, status: str = "302 Found") -> Handler:
    return page(b"", status, f"Location: {location}")


def in_turn(*handlers: Handler) -> Handler:
    """The first request gets the first handler, and so on; the last one repeats."""

    def handle(exchange: Exchange) -> bool:
        return handlers[min(exchange.hit, len(handlers)) - 1](exchange)

    return handle


def trickle(exchange: Exchange) -> bool:
    """A valid response, one byte a second, status line included."""
    for byte in response_head("200 OK", "Content-Type: text/html") + html("Too slow"):
        exchange.send(bytes([byte]))
        time.sleep(1.0)
    return False


def never_answer(exchange: Exchange) -> bool:
    exchange.wait_for_close()
    return False


def reset_mid_body(exchange: Exchange) -> bool:
    exchange.send(response_head("200 OK", "Content-Type: text/html", "Content-Length: 100000"))
    exchange.send(b"<!doctype html><html><head>" + b" " * 2000)
    time.sleep(0.1)
    # Linger 0: close() sends RST instead of FIN.
    exchange.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raise ClientGone


def close_before_answering(exchange: Exchange) -> bool:
    """Read the request, then close the connection (a FIN, not a reset) without answering."""
    return False


def close_mid_body(exchange: Exchange) -> bool:
    """Promise 100,000 bytes, send some, then close the connection (a FIN, not a reset)."""
    exchange.send(response_head("200 OK", "Content-Type: text/html", "Content-Length: 100000"))
    exchange.send(b"<!doctype html><html><head>" + b" " * 2000)
    return False


def gzip_bomb(exchange: Exchange, *, size: int = 10 * 1024 * 1024) -> bool:
    """A 10 MB gzip body of zeros, about 10 GB expanded, never held in memory whole.

    After a full flush the compressor's output for the same input repeats: compress 1 MB of
    zeros once for the gzip header and first block, once for the block that repeats.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    exchange.send(
        response_head(
            "200 OK",
            "Content-Type: text/html",
            "Content-Encoding: gzip",
            f"Content-Length: {size}",
        )
        + first
    )
    for sent in range(len(first), size, len(repeat)):
        exchange.send(repeat[: size - sent])
    return False


def endless_chunked(exchange: Exchange) -> bool:
    exchange.send(response_head("200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked"))
    piece = b"<p>no title here</p>" * 200
    for _ in itertools.count():
        exchange.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    return False


def redirect_with_endless_body(location: str) -> Handler:
    """A 302 whose chunked body never ends: following must not wait for its end."""

    def handle(exchange: Exchange) -> bool:
        head = response_head(
            "302 Found",
            f"Location: {location}",
            "Content-Type: text/html",
            "Transfer-Encoding: chunked",
        )
        exchange.send(head)
        piece = b"<p>moved</p>" * 100
        while True:
            exchange.send(b"%x\r\n%s\r\n" % (len(piece), piece))

    return handle


def huge_headers(exchange: Exchange) -> bool:
    """300 KB of headers: 3,000 of 100 bytes each (over Chromium's 256 KB, as titlefetch)."""
    filler = [f"X-Filler-{n:04d}: {'x' * 84}" for n in range(3000)]
    body = html("Never seen")
    exchange.send(
        response_head("200 OK", "Content-Type: text/html", f"Content-Length: {len(body)}", *filler)
        + body
    )
    return True


def http10_no_length(title: str) -> Handler:
    """HTTP/1.0 with no Content-Length: the body ends when the server closes."""

    def handle(exchange: Exchange) -> bool:
        head = response_head("200 OK", "Content-Type: text/html", version="HTTP/1.0")
        exchange.send(head + html(title, filler=20_000))
        return False

    return handle


def big_page(title: str, size: int) -> Handler:
    """`size` bytes, the title ending near 4 KB, sent paced (see Exchange.send_paced)."""

    def handle(exchange: Exchange) -> bool:
        head = response_head("200 OK", "Content-Type: text/html", f"Content-Length: {size}")
        exchange.send(head)
        padding = f'<meta name="padding" content="{"x" * 3900}">'
        start = f"<!doctype html><html><head>{padding}<title>{title}</title></head><body>"
        exchange.send_paced(start.encode().ljust(4096))
        for _ in range(4096, size, 65536):
            exchange.send_paced(b"<p>filler</p>" * 5041 + b"xxx")
        return False

    return handle


def encoded(title: str, encoding: str) -> Handler:
    """A title page sent with Content-Encoding gzip, deflate (zlib) or deflate (raw)."""
    body = html(title, filler=4000)
    compressors: dict[str, Callable[[bytes], bytes]] = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "raw-deflate": lambda data: _raw_deflate(data),
    }
    name = "deflate" if encoding == "raw-deflate" else encoding
    return page(compressors[encoding](body), "200 OK", f"Content-Encoding: {name}")


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, never listening, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def full_listen_queue() -> Iterator[int]:
    """A port on 127.0.0.1 where connecting times out: its listener never accepts, and its
    queue (backlog 0) is already full, so the kernel (Linux) drops further SYNs unanswered."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port: int = listener.getsockname()[1]
    queued: list[socket.socket] = []
    try:
        for _ in range(8):
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:  # the queue is full
                probe.close()
                break
            queued.append(probe)
        else:
            raise RuntimeError(f"connections to port {port} never started to time out")
        yield port
    finally:
        for sock in queued:
            sock.close()
        listener.close()
