"""The get_title() worker, and fetch_all(): many URLs through one executor."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor

from titlefetch.errors import FetchError
from titlefetch.fetch import FetchOptions, Page, fetch_page, session_for
from titlefetch.results import Failure, TitleResult
from titlefetch.scheduler import Check, Schedule, Scheduler
from titlefetch.sources import UrlLine
from titlefetch.titles import can_have_title, extract_title, is_title_settled, media_type


def get_title(url: str, options: FetchOptions) -> TitleResult:
    """Fetch `url` and find its title. Never raises for network or HTTP trouble.

    Runs in a worker (thread, process or cluster), so it takes and returns picklable values
    only and records where it ran instead of printing.
    """
    started = time.time()
    clock = time.perf_counter()
    try:
        page = fetch_page(url, options, is_enough=is_title_settled)
        fields = _describe(page)
    except FetchError as exc:
        fields = {"error": Failure(exc.kind, exc.message)}
    return TitleResult(
        url=url,
        started=started,
        elapsed_ms=round((time.perf_counter() - clock) * 1000, 1),
        pid=os.getpid(),
        process=multiprocessing.current_process().name,
        thread=threading.current_thread().name,
        worker=_cluster_worker(),
        **fields,  # type: ignore[arg-type]
    )


def _cluster_worker() -> str | None:
    """The address of the Dask worker running this call, if it runs in one."""
    distributed = sys.modules.get("distributed")  # never imported by the other backends
    if distributed is None:
        return None
    try:
        return str(distributed.get_worker().address)
    except ValueError:  # distributed is loaded, but this is not one of its workers
        return None


def _describe(page: Page) -> dict[str, object]:
    fields: dict[str, object] = {
        "final_url": page.final_url,
        "status": page.status,
        "content_type": media_type(page.content_types) or None,
        "redirects": page.redirects,
        "bytes_read": len(page.body),
    }
    failure = _status_failure(page.status)
    if failure is None and not can_have_title(page.content_types):
        failure = Failure("not_html", f"{fields['content_type']} has no title")
    if failure is None:
        title = extract_title(page.body, page.content_types)
        if title:
            fields["title"] = title
        elif page.truncated:
            failure = Failure("too_large", f"no title in the first {len(page.body)} bytes")
        else:
            failure = Failure("no_title", "the page has no <title>")
    fields["error"] = failure
    return fields


def _status_failure(status: int) -> Failure | None:
    if 200 <= status < 300:
        return None
    kind = {4: "http_4xx", 5: "http_5xx"}.get(status // 100, "http_status")
    return Failure(kind, f"HTTP {status}")


def fetch_all(
    lines: Iterable[UrlLine],
    executor: Executor,
    options: FetchOptions,
    schedule: Schedule,
    *,
    renew_executor: Callable[[], Executor] | None = None,
    on_fetched: Callable[[TitleResult], None] | None = None,
    answered: Iterable[str] = (),
    check: Check | None = None,
) -> Scheduler:
    """Results for every input line, as an iterator, in `schedule.order`.

    Each URL is one `executor.submit(get_title, url, options)`. The returned Scheduler is the
    iterator; its stop() ends the run gracefully (no new submissions, finished ones flushed).
    `renew_executor` builds a replacement when a worker crash breaks the pool;
    `on_fetched(result)` is called in this thread once per fetch, as it finishes.
    `answered` lists URLs an earlier run printed (once per line): as many of their
    occurrences are skipped. `check(result, line)` may turn each line's result into a
    failure (smoke expectations).
    """
    return Scheduler(
        lines,
        executor,
        get_title,
        options,
        schedule,
        renew_executor=renew_executor,
        on_fetched=on_fetched,
        answered=answered,
        check=check,
    )


def prepare_worker(options: FetchOptions) -> None:
    """Process-pool initializer: ignore Ctrl-C (the parent handles it) and build the session."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    session_for(options)
