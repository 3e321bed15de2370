"""A built-in demo site on 127.0.0.1: sample pages with simulated network latency.

`titlefetch --demo` serves it in a background thread and fetches every page, so the tool can
be seen working on a machine without internet access.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEMO_LATENCY = 0.2  # seconds each response is held back, like a slow remote server
_TOPICS = (
    "Threads",
    "Processes",
    "Futures",
    "Executors",
    "Latency",
    "Throughput",
    "Sockets",
    "Keep-alive",
    "Encodings",
    "Entities",
    "Redirects",
    "Timeouts",
)
_LANGUAGES = (
    ("English", "utf-8", "A page about {topic}"),
    ("Français", "utf-8", "Une page sur « {topic} »"),
    ("日本語", "shift_jis", "{topic} についてのページ"),
    ("Русский", "windows-1251", "Страница о {topic}"),
)
PAGE_COUNT = len(_TOPICS) * len(_LANGUAGES)  # 48


def _page(number: int) -> tuple[str, str]:
    """Title and charset of demo page `number`."""
    topic = _TOPICS[number % len(_TOPICS)]
    _, charset, pattern = _LANGUAGES[number // len(_TOPICS)]
    return pattern.format(topic=topic), charset


def _render(number: int) -> tuple[bytes, str]:
    title, charset = _page(number)
    document = (
        f'<!doctype html><html><head><meta charset="{charset}">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>Demo page {number}.</p></body></html>"
    )
    return document.encode(charset), charset


class _DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        time.sleep(DEMO_LATENCY)
        number = self._page_number()
        if number is None:
            self._send(404, b"<title>Not Found</title>", "text/html")
            return
        body, _charset = _render(number)
        # Half the pages declare their charset only in <meta>, as many real sites do.
        content_type = "text/html" if number % 2 else f"text/html; charset={_charset}"
        self._send(200, body, content_type)

    def _page_number(self) -> int | None:
        name = self.path.strip("/").removeprefix("page/")
        if name.isdigit() and int(name) < PAGE_COUNT:
            return int(name)
        return None

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # stderr belongs to titlefetch's own trace and summary


@contextlib.contextmanager
def serve_demo_site() -> Iterator[list[str]]:
    """Serve the demo site on a free port of 127.0.0.1; yields the URL of every page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DemoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield [f"http://{host!s}:{port}/page/{number}" for number in range(PAGE_COUNT)]
    finally:
        server.shutdown()
        server.server_close()
