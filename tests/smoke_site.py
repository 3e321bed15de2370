"""A small local site on 127.0.0.1 (random port) for the smoke-check, API and CLI tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Page = tuple[int, str, bytes, dict[str, str]]  # status, content type, body, extra headers
PAGES: dict[str, Page] = {
    "/": (200, "text/html; charset=utf-8", b"<title>Home page</title>", {}),
    "/about": (200, "text/html; charset=utf-8", b"<title>About us</title>", {}),
    "/moved": (301, "text/html", b"", {"Location": "/about"}),
    "/missing": (404, "text/html", b"<title>Not found</title>", {}),
    "/broken": (500, "text/html", b"<title>Oops</title>", {}),
    "/control": (
        200,
        "text/html; charset=utf-8",
        "<title>Bell\x07 esc\x1b[31m red \u00e9t\u00e9 \x0b</title>".encode(),
        {},
    ),
    "/plain": (200, "text/plain", b"just text", {}),
}
SLOW_SECONDS = 0.3


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path.startswith("/slow"):
            time.sleep(SLOW_SECONDS)
            page: Page = (200, "text/html", b"<title>Slow page</title>", {})
        else:
            page = PAGES.get(self.path, (404, "text/html", b"", {}))
        status, content_type, body, headers = page
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up early would print a traceback into CliRunner's stderr


@contextlib.contextmanager
def serve_site() -> Iterator[str]:
    """Serve PAGES on 127.0.0.1 at a free port; yields the base URL without a final slash."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="smoke-site", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
