"""A small real HTTP server for tests: pages with chosen bodies, headers, statuses and delays."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Page:
    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    delay: float = 0.0


def html_page(title: str, *, delay: float = 0.0, status: int = 200) -> Page:
    body = f"<!doctype html><html><head><title>{title}</title></head><body>x</body></html>"
    return Page(body.encode("utf-8"), status=status, delay=delay)


@dataclass
class PageServer:
    """Serves `pages[path]`; counts requests per path, keeps the headers of the last one
    (names in lower case) and the most requests it ever handled at once. Use as a context
    manager."""

    pages: dict[str, Page] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    request_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    active: int = 0  # requests being handled now
    most_active: int = 0

    def __post_init__(self) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, page: Page) -> str:
        self.pages[path] = page
        return self.url(path)

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.request_headers[path] = headers
            self.active += 1
            self.most_active = max(self.most_active, self.active)

    def answered(self) -> None:
        with self._lock:
            self.active -= 1

    def __enter__(self) -> PageServer:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (tests do, on purpose) are not errors here


def _handler_for(site: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            site.record(self.path, {name.lower(): value for name, value in self.headers.items()})
            try:
                self._answer(site.pages.get(self.path, Page(b"<title>Not Found</title>", 404)))
            finally:
                site.answered()

        def _answer(self, page: Page) -> None:
            time.sleep(page.delay)
            self.send_response(page.status)
            for name, value in page.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler
