"""The asyncio API's cost: afetch_titles() against fetch_titles() and a plainer design.

Runs in this process against benchmarks/latency_server.py on 127.0.0.1, over the same URL
list, interleaved and repeated:

- `sync`: list(fetch_titles(urls)), the floor;
- `afetch`: afetch_titles(urls), async for (a thread drives the run and hands results to the
  loop through a bounded buffer, waking the loop only when it waits);
- `idle_loop`: the whole sync run in one asyncio.to_thread() call: the loop does nothing but
  tick, so its gaps are those the fetching threads alone cause (no results reach it early);
- `to_thread`: the plainer design it was measured against: `await loop.run_in_executor(None,
  next, run)` for every result (two thread hops per result, on the loop's default executor).

While an async mode runs, a ticker coroutine sleeps 1 ms in a loop; its largest gap between
ticks is how long the loop was kept from running (GIL contention with the fetching threads
included, which every mode pays). CPU is the whole process's (all threads).

    .venv/bin/python benchmarks/async_api.py
    .venv/bin/python benchmarks/async_api.py --urls 5000 --latency-ms 0 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latency_server import running_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from titlefetch import afetch_titles, fetch_titles  # noqa: E402
from titlefetch._results import TitleResult  # noqa: E402


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    cpu: float
    results: int
    ticks: int = 0
    gaps: tuple[float, ...] = ()  # seconds between ticks


BACKEND = ["thread"]  # set from --backend


def _settings(workers: int) -> dict[str, Any]:
    return {"backend": BACKEND[0], "workers": workers, "per_host": 2 * workers}


def run_sync(urls: list[str], workers: int) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in fetch_titles(urls, **_settings(workers)))
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, count)


async def consume_afetch(urls: list[str], workers: int) -> int:
    count = 0
    async with afetch_titles(urls, **_settings(workers)) as run:
        async for _ in run:
            count += 1
    return count


async def consume_to_thread(urls: list[str], workers: int) -> int:
    loop = asyncio.get_running_loop()
    count = 0
    with fetch_titles(urls, **_settings(workers)) as run:
        step: Callable[[], TitleResult | None] = functools.partial(next, run, None)
        while await loop.run_in_executor(None, step) is not None:
            count += 1
    return count


async def _ticked(consumer: Coroutine[Any, Any, int]) -> Sample:
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    wall, cpu = time.perf_counter(), time.process_time()
    count = await consumer
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ticker.cancel()
    return Sample(wall, cpu, count, len(gaps), tuple(gaps))


def run_async(
    consumer: Callable[[list[str], int], Coroutine[Any, Any, int]],
) -> Callable[..., Sample]:
    def run(urls: list[str], workers: int) -> Sample:
        return asyncio.run(_ticked(consumer(urls, workers)))

    return run


async def consume_whole_run_in_a_thread(urls: list[str], workers: int) -> int:
    def count() -> int:
        return sum(1 for _ in fetch_titles(urls, **_settings(workers)))

    return await asyncio.to_thread(count)


MODES: dict[str, Callable[[list[str], int], Sample]] = {
    "sync": run_sync,
    "idle_loop": run_async(consume_whole_run_in_a_thread),
    "afetch": run_async(consume_afetch),
    "to_thread": run_async(consume_to_thread),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000, help="distinct URLs per run")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="server delay per response")
    parser.add_argument("--backend", choices=["thread", "process"], default="thread")
    parser.add_argument("--workers", type=int, default=32, help="workers (--per-host: twice)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode, interleaved")
    args = parser.parse_args()
    BACKEND[0] = args.backend
    with running_server(pages=200, latency_ms=args.latency_ms) as base:
        urls = [f"{base}/p/{i % 200}?n={i}" for i in range(args.urls)]
        run_sync(urls[:200], args.workers)  # warm up: connections, imports
        samples: dict[str, list[Sample]] = {name: [] for name in MODES}
        for _ in range(args.repeat):
            for name, mode in MODES.items():
                samples[name].append(mode(urls, args.workers))
    report(samples, args)


def report(samples: dict[str, list[Sample]], args: argparse.Namespace) -> None:
    print(
        f"{args.urls} URLs, {args.backend} x {args.workers}, {args.latency_ms:g} ms latency, "
        f"{args.repeat} runs each: medians; loop gaps over every tick of every run"
    )
    print(
        f"{'mode':12} {'wall s':>7} {'URLs/s':>7} {'CPU s':>6} {'ms/URL':>6} "
        f"{'ticks':>6} {'gap p50':>7} {'p99':>6} {'max ms':>7}"
    )
    for name, runs in samples.items():
        assert all(run.results == args.urls for run in runs), f"{name} lost results"
        wall = statistics.median(run.wall for run in runs)
        cpu = statistics.median(run.cpu for run in runs)
        ticks = statistics.median(run.ticks for run in runs)
        gaps = sorted(gap for run in runs for gap in run.gaps) or [0.0]
        p50, p99 = (1000 * gaps[int(share * (len(gaps) - 1))] for share in (0.5, 0.99))
        print(
            f"{name:12} {wall:7.2f} {args.urls / wall:7.0f} {cpu:6.2f} "
            f"{1000 * cpu / args.urls:6.2f} {ticks:6.0f} {p50:7.1f} {p99:6.1f} "
            f"{1000 * gaps[-1]:7.1f}"
        )


if __name__ == "__main__":
    main()
