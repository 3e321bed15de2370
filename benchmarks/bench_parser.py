"""Microseconds per response for the response reader: http/_http11.py on httptools (llhttp), the
hand-written http1.py it replaced (given its path), and h11 (given it is installed).

Each reads a typical nginx response (head of 9 headers, a 10 KB body) from memory, head and
whole body, as the fetch reads it: `python benchmarks/bench_parser.py [--old PATH]`. Run by
another checkout's interpreter (`../main/.venv/bin/python benchmarks/bench_parser.py`), it
measures that checkout's reader.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any

from titlefetch.http import _codings as codings
from titlefetch.http import _http11 as http11

HEAD = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
    b"Content-Type: text/html; charset=utf-8\r\nContent-Length: 10240\r\n"
    b"Last-Modified: Tue, 14 Nov 2023 20:00:00 GMT\r\nConnection: keep-alive\r\n"
    b'ETag: "6553d0c0-2800"\r\n'
    b"Accept-Ranges: bytes\r\nVary: Accept-Encoding\r\n\r\n"
)
RESPONSE = HEAD + b"<!doctype html><title>x</title>" + b"x" * (10240 - 31)
_CHUNK = 16 * 1024


class _Memory:
    """The little of a socket the readers use: recv() from bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def recv(self, most: int) -> bytes:
        data, self._data = self._data[:most], self._data[most:]
        return data


def read_new() -> None:
    response = http11.read_response(_Memory(RESPONSE))  # type: ignore[arg-type]
    while response.read1(_CHUNK):
        pass


def old_reader(path: str) -> Callable[[], None]:
    sys.modules["titlefetch.codings"] = codings  # its decoder_for has the same signature
    spec = importlib.util.spec_from_file_location("old_http1", path)
    assert spec is not None and spec.loader is not None
    old: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)

    def read_old() -> None:
        response = old.read_response(_Memory(RESPONSE))
        while response.read1(_CHUNK):
            pass

    return read_old


def read_h11() -> None:
    import h11

    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    connection.send(h11.EndOfMessage())
    connection.receive_data(RESPONSE)
    while not isinstance(connection.next_event(), h11.EndOfMessage):
        pass


def per_call(read: Callable[[], None], rounds: int, repeats: int) -> float:
    """µs of CPU per call, the best of `repeats` runs of `rounds` calls: process time, not wall
    time, so that other processes on a shared machine count less."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(rounds):
            read()
        best = min(best, (time.process_time() - started) / rounds)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", help="path of the hand-written http1.py (main before #14)")
    parser.add_argument("--rounds", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    readers: dict[str, Callable[[], None]] = {"http1.py on httptools": read_new}
    if args.old:
        readers["hand-written http1.py"] = old_reader(args.old)
    if importlib.util.find_spec("h11"):
        readers["h11"] = read_h11
    for name, read in readers.items():
        print(f"{name:24} {per_call(read, args.rounds, args.repeats):6.2f} µs per response")


if __name__ == "__main__":
    main()
