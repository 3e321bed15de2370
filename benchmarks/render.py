"""Rendering benchmark (issue 24): what --render costs per page and per browser.

Serves JS pages on 127.0.0.1 (an empty <title>, a deferred bundle that fetch()es JSON and sets
document.title from it), then runs the installed titlefetch over them as a user would:

- start-up: one JS page, `--render always` against `--render never` (the first rendered
  page pays for starting Playwright's driver and Chromium);
- throughput: `--render always` at --render-workers 1, 4 and 8 on `--pages` distinct pages,
  with `--render never` on the same list as the baseline;

and reports wall time, CPU (the whole process tree: titlefetch, Playwright's driver,
Chromium's processes; all are reaped, so RUSAGE_CHILDREN counts them), rendered pages per
CPU-second, and the peak PSS of the tree and of its Chromium processes (sampled every 0.1 s,
found by a variable set in the command's environment). No root, no internet.

    .venv/bin/python benchmarks/render.py               # 60 pages
    .venv/bin/python benchmarks/render.py --pages 200
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from run import child_environment, find_titlefetch

PAGE = (
    b"<!doctype html><html><head><title></title><script src='/app.js' defer></script></head>"
    b"<body><div id=root>Loading</div></body></html>"
)
BUNDLE = (
    b"fetch('/api' + location.search).then(r => r.json())"
    b".then(d => { document.title = d.name; root.textContent = d.name; });"
)


@contextmanager
def serving() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            path, _, query = self.path.partition("?")
            if path == "/app.js":
                body, kind = BUNDLE, "text/javascript"
            elif path == "/api":
                body, kind = json.dumps({"name": f"Page {query}"}).encode(), "application/json"
            else:
                body, kind = PAGE, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_pss_mb: float
    peak_chromium_pss_mb: float
    ok: int


def _marked(mark: str) -> list[int]:
    needle = mark.encode()
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def _pss_kb(pid: int) -> tuple[int, bool]:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        comm = Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return 0, False
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]), "chrom" in comm
    return 0, False


def measure(command: list[str]) -> Measure:
    mark = f"TFBENCH_RENDER_MARK={uuid.uuid4().hex}"
    environ = {**child_environment(), mark.split("=")[0]: mark.split("=")[1]}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [0, 0]
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environ
    ) as run:
        reader = threading.Thread(target=lambda: peak.append(run.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        while run.poll() is None:
            sizes = [_pss_kb(pid) for pid in _marked(mark)]
            peak[0] = max(peak[0], sum(kb for kb, _ in sizes))
            peak[1] = max(peak[1], sum(kb for kb, chromium in sizes if chromium))
            time.sleep(0.1)
        reader.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ok = sum(1 for line in peak[2].splitlines() if json.loads(line)["error"] is None)
    return Measure(wall, cpu, peak[0] / 1024, peak[1] / 1024, ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    args = parser.parse_args()
    titlefetch = find_titlefetch()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores")
    with serving() as base, tempfile.TemporaryDirectory() as folder:
        one, many = Path(folder, "one.txt"), Path(folder, "many.txt")
        one.write_text(f"{base}/p?0\n")
        many.write_text("".join(f"{base}/p?{n}\n" for n in range(args.pages)))
        common = [titlefetch, "-f", "jsonl", "-w", "16"]
        print(
            f"{'case':27} {'wall s':>7} {'cpu s':>7} {'pages/cpu-s':>12} {'peak PSS MB':>12}",
            end="",
        )
        print(f" {'chromium PSS MB':>16} {'ok':>3}")
        cases = [
            ("1 page, never", [*common, "--render", "never", str(one)]),
            ("1 page, always", [*common, "--render", "always", str(one)]),
            (f"{args.pages} pages, never", [*common, "--render", "never", str(many)]),
        ]
        for workers in (1, 4, 8):
            command = [*common, "--render", "always", "--render-workers", str(workers), str(many)]
            cases.append((f"{args.pages} pages, workers {workers}", command))
        for name, command in cases:
            m = measure(command)
            pages = args.pages if "pages" in name else 1
            print(
                f"{name:27} {m.wall:7.2f} {m.cpu:7.2f} {pages / m.cpu:12.1f} {m.peak_pss_mb:12.0f}"
                f" {m.peak_chromium_pss_mb:16.0f} {m.ok:3}"
            )


if __name__ == "__main__":
    main()
