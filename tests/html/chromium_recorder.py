"""Record what a real Chromium shows for pages: document.characterSet and document.title.

    python -m tests.html.chromium_recorder      # rewrites legacy_pages_chromium.json

Not a test (CI has no Chromium): it makes test data. Needs `chromium` on PATH (Debian:
`apt-get install chromium`). Each page is served over HTTP on 127.0.0.1 with its own
Content-Type; Chromium (headless, en-US, JavaScript off, a fresh profile) is driven over
--remote-debugging-pipe: the DevTools protocol as NUL-separated JSON on file descriptors 3
and 4, so no WebSocket client is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# How every recorder starts Chromium: no sandbox (root), no GPU, no QUIC, no first-run or
# background traffic (this machine reaches no other host), en-US.
BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-US",
]
FLAGS = ["--headless", *BROWSER_FLAGS, "--remote-debugging-pipe"]  # driven over the pipe here
Served = dict[str, tuple[int, str | None, bytes]]  # path -> status, Content-Type, body


@contextmanager
def serving(pages: Served) -> Iterator[str]:
    """Serve `pages` on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, content_type, body = pages.get(self.path, (404, None, b""))
            self.send_response(status)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Browser:
    """One headless Chromium, spoken to over the DevTools pipe."""

    def __init__(self) -> None:
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()

        def plumb() -> None:  # in the child: Chromium reads fd 3 and writes fd 4
            # Copied out of the way first: the pipes may themselves be fds 3 and 4.
            reading, writing = os.dup(to_child), os.dup(from_child)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        profile = tempfile.mkdtemp(prefix="titlefetch-chromium-")
        self._process = subprocess.Popen(
            ["chromium", *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            close_fds=False,
            preexec_fn=plumb,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, LANG="en_US.UTF-8", LANGUAGE="en_US"),
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer, self._sent, self._pending = b"", 0, list[dict[str, Any]]()

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)

    def call(self, method: str, params: dict[str, Any], session: str | None = None) -> Any:
        self._sent += 1
        message: dict[str, Any] = {"id": self._sent, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        sent = self._sent
        return self.wait_for(lambda answer: answer.get("id") == sent).get("result", {})

    def wait_for(
        self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        for index, message in enumerate(self._pending):
            if wanted(message):
                return self._pending.pop(index)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_browser, 65536)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            message = json.loads(raw)
            if wanted(message):
                return dict(message)
            self._pending.append(message)
        raise TimeoutError(f"Chromium did not answer in {timeout:g} s")

    def shown(self, url: str) -> tuple[str, str]:
        """(document.characterSet, document.title) of `url` loaded with JavaScript off."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        session = attached["sessionId"]
        self.call("Page.enable", {}, session)
        self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        self.call("Page.navigate", {"url": url}, session)
        with contextlib.suppress(TimeoutError):  # a type Chromium downloads never loads
            self.wait_for(
                lambda m: (
                    m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session
                ),
                timeout=5,
            )
        expression = "JSON.stringify([document.characterSet, document.title])"
        answer = self.call("Runtime.evaluate", {"expression": expression}, session)
        self.call("Target.closeTarget", {"targetId": target})
        charset, title = json.loads(answer["result"]["value"])
        return str(charset), str(title)


def record(pages: Served) -> dict[str, tuple[str, str]]:
    """What Chromium shows for each served page: path -> (characterSet, title)."""
    browser = Browser()
    try:
        with serving(pages) as base:
            return {path: browser.shown(base + path) for path in pages}
    finally:
        browser.close()


def main() -> None:
    from tests.html.legacy_pages import legacy_pages

    pages: Served = {f"/{page.id}": (200, "text/html", page.body) for page in legacy_pages()}
    shown = record(pages)
    answers = {path[1:]: {"charset": cs, "title": title} for path, (cs, title) in shown.items()}
    out = Path(__file__).with_name("legacy_pages_chromium.json")
    out.write_text(json.dumps(answers, ensure_ascii=False, indent=0, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
