"""The asyncio API: afetch_titles() inside running loops, against a real local server (issue 18).

Plain asyncio.run() in ordinary tests, as a user's program runs it: no plugin to install, a
fresh loop per test, and asyncio.run()'s own shutdown is part of what is tested.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import titlefetch
from titlefetch import AsyncTitleRun, TitleResult, afetch_titles, fetch_titles
from titlefetch._async_api import _Handoff

BACKENDS = ["thread", "process"]
WHERE_FIELDS = {"pid", "process", "thread", "worker", "elapsed_ms", "started"}
HELD_AT_MOST = 10.0  # seconds a held page waits for release, so that a failing test ends


class GatedSite:
    """`/page/N` answers at once with title "Page N"; `/held/N` ("Held N") answers only once
    release() is called. Counts the requests that arrived, per path."""

    def __init__(self) -> None:
        self.arrived: Counter[str] = Counter()
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self._server = _GatedServer(("127.0.0.1", 0), _handler_for(self))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def pages(self, count: int) -> list[str]:
        return [self.url(f"/page/{n}") for n in range(count)]

    def held(self, count: int) -> list[str]:
        return [self.url(f"/held/{n}") for n in range(count)]

    def arrivals(self, prefix: str = "/") -> int:
        with self._lock:
            return sum(n for path, n in self.arrived.items() if path.startswith(prefix))

    def record(self, path: str) -> None:
        with self._lock:
            self.arrived[path] += 1

    def release(self) -> None:
        self.gate.set()

    def __enter__(self) -> GatedSite:
        thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="gated-site", daemon=True
        )
        thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


class _GatedServer(ThreadingHTTPServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        # Named, so that the leftover-thread checks can tell the server's threads apart.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="gated-site-request",
            daemon=True,
        )
        thread.start()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are not errors here


def _handler_for(site: GatedSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            site.record(self.path)
            kind, _, number = self.path.strip("/").partition("/")
            if kind == "held":
                site.gate.wait(HELD_AT_MOST)
            status = 200 if kind in ("page", "held") else 404
            body = f"<title>{kind.title()} {number}</title>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[GatedSite]:
    with GatedSite() as running:
        yield running


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the loop run until `condition` holds (at most ~20 s, then fail)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def records(results: list[TitleResult]) -> list[dict[str, object]]:
    return [
        {name: value for name, value in vars_of(result).items() if name not in WHERE_FIELDS}
        for result in results
    ]


def vars_of(result: TitleResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in result.__dataclass_fields__}


def outcomes(results: list[TitleResult]) -> list[tuple[str | None, str | None]]:
    return [(result.title, result.error.kind if result.error else None) for result in results]


def warm_up(site: GatedSite) -> set[threading.Thread]:
    """The threads there are once a fetch has run in this process (the HTTP layer keeps one
    deadline watchdog per process), to compare with after a run."""
    list(fetch_titles(site.pages(1)))
    return set(threading.enumerate())


def new_threads(before: set[threading.Thread]) -> list[str]:
    return sorted(
        thread.name
        for thread in threading.enumerate()
        if thread not in before and not thread.name.startswith("gated-site")
    )


@pytest.mark.parametrize("order", ["input", "completed"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_results_equal_fetch_titles_for_the_same_list(site, refused_url, backend, order):
    urls = [*site.pages(2), site.url("/missing"), "nope", site.pages(1)[0], refused_url]
    settings: dict[str, Any] = {
        "backend": backend,
        "workers": 2,
        "order": order,
        "timeout": 5.0,
        "retries": 0,
    }
    expected = list(fetch_titles(urls, **settings))

    async def main() -> tuple[list[TitleResult], list[TitleResult]]:
        iterated = [result async for result in afetch_titles(urls, **settings)]
        collected = await afetch_titles(urls, **settings).collect()
        return iterated, collected

    iterated, collected = asyncio.run(main())
    if order == "completed":  # the order the fetches happen to end in differs from run to run
        expected, iterated, collected = (
            sorted(results, key=lambda r: r.line or 0)
            for results in (expected, iterated, collected)
        )
    assert records(iterated) == records(collected) == records(expected)
    assert outcomes(sorted(iterated, key=lambda r: r.line or 0)) == [
        ("Page 0", None),
        ("Page 1", None),
        ("Missing", "http_4xx"),  # an error page shows its own title (#17)
        (None, "invalid_url"),
        ("Page 0", None),
        (None, "refused"),
    ]


def test_failures_arrive_as_results_never_as_exceptions(site, refused_url):
    urls = ["nope", refused_url, site.url("/missing"), site.held(1)[0], site.pages(1)[0]]

    async def main() -> list[TitleResult]:
        return [result async for result in afetch_titles(urls, timeout=0.3, retries=0)]

    results = asyncio.run(main())
    assert outcomes(results) == [
        (None, "invalid_url"),
        (None, "refused"),
        ("Missing", "http_4xx"),  # an error page shows its own title (#17)
        (None, "timeout"),
        ("Page 0", None),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_loop_keeps_running_while_a_fetch_is_held(site, backend):
    # The held page answers only after another coroutine has ticked 20 times while the
    # fetch waits: a loop blocked by the run could not tick, and the fetch would time out.
    events: list[str] = []

    async def ticker() -> None:
        await until(lambda: site.arrivals("/held/") == 1, "the fetch reached the server")
        for _ in range(20):
            await asyncio.sleep(0.001)
        events.append("ticked 20 times")
        site.release()

    async def consumer() -> None:
        async for result in afetch_titles(site.held(1), backend=backend, workers=1, timeout=5):
            events.append(result.title or f"failed: {result.error}")

    async def main() -> None:
        await asyncio.gather(ticker(), consumer())

    asyncio.run(main())
    assert events == ["ticked 20 times", "Held 0"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelling_the_task_cancels_the_run_and_leaves_nothing_behind(site, backend):
    before = warm_up(site)
    urls = site.held(40)

    async def main() -> list[TitleResult]:
        run = afetch_titles(urls, backend=backend, workers=2, timeout=5)
        got: list[TitleResult] = []

        async def consume() -> None:
            async for result in run:
                got.append(result)

        task = asyncio.create_task(consume())
        await until(lambda: site.arrivals() >= 2, "two fetches reached the server")
        task.cancel()
        await until(lambda: run.stopped, "the cancelled task abandoned the run")
        site.release()  # the fetches already running may end now
        with pytest.raises(asyncio.CancelledError):
            await task
        # Checked as soon as the cancelled task is done, inside the loop.
        assert new_threads(before) == []
        assert multiprocessing.active_children() == []
        return got

    assert asyncio.run(main()) == []
    assert site.arrivals() < len(urls) // 2  # the rest were never fetched


@pytest.mark.parametrize("backend", BACKENDS)
def test_stop_lets_running_fetches_finish_and_starts_nothing_new(site, backend):
    urls = site.held(20)

    async def main() -> list[TitleResult]:
        run = afetch_titles(urls, backend=backend, workers=2, timeout=5)
        first = asyncio.ensure_future(run.__anext__())
        await until(lambda: site.arrivals() >= 2, "two fetches reached the server")
        run.stop()
        site.release()
        return [await first] + [result async for result in run]

    results = asyncio.run(main())
    assert all(result.title and result.title.startswith("Held ") for result in results)
    # Every fetch that started delivered its result, and no other fetch started.
    assert {result.url for result in results} == {site.url(path) for path in site.arrived}
    assert len(results) < len(urls) // 2


def test_leaving_async_with_closes_a_run_whose_buffer_is_full(site, monkeypatch):
    # The run's thread waits (or is about to wait) for room in a full buffer of 2 when the
    # consumer leaves the block: closing must free it, end the run and leave no thread behind.
    monkeypatch.setattr(titlefetch._async_api, "_BUFFER", 2)
    before = warm_up(site)

    async def main() -> TitleResult:
        async with afetch_titles(site.pages(30), workers=2) as run:
            first = await run.__anext__()
            handoff = run._handoff
            assert handoff is not None
            await until(lambda: len(handoff._results) == 2, "the buffer is full")
        assert new_threads(before) == []
        return first

    assert asyncio.run(main()).title == "Page 0"


def test_a_run_dropped_without_closing_is_abandoned(site):
    before = warm_up(site)
    urls = site.pages(1) + site.held(19)

    async def main() -> None:
        async for result in afetch_titles(urls, workers=2, timeout=5):
            assert result.title == "Page 0"
            break
        # Nothing refers to the run any more: its finalizer abandoned it. What was running
        # ends once the server answers; then the run's thread and pool are gone.
        await until(lambda: site.arrivals("/held/") >= 1, "a held fetch reached the server")
        site.release()
        await until(lambda: new_threads(before) == [], "the abandoned run's threads ended")

    asyncio.run(main())
    assert site.arrivals() < len(urls) // 2


def test_options_are_checked_when_called_and_nothing_starts():
    before = set(threading.enumerate())
    with pytest.raises(TypeError, match="^unexpected options: timeuot$"):
        afetch_titles(["http://127.0.0.1:9/"], timeuot=5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="order must be"):
        afetch_titles(["http://127.0.0.1:9/"], order="random")  # type: ignore[arg-type]
    assert set(threading.enumerate()) == before


def test_closing_before_iterating_starts_nothing(site):
    before = set(threading.enumerate())

    async def main() -> list[TitleResult]:
        run = afetch_titles(site.pages(3))
        await run.aclose()
        return [result async for result in run]

    assert asyncio.run(main()) == []
    assert site.arrivals() == 0
    assert set(threading.enumerate()) == before


def test_an_error_from_the_url_iterable_is_raised_where_results_are_awaited(site):
    before = warm_up(site)

    def lines() -> Iterator[str]:
        yield from site.pages(2)
        raise OSError("the list went away")

    seen_by_fetch_titles = []
    with pytest.raises(OSError, match="the list went away"), fetch_titles(lines()) as run:
        for result in run:
            seen_by_fetch_titles.append(result.title)

    async def main() -> list[str | None]:
        seen = []
        with pytest.raises(OSError, match="the list went away"):
            async for result in afetch_titles(lines(), workers=1):
                seen.append(result.title)
        assert new_threads(before) == []
        return seen

    assert asyncio.run(main()) == seen_by_fetch_titles


def test_a_full_buffer_holds_the_runs_thread_until_the_loop_takes_a_result():
    results = [TitleResult(url=f"http://a.test/{n}") for n in range(3)]

    async def main() -> None:
        handoff = _Handoff(asyncio.get_running_loop(), capacity=2)
        handed: list[bool] = []
        thread = threading.Thread(target=lambda: handed.extend(map(handoff.put, results)))
        thread.start()
        await until(lambda: len(handed) == 2, "two results handed over")
        thread.join(timeout=0.2)  # the third waits for room: it cannot return by itself
        assert thread.is_alive() and handed == [True, True]
        assert await handoff.get() is results[0]
        await until(lambda: len(handed) == 3, "the third result handed over")
        assert [await handoff.get(), await handoff.get()] == results[1:]
        handoff.end(None)
        assert await handoff.get() is None

    asyncio.run(main())


def test_abandoning_frees_a_thread_that_waits_for_room():
    async def main() -> list[bool]:
        handoff = _Handoff(asyncio.get_running_loop(), capacity=1)
        handed: list[bool] = []
        urls = ["http://a.test/1", "http://a.test/2"]
        thread = threading.Thread(
            target=lambda: handed.extend(handoff.put(TitleResult(url=url)) for url in urls)
        )
        thread.start()
        await until(lambda: len(handed) == 1, "one result handed over")
        handoff.abandon()
        await until(lambda: not thread.is_alive(), "the waiting put() returned")
        return handed

    assert asyncio.run(main()) == [True, False]


def test_the_package_exports_the_async_api_lazily():
    assert {"afetch_titles", "AsyncTitleRun"} <= set(titlefetch.__all__)
    assert titlefetch.afetch_titles is afetch_titles
    assert isinstance(afetch_titles([]), AsyncTitleRun)
