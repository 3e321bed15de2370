"""Memory benchmark (issue 5): does titlefetch's RSS stay flat over 1,000,000 URLs?

Starts benchmarks/latency_server.py on 127.0.0.1 with no added latency, streams distinct URLs
(`/tiny?n=<i>`, a 170-byte page) into `titlefetch --format jsonl -` through its stdin (or
from a file with `--source file`), reads and discards its output while counting the lines
(the progress), and samples titlefetch's RSS (and the PSS of its process tree) every 0.2 s.
Prints the peak and the RSS at 1, 10, 25, 50, 75 and 100 % progress, so a leak shows as a
rising curve. No root, no internet.

    .venv/bin/python benchmarks/memory.py --urls 100000     # a quick look
    .venv/bin/python benchmarks/memory.py                   # the full 1,000,000 (minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from latency_server import TINY_TITLE, running_server
from run import child_environment, find_titlefetch
from sampling import Sample, TreeSampler

CHECKPOINTS = (0.01, 0.10, 0.25, 0.50, 0.75, 1.00)
_BATCH = 1000  # URLs per write to titlefetch's stdin
_TITLE_FIELD = f'"title":"{TINY_TITLE}"'.encode()


def urls(base_url: str, count: int) -> Iterator[bytes]:
    """`count` distinct URLs of the tiny page, in batches of newline-terminated lines."""
    for start in range(0, count, _BATCH):
        stop = min(count, start + _BATCH)
        yield "".join(f"{base_url}/tiny?n={i}\n" for i in range(start, stop)).encode()


def feed(pipe: IO[bytes], batches: Iterator[bytes]) -> None:
    """Write every batch to `pipe`, then close it; stop quietly if the reader has gone."""
    with contextlib.suppress(BrokenPipeError), pipe:
        for batch in batches:
            pipe.write(batch)


class OutputCounter:
    """Reads a pipe to its end, counting lines and lines with the expected title."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.lines = 0
        self.titled = 0
        self._pipe = pipe

    def run(self) -> None:
        tail = b""
        while chunk := self._pipe.read1(1 << 20):  # type: ignore[attr-defined]
            complete, _, rest = (tail + chunk).rpartition(b"\n")
            tail = rest
            if complete:
                self.titled += complete.count(_TITLE_FIELD)
                self.lines += complete.count(b"\n") + 1


def rss_at(samples: list[Sample], done: int) -> Sample | None:
    """The first sample taken once `done` output lines had appeared."""
    return next((sample for sample in samples if sample.progress >= done), None)


def report(samples: list[Sample], total: int, counter: OutputCounter) -> None:
    """Print the RSS curve and its peak."""
    print(f"{'progress':>8} {'URLs':>9} {'seconds':>8} {'RSS MB':>7} {'PSS MB':>7}")
    for fraction in CHECKPOINTS:
        sample = rss_at(samples, int(total * fraction))
        if fraction == 1.0 and samples:
            sample = max(samples, key=lambda s: s.progress)  # the last reading, once done
        if sample is not None:
            print(
                f"{fraction:>8.0%} {sample.progress:>9} {sample.seconds:>8.1f} "
                f"{sample.rss_kb / 1024:>7.1f} {sample.pss_kb / 1024:>7.1f}"
            )
    peak_rss = max((s.rss_kb for s in samples), default=0) / 1024
    peak_pss = max((s.pss_kb for s in samples), default=0) / 1024
    print(f"peak RSS {peak_rss:.1f} MB, peak PSS (process tree) {peak_pss:.1f} MB")
    print(f"output lines {counter.lines} of {total}, with the right title {counter.titled}")


def command_for(args: argparse.Namespace, source: str) -> list[str]:
    command = [args.titlefetch, "--format", "jsonl", "--backend", args.backend, "--quiet"]
    command += ["--workers", str(args.workers), "--per-host", str(args.workers)]
    return [*command, *shlex.split(args.extra), source]


def run(args: argparse.Namespace, base_url: str, folder: Path) -> None:
    """Run titlefetch over the URLs, sample it, and print the report."""
    source = "-"
    if args.source == "file":
        source = str(folder / "urls.txt")
        with open(source, "wb") as file:
            file.writelines(urls(base_url, args.urls))
    stdin = subprocess.PIPE if args.source == "stdin" else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(
        command_for(args, source), stdin=stdin, stdout=subprocess.PIPE, env=child_environment()
    )
    assert process.stdout is not None
    counter = OutputCounter(process.stdout)
    threads = [threading.Thread(target=counter.run, daemon=True)]
    if process.stdin is not None:
        batches = urls(base_url, args.urls)
        threads.append(threading.Thread(target=feed, args=(process.stdin, batches), daemon=True))
    for thread in threads:
        thread.start()
    with TreeSampler(process.pid, args.interval, progress=lambda: counter.lines) as sampler:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    report(sampler.samples, args.urls, counter)
    print(
        f"wall {wall:.1f} s, {args.urls / wall:.0f} URLs/s, CPU {cpu:.1f} s "
        f"({1000 * cpu / args.urls:.2f} ms/URL), max RSS (wait4) {usage.ru_maxrss / 1024:.1f} MB, "
        f"exit code {process.returncode}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1_000_000, help="distinct URLs")
    parser.add_argument("--workers", type=int, default=64, help="titlefetch --workers")
    parser.add_argument("--backend", default="thread", help="titlefetch --backend")
    parser.add_argument("--source", choices=("stdin", "file"), default="stdin")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--extra", default="", help="more titlefetch options, one string")
    parser.add_argument("--titlefetch", default=None, help="the titlefetch to run")
    args = parser.parse_args(argv)
    args.titlefetch = args.titlefetch or find_titlefetch()
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"{args.urls} URLs from {args.source}, {args.backend} backend, {args.workers} workers")
    print(f"titlefetch: {args.titlefetch}, {os.cpu_count()} cores", flush=True)
    with (
        running_server(pages=1, latency_ms=0) as base_url,
        tempfile.TemporaryDirectory(prefix="titlefetch-memory-") as folder,
    ):
        run(args, base_url, Path(folder))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
