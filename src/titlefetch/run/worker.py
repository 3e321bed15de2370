"""get_title(): the function every worker runs, one URL at a time, and its initializer."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time

from titlefetch.errors import FetchError
from titlefetch.html.titles import TitleReader, can_have_title, media_type
from titlefetch.http.fetch import FetchOptions, Page, RunHooks, client_for, fetch_page
from titlefetch.results import Failure, TitleResult


def get_title(url: str, options: FetchOptions, hooks: RunHooks | None = None) -> TitleResult:
    """Fetch `url` and find its title. Never raises for network or HTTP trouble.

    Runs in a worker (thread, process or cluster), so it takes and returns picklable values
    only and records where it ran instead of printing. `hooks` come only from a scheduler in
    the same process (a thread pool's): see fetch.RunHooks.
    """
    started = time.time()
    clock = time.perf_counter()
    try:
        reader = TitleReader()
        page = fetch_page(url, options, is_enough=reader.is_settled, hooks=hooks)
        fields = _describe(page, reader)
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


def _describe(page: Page, reader: TitleReader) -> dict[str, object]:
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
        title = reader.title(page.body, page.content_types)
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


def prepare_worker(options: FetchOptions) -> None:
    """Process-pool initializer: ignore Ctrl-C (the parent handles it) and build the HTTP
    client before the first URL arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    client_for(options)
