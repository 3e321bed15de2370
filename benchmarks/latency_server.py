"""A local HTTP/1.1 keep-alive server with a fixed added latency, for the benchmarks.

Serves a generated site on 127.0.0.1 (no root needed):

- `/p/<i>`: page i of N, 10-80 KB (log-uniform), UTF-8, a title near the top or after a few
  KB of inline CSS and JS, some titles non-ASCII; every response waits `--latency-ms` first.
- `/tiny`: a ~200-byte page titled "tiny page" (for the memory benchmark).
- `/_stats`: JSON {"connections", "requests"} so far, answered without latency.
- anything else: 404.

Query strings are ignored, so `/p/3?n=17` and `/p/3?n=18` are distinct URLs with the same
page. Run it by hand with `python benchmarks/latency_server.py --port 8000`; the other
benchmark scripts start it as a subprocess and read the "listening on" line it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

TINY_TITLE = "tiny page"
_TINY_BODY = (
    b"<!doctype html><html><head><meta charset=utf-8><title>tiny page</title></head>"
    b"<body><p>A tiny page for the memory benchmark: the title is all there is.</p>"
    b"</body></html>\n"
)
_NON_ASCII_TITLES = (
    "Caf\u00e9 cr\u00e8me & cr\u00eapes \u2014 r\u00e9sum\u00e9",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03bd\u03ad\u03b1",
    "\u041d\u043e\u0432\u043e\u0441\u0442\u0438 \u0434\u043d\u044f",
    "\u65e5\u672c\u8a9e\u306e\u30da\u30fc\u30b8",
    "Launch day \U0001f680 \u2013 na\u00efve co\u00f6peration",
)
_WORDS = (
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "tempor",
    "magna",
    "aliqua",
    "veniam",
    "nostrud",
)


@dataclass(frozen=True, slots=True)
class Site:
    """The generated pages: page i's full HTTP response and the title a browser shows."""

    responses: tuple[bytes, ...]
    titles: tuple[str, ...]


def make_site(pages: int, *, seed: int = 1, head_kb: int = 0) -> Site:
    """Generate `pages` pages deterministically from `seed`; `head_kb` > 0 puts that many KB
    of inline CSS and JS before every title (parsing-heavy pages)."""
    rng = random.Random(seed)
    responses, titles = [], []
    for i in range(pages):
        title, body = _make_page(i, rng, head_kb)
        responses.append(_response(200, body))
        titles.append(title)
    return Site(tuple(responses), tuple(titles))


def _make_page(i: int, rng: random.Random, head_kb: int) -> tuple[str, bytes]:
    size = int(math.exp(rng.uniform(math.log(10_000), math.log(80_000))))
    title = f"Page {i}: " + " ".join(rng.choices(_WORDS, k=rng.randint(2, 6)))
    if i % 5 == 2:
        title = f"{_NON_ASCII_TITLES[i // 5 % len(_NON_ASCII_TITLES)]} ({i})"
    head_filler = _head_filler(rng, rng.randint(3_000, 30_000)) if i % 2 else ""
    if head_kb:
        head_filler = _head_filler(rng, head_kb * 1024)
    escaped = title.replace("&", "&amp;")
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width">\n{head_filler}'
        f"<title>\n  {escaped}\n</title>\n</head>\n<body>\n"
    )
    paragraphs = []
    length = len(head.encode())
    while length < size:
        text = " ".join(rng.choices(_WORDS, k=60))
        paragraphs.append(f"<p>{text}</p>\n")
        length += len(paragraphs[-1])
    return title, (head + "".join(paragraphs) + "</body>\n</html>\n").encode()


def _head_filler(rng: random.Random, size: int) -> str:
    """Inline CSS and JS, as many pages carry before their title."""
    parts = ["<style>\n"]
    length = 0
    while length < size // 2:
        rule = f".c{rng.randrange(10**6)} {{ margin: {rng.randrange(40)}px; color: #abc; }}\n"
        parts.append(rule)
        length += len(rule)
    parts.append("</style>\n<script>\n")
    while length < size:
        line = f"var v{rng.randrange(10**6)} = '{' '.join(rng.choices(_WORDS, k=8))}';\n"
        parts.append(line)
        length += len(line)
    parts.append("</script>\n")
    return "".join(parts)


def _response(status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


_TINY = _response(200, _TINY_BODY)
_NOT_FOUND = _response(404, b"<html><head><title>404 Not Found</title></head></html>\n")


class LatencyServer:
    """Answers GETs on keep-alive connections, each after `latency` seconds."""

    def __init__(self, site: Site, latency: float) -> None:
        self.site = site
        self.latency = latency
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                path = head.split(b" ", 2)[1].split(b"?", 1)[0].decode("latin-1")
                response = self._respond(path)
                if self.latency and path != "/_stats":
                    await asyncio.sleep(self.latency)
                writer.write(response)
                await writer.drain()
                if b"\r\nconnection: close" in head.lower():
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except IndexError:  # not an HTTP request line
            pass
        finally:
            writer.close()

    def _respond(self, path: str) -> bytes:
        if path == "/tiny":
            return _TINY
        if path == "/_stats":
            stats = {"connections": self.connections, "requests": self.requests}
            return _response(200, json.dumps(stats).encode(), "application/json")
        if path.startswith("/p/"):
            index = path[3:]
            if index.isdigit() and int(index) < len(self.site.responses):
                return self.site.responses[int(index)]
        return _NOT_FOUND


async def serve(host: str, port: int, server: LatencyServer) -> None:
    """Listen on host:port until cancelled; print the actual address first."""
    listener = await asyncio.start_server(server.handle, host, port, backlog=4096)
    bound = listener.sockets[0].getsockname()
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    async with listener:
        await listener.serve_forever()


@contextlib.contextmanager
def running_server(
    *, pages: int, latency_ms: float, seed: int = 1, head_kb: int = 0
) -> Iterator[str]:
    """Run the server in a subprocess of its own; yield its base URL (`http://127.0.0.1:N`)."""
    command = [sys.executable, __file__, "--pages", str(pages), "--seed", str(seed)]
    command += ["--latency-ms", str(latency_ms), "--head-kb", str(head_kb)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"latency server did not start: {line!r}")
        yield "http://" + line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def server_stats(base_url: str) -> dict[str, int]:
    """The server's connection and request counts so far."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", "/_stats", headers={"Connection": "close"})
        stats: dict[str, int] = json.loads(connection.getresponse().read())
        return stats
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    parser.add_argument("--pages", type=int, default=200, help="pages under /p/")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated pages")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="delay per response")
    parser.add_argument("--head-kb", type=int, default=0, help="KB of CSS/JS before every title")
    parser.add_argument(
        "--in-namespace",
        action="store_true",
        help="allow an address outside 127.0.0.0/8: only in a network namespace of a benchmark's",
    )
    args = parser.parse_args(argv)
    if not args.in_namespace and not args.host.startswith("127.") and args.host != "localhost":
        parser.error("listens on 127.0.0.0/8 only")
    site = make_site(args.pages, seed=args.seed, head_kb=args.head_kb)
    server = LatencyServer(site, args.latency_ms / 1000)
    try:
        asyncio.run(serve(args.host, args.port, server))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
