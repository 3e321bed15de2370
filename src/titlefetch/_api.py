"""The library API: fetch_titles() over any iterable of URLs. The CLI is a thin layer over it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from types import TracebackType
from typing import Any, Unpack

from titlefetch._options import ORDERS, PLAN, FetchOptions, Order, RunOptions, RunPlan
from titlefetch._results import TitleResult
from titlefetch.http import forget_strays, new_table
from titlefetch.run import (
    Check,
    ExecutorWork,
    Listeners,
    Schedule,
    Scheduler,
    UrlLine,
    as_lines,
    check_result,
    get_title,
    prepare_worker,
)
from titlefetch.run.executors import Backend, default_workers, make_executor, queue_depth

_FETCH_FIELDS = frozenset(field.name for field in dataclasses.fields(FetchOptions))


class TitleRun(Iterator[TitleResult]):
    """An iterator over the results of one run, which can also be stopped.

    Iterating to the end, or leaving a `with` block, shuts down the executor the run made
    (never one the caller passed in).

    Example:
        >>> with fetch_titles(["https://example.com/"]) as run:  # doctest: +SKIP
        ...     titles = {result.url: result.title for result in run}
    """

    def __init__(
        self,
        scheduler: Scheduler,
        owned_executor: Callable[[], Executor | None],
        *,
        renders: bool = False,
    ):
        self._scheduler = scheduler
        self._owned_executor = owned_executor
        self._renders = renders  # its fetches may start a browser in this process
        if renders:
            from titlefetch.render import hold_renderers  # only --render loads the renderer

            hold_renderers()  # another run's end must not close the browser this one uses

    def __next__(self) -> TitleResult:
        try:
            return next(self._scheduler)
        except StopIteration:
            self._shutdown(wait=True)
            raise

    def stop(self) -> None:
        """Finish gracefully: start nothing new; running fetches still yield their results.

        Safe to call from a signal handler.

        Example:
            >>> for result in (run := fetch_titles(urls)):  # doctest: +SKIP
            ...     if result.error is not None:
            ...         run.stop()  # like --fail-fast: what is running still arrives
        """
        self._scheduler.stop()

    @property
    def stopped(self) -> bool:
        """Whether stop() or close() was called.

        Example:
            >>> run.stop(); run.stopped  # doctest: +SKIP
            True
        """
        return self._scheduler.stopped

    def close(self) -> None:
        """Abandon the run: cancel what has not started and let running fetches finish.

        Example:
            >>> run = fetch_titles(urls)  # doctest: +SKIP
            >>> first = next(run)  # doctest: +SKIP
            >>> run.close()  # the rest is never fetched  # doctest: +SKIP
        """
        self._scheduler.close()
        self._shutdown(wait=True)

    def _shutdown(self, *, wait: bool) -> None:
        executor = self._owned_executor()
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
        if self._renders:
            from titlefetch.render import close_renderers

            self._renders = False  # once per run: the last run holding the browsers closes them
            close_renderers()

    def __enter__(self) -> TitleRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def fetch_titles(
    urls: Iterable[str | UrlLine],
    *,
    backend: str = PLAN.backend,
    scheduler_address: str | None = PLAN.scheduler_address,
    workers: int | None = PLAN.workers,
    order: Order = PLAN.order,
    executor: Executor | None = None,
    **options: Unpack[RunOptions],
) -> TitleRun:
    """Fetch the title of every URL concurrently; one TitleResult per URL, in `order`.

    `executor` may be any concurrent.futures.Executor the caller owns: it is used as it is and
    not shut down. Otherwise a `backend` pool ("thread", "process" or "dask": a Dask cluster
    at `scheduler_address`, or a local one) running `workers` fetches at once is made and shut
    down when the run ends (ClusterError when the cluster cannot be reached). `options` are
    FetchOptions fields (timeout, retries, ...) plus `processes` (worker processes of the
    process backend or a local cluster), `rate` (requests per second), `on_fetched` (a
    callback for each fetch as it ends), `before_waiting` (called each time the run is
    about to wait for a fetch: the moment to flush output written so far), `window` (lines
    read ahead at most), `answered` (URLs an earlier run printed, one per line printed: as
    many occurrences are skipped) and `expect_status` (the final statuses, after redirects,
    that count as success; default any 2xx). A UrlLine with `expect` set fails with
    `title_mismatch` unless its title matches that regex (re.search). Results come as they
    are ready; a failed URL is a result with `error` set, never an exception.

    Example:
        >>> for result in fetch_titles(["https://example.com/"], timeout=5):  # doctest: +SKIP
        ...     print(result.url, result.title, result.error)
    """
    return prepare_run(
        urls,
        backend=backend,
        scheduler_address=scheduler_address,
        workers=workers,
        order=order,
        executor=executor,
        **options,
    )()


def prepare_run(
    urls: Iterable[str | UrlLine],
    *,
    backend: str = PLAN.backend,
    scheduler_address: str | None = PLAN.scheduler_address,
    workers: int | None = PLAN.workers,
    order: Order = PLAN.order,
    executor: Executor | None = None,
    **options: Unpack[RunOptions],
) -> Callable[[], TitleRun]:
    """fetch_titles()'s arguments, checked and gathered into the call that starts the run, for
    a caller that starts it later or in another thread."""
    if order not in ORDERS:
        raise ValueError(f"order must be 'input' or 'completed', not {order!r}")
    on_fetched = options.pop("on_fetched", None)
    before_waiting = options.pop("before_waiting", None)
    answered: Iterable[str] = options.pop("answered", ())
    statuses = options.pop("expect_status", None)
    plan = RunPlan(
        backend=backend,
        scheduler_address=scheduler_address,
        workers=workers,
        order=order,
        rate=options.pop("rate", None),
        window=options.pop("window", None),
        processes=options.pop("processes", None),
        expect_status=frozenset(statuses) if statuses is not None else None,
    )
    return functools.partial(
        start_run,
        urls,
        _fetch_options(options),
        plan,
        executor=executor,
        on_fetched=on_fetched,
        before_waiting=before_waiting,
        answered=answered,
    )


def start_run(
    urls: Iterable[str | UrlLine],
    fetch: FetchOptions,
    plan: RunPlan,
    *,
    executor: Executor | None = None,
    on_fetched: Callable[[TitleResult], None] | None = None,
    before_waiting: Callable[[], None] | None = None,
    answered: Iterable[str] = (),
) -> TitleRun:
    """fetch_titles() with its options already gathered: how to fetch, and how to run."""
    size = plan.workers or default_workers(plan.backend)
    owned: list[Executor] = []
    forget_strays()  # origins that sent stray bytes are not reused for the rest of a run

    def new_executor() -> Executor:
        initializer = prepare_worker if plan.backend == "process" else None
        initargs = (fetch, new_table()) if initializer else ()  # a table of strays.py
        backend = Backend(
            plan.backend, size, plan.processes, fetch.per_host, plan.scheduler_address
        )
        owned[:] = [make_executor(backend, initializer=initializer, initargs=initargs)]
        return owned[0]

    # Each URL becomes one executor.submit(get_title, url, fetch).
    pool = ExecutorWork(
        executor if executor is not None else new_executor(),
        get_title,
        fetch,
        renew=None if executor else new_executor,
    )
    listeners = Listeners(
        on_fetched=on_fetched, before_waiting=before_waiting, check=_checker(plan.expect_status)
    )
    depth = queue_depth(pool.executor, rate=plan.rate)
    schedule = _schedule(plan, depth, size, fetch.per_host)
    scheduler = Scheduler(as_lines(urls), pool, schedule, listeners=listeners, answered=answered)
    renders = fetch.render != "never"
    return TitleRun(scheduler, lambda: owned[0] if owned else None, renders=renders)


def _checker(statuses: frozenset[int] | None) -> Check:
    def check(result: TitleResult, line: UrlLine) -> TitleResult:
        return check_result(result, line.expect, statuses)

    return check


def _fetch_options(options: Mapping[str, Any]) -> FetchOptions:
    unknown = set(options) - _FETCH_FIELDS
    if unknown:
        raise TypeError(f"unexpected options: {', '.join(sorted(unknown))}")
    fetch = FetchOptions(**options)
    if fetch.render != "never":  # BrowserUnavailable before anything is fetched
        from titlefetch.render import find_browser

        fetch = dataclasses.replace(fetch, browser=find_browser(fetch.browser))
    return fetch


def _schedule(plan: RunPlan, depth: tuple[int, int], workers: int, per_host: int) -> Schedule:
    # Calls kept submitted per fetch in flight and per --per-host slot: executors.queue_depth.
    in_flight = depth[0] * workers
    return Schedule(
        order=plan.order,
        in_flight=in_flight,
        # Lines read ahead: enough for a slow line not to hold back fetching (32 per fetch in
        # flight), and, for an executor that wants calls queued (a cluster's batches, whose
        # results come a batch at a time), several times those.
        window=plan.window or max(256, 32 * workers + 4 * (in_flight - workers)),
        per_host=depth[1] * per_host,
        rate=plan.rate,
    )
