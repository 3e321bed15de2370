"""Speed benchmark: titlefetch per backend and worker count against a local latency server.

Starts benchmarks/latency_server.py on 127.0.0.1 (each response delayed, 50 ms by default),
runs the installed `titlefetch --format jsonl` over URLs to it as a subprocess, once per
backend and worker count, and prints a table: wall time, CPU (user + sys of titlefetch and
all its children, from os.wait4), memory (the largest RSS, and the peak summed PSS of the
process tree sampled every 0.1 s from /proc), URLs per second, TCP connections opened and
the share of titles that match the ones the server generated. No root, no internet.

With `--cluster N` the dask backend runs on a Dask cluster started beforehand (a `dask
scheduler` and N `dask worker` processes, dask_cluster.py), and the table adds the CPU the
scheduler and the workers spent per URL; without it, titlefetch starts a local cluster in
each run (its CPU is then in titlefetch's).

    .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --urls 5000 --backends thread --workers 16,64,128
    .venv/bin/python benchmarks/run.py --latency-ms 0 --urls 20000 --backends thread,dask \
        --cluster 2 --workers 64
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dask_cluster import Cluster, running_cluster
from latency_server import make_site, running_server, server_stats
from sampling import TreeSampler

DEFAULT_WORKERS = {"thread": "32,64", "process": "32,64", "dask": "64"}
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")


@dataclass(frozen=True, slots=True)
class Usage:
    """What one run of a command cost."""

    wall: float
    cpu: float  # user + sys, the process and the children it waited for
    max_rss_mb: float  # the largest single process
    peak_pss_mb: float  # the whole process tree, sampled
    connections: int  # TCP connections the server accepted
    exit_code: int
    scheduler_cpu: float = 0.0  # with --cluster: the Dask scheduler's, during the run
    workers_cpu: float = 0.0  # with --cluster: the Dask workers', during the run


@dataclass(frozen=True, slots=True)
class Measurement:
    """One titlefetch run: which, how many URLs, how many titles right, and the cost."""

    backend: str
    workers: int
    urls: int
    correct: int
    usage: Usage


def find_titlefetch() -> str:
    """The titlefetch beside this interpreter (a venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "titlefetch"
    if beside.exists():
        return str(beside)
    found = shutil.which("titlefetch")
    if found is None:
        sys.exit("run.py: titlefetch is not installed (pip install -e . first)")
    return found


def child_environment() -> dict[str, str]:
    """This environment without proxy variables: every request must go to 127.0.0.1."""
    return {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}


def write_urls(path: Path, base_url: str, count: int, pages: int) -> dict[str, int]:
    """Write `count` distinct URLs (pages repeat, `?n=` differs); map each to its page."""
    urls = {f"{base_url}/p/{i % pages}?n={i}": i % pages for i in range(count)}
    path.write_text("".join(f"{url}\n" for url in urls))
    return urls


def count_correct(output: Path, expected: dict[str, str]) -> int:
    """How many URLs have, in titlefetch's JSON Lines output, the title the server generated."""
    correct: set[str] = set()
    with output.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a half-written last line, if titlefetch died
            title = _ASCII_WHITESPACE.sub(" ", record.get("title") or "").strip(" ")
            if expected.get(record.get("url")) == title:
                correct.add(record["url"])
    return len(correct)


def measure(
    command: list[str], output: Path, *, base_url: str, cluster: Cluster | None = None
) -> Usage:
    """Run `command` with its stdout to `output` and its stderr beside it."""
    before = server_stats(base_url)["connections"]
    cluster_before = cluster.cpu_seconds() if cluster else (0.0, 0.0)
    started = time.perf_counter()
    with output.open("wb") as out, output.with_suffix(".err").open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=child_environment())
        with TreeSampler(process.pid, 0.1) as sampler:
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    connections = server_stats(base_url)["connections"] - before - 1  # minus our /_stats
    cluster_after = cluster.cpu_seconds() if cluster else (0.0, 0.0)
    return Usage(
        wall=wall,
        # wait4 on Linux counts the child and the children it waited for (pool workers).
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        peak_pss_mb=sampler.peak_pss_kb / 1024,
        connections=connections,
        exit_code=process.returncode,
        scheduler_cpu=cluster_after[0] - cluster_before[0],
        workers_cpu=cluster_after[1] - cluster_before[1],
    )


def run_one(args: argparse.Namespace, backend: str, workers: int, **paths: Path) -> Measurement:
    """Measure one backend at one worker count."""
    command = [args.titlefetch, "--format", "jsonl", "--backend", backend, "--workers"]
    command += [str(workers), "--per-host", str(args.per_host or workers), "--quiet"]
    cluster = args.cluster if backend == "dask" else None
    if cluster is not None:
        command += ["--scheduler", cluster.address]
    elif args.processes and backend != "thread":
        command += ["--processes", str(args.processes)]
    command += [*shlex.split(args.extra), str(paths["urls"])]
    output = paths["work"] / f"{backend}-{workers}.jsonl"
    usage = measure(command, output, base_url=args.base_url, cluster=cluster)
    correct = count_correct(output, args.expected)
    return Measurement(backend, workers, len(args.expected), correct, usage)


def median_run(runs: list[Measurement]) -> Measurement:
    """The run with the median wall time (the upper one of two middles)."""
    return sorted(runs, key=lambda run: run.usage.wall)[len(runs) // 2]


HEADER = (
    f"{'backend':<8} {'workers':>7} {'wall s':>7} {'URLs/s':>7} {'CPU s':>6} {'ms/URL':>6} "
    f"{'RSS MB':>6} {'PSS MB':>6} {'conns':>5} {'correct':>7} {'rc':>3} "
    f"{'sched ms/URL':>12} {'workers ms/URL':>14}"
)


def format_row(m: Measurement) -> str:
    """One table row; RSS is the largest single process, PSS the whole tree's peak; CPU is
    titlefetch's (with a running cluster: the client's), the last two the cluster's."""
    u = m.usage
    cluster = (
        ""
        if not (u.scheduler_cpu or u.workers_cpu)
        else (f" {1000 * u.scheduler_cpu / m.urls:>12.3f} {1000 * u.workers_cpu / m.urls:>14.3f}")
    )
    return (
        f"{m.backend:<8} {m.workers:>7} {u.wall:>7.2f} {m.urls / u.wall:>7.0f} {u.cpu:>6.2f} "
        f"{1000 * u.cpu / m.urls:>6.3f} {u.max_rss_mb:>6.0f} {u.peak_pss_mb:>6.0f} "
        f"{u.connections:>5} {100 * m.correct / m.urls:>6.1f}% {u.exit_code:>3}{cluster}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000, help="URLs per run (distinct)")
    parser.add_argument("--pages", type=int, default=200, help="distinct pages on the server")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="delay per response")
    parser.add_argument(
        "--head-kb", type=int, default=0, help="KB of CSS/JS before every title (0: 3-30 on half)"
    )
    parser.add_argument("--backends", default="thread,process", help="comma-separated")
    parser.add_argument(
        "--workers",
        help=f"comma-separated worker counts for every backend (default: {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--per-host", type=int, help="titlefetch --per-host (default: the worker count)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs each; the median is shown")
    parser.add_argument("--processes", type=int, help="titlefetch --processes (process, dask)")
    parser.add_argument(
        "--cluster",
        dest="cluster_size",
        type=int,
        help="run dask on a running cluster of this many workers",
    )
    parser.add_argument(
        "--cluster-threads", type=int, default=32, help="threads of each cluster worker"
    )
    parser.add_argument("--extra", default="", help="more titlefetch options, one string")
    parser.add_argument("--titlefetch", default=None, help="the titlefetch to run")
    parser.add_argument("--keep", type=Path, help="copy the outputs to this folder")
    args = parser.parse_args(argv)
    args.titlefetch = args.titlefetch or find_titlefetch()
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    site = make_site(args.pages, head_kb=args.head_kb)
    print(f"{args.urls} URLs, {args.pages} pages of 10-80 KB, {args.latency_ms:g} ms per response")
    print(f"titlefetch: {args.titlefetch}, {os.cpu_count()} cores\n")
    print(HEADER, flush=True)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(
            running_server(pages=args.pages, latency_ms=args.latency_ms, head_kb=args.head_kb)
        )
        args.base_url = base_url
        args.cluster = None
        if args.cluster_size:
            args.cluster = stack.enter_context(
                running_cluster(args.cluster_size, args.cluster_threads)
            )
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="titlefetch-bench-")))
        pages = write_urls(work / "urls.txt", base_url, args.urls, args.pages)
        args.expected = {url: site.titles[page] for url, page in pages.items()}
        for backend in args.backends.split(","):
            for workers in (args.workers or DEFAULT_WORKERS[backend]).split(","):
                runs = [
                    run_one(args, backend, int(workers), urls=work / "urls.txt", work=work)
                    for _ in range(args.repeat)
                ]
                print(format_row(median_run(runs)), flush=True)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)


if __name__ == "__main__":
    main()
