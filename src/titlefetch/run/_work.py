"""get_title(): the function every worker runs, one URL at a time, and its initializer."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from titlefetch._errors import BrowserUnavailable, FetchError
from titlefetch._options import FetchOptions
from titlefetch._results import Failure, TitleResult
from titlefetch.html import (
    PageTitle,
    TitleReader,
    can_have_title,
    followed_refresh,
    is_html_type,
    is_read_for_refresh,
    media_type,
)
from titlefetch.http import (
    BodyCheck,
    Page,
    RefreshCheck,
    RunHooks,
    StrayTable,
    client_for,
    fetch_first_reachable,
    share_strays,
)
from titlefetch.run._lines import urls_to_try


def get_title(url: str, options: FetchOptions, hooks: RunHooks | None = None) -> TitleResult:
    """Fetch `url` (an http(s) URL or a host line) and find its title. Never raises for
    network or HTTP trouble.

    Runs in a worker (thread, process or cluster), so it takes and returns picklable values
    only and records where it ran instead of printing. `hooks` come only from a scheduler in
    the same process (a thread pool's): see fetch.RunHooks.
    """
    started = time.time()
    clock = time.perf_counter()
    try:
        reader = TitleReader()
        is_enough, refresh = _reading(reader, options)
        urls = urls_to_try(url, options.scheme)  # a host line: https://…, then http://…
        page = fetch_first_reachable(
            urls, options, is_enough=is_enough, hooks=hooks, refresh=refresh
        )
        fields = _describe(page, reader)
        if _is_to_render(page, fields, options):
            fields.update(_rendered(page.final_url, fields, options))
    except FetchError as exc:  # with how far its redirect chain got, when it got anywhere
        fields = {"error": Failure(exc.kind, exc.message), "redirects": exc.redirects}
        fields.update(status=exc.status, final_url=exc.final_url, refreshes=exc.refreshes)
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


def _reading(reader: TitleReader, options: FetchOptions) -> tuple[BodyCheck, RefreshCheck | None]:
    """How much of a body to read, and which meta refreshes to follow (--follow-refresh)."""
    if not options.follow_refresh:
        return reader.is_settled, None
    return functools.partial(_is_read_for_title_and_refresh, reader), _refresh_to_follow


def _is_read_for_title_and_refresh(
    reader: TitleReader, body: bytes, content_types: Sequence[str]
) -> bool:
    # A refresh often comes after the title: reading goes on, a bounded way (html/_refresh.py).
    return is_read_for_refresh(body, content_types) and reader.is_settled(body, content_types)


def _refresh_to_follow(page: Page) -> str | None:
    """Where a page's meta refresh sends a browser, when titlefetch follows it. An error page
    keeps its error and its own title: a broken link that a 404 page refreshes away from is
    still broken."""
    if not 200 <= page.status < 300:
        return None
    return followed_refresh(page.body, page.content_types)


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
        "refreshes": page.refreshes,
        "bytes_read": len(page.body),
    }
    # An error page keeps its status failure, and its title says which page answered.
    failure = _status_failure(page.status)
    if not can_have_title(page.content_types):
        failure = failure or Failure("not_html", f"{fields['content_type']} has no title")
    else:
        found = reader.read(page.body, page.content_types)
        fields.update(encoding=found.encoding, encoding_source=found.encoding_source)
        fields["title"] = found.title
        failure = failure or _title_failure(found, page)
    fields["error"] = failure
    return fields


def _is_to_render(page: Page, fields: dict[str, object], options: FetchOptions) -> bool:
    """Whether --render sends this page to the browser: an HTML page with a 2xx status, and,
    unless every one is (always), only when it has no title without JavaScript (missing)."""
    if options.render == "never" or not 200 <= page.status < 300:
        return False
    if not is_html_type(media_type(page.content_types)):
        return False
    failure = fields["error"]
    if failure is None:
        return options.render == "always"
    return isinstance(failure, Failure) and failure.kind == "no_title"


def _rendered(url: str, fields: dict[str, object], options: FetchOptions) -> dict[str, object]:
    """The fields a page's rendering changes: its title is the browser's unless that is
    empty; a render that fails keeps the static title and reports why."""
    static = fields.get("title")
    clock = time.perf_counter()
    # Imported here: only --render needs the renderer (and asyncio), not a plain fetch's start.
    from titlefetch.render import PageRules, RenderJob, find_browser, render_title

    job = RenderJob(url, wait=options.render_wait, timeout=options.timeout)
    rules = PageRules(options.headers, ignore_tls_errors=not options.verify)
    changed: dict[str, object]
    try:
        browser = options.browser or find_browser()
        title = render_title(job, rules, browser=browser, workers=options.render_workers)
    except BrowserUnavailable as exc:  # fetch_titles() checks first; a direct call may not
        changed = {"error": Failure("render_failed", str(exc))}
    except FetchError as exc:
        changed = {"error": Failure(exc.kind, exc.message)}
    else:
        changed = {"rendered": True}
        if title:
            changed.update(title=title, error=None)
    render_ms = round((time.perf_counter() - clock) * 1000, 1)
    return {**changed, "static_title": static, "render_ms": render_ms}


def _title_failure(found: PageTitle, page: Page) -> Failure | None:
    if found.title:
        return None
    if not found.titled_kind:
        content_type = media_type(page.content_types)
        return Failure("not_html", f"{content_type} is neither XHTML nor SVG: it has no title")
    size = len(page.body)
    if found.gave_up:
        return Failure("too_large", f"gave up: the markup of {size} bytes costs too much to search")
    if found.is_blank:  # #23: not "no <title>", which sends one looking for a missing tag
        return Failure("no_title", "the page's <title> is empty")
    if page.truncated:
        return Failure("too_large", f"no title in the first {size} bytes")
    return Failure("no_title", "the page has no <title>")


def _status_failure(status: int) -> Failure | None:
    if 200 <= status < 300:
        return None
    kind = {4: "http_4xx", 5: "http_5xx"}.get(status // 100, "http_status")
    return Failure(kind, f"HTTP {status}")


def prepare_worker(options: FetchOptions, strays: StrayTable | None = None) -> None:
    """Process-pool initializer: ignore Ctrl-C (the parent handles it), share the run's
    table of origins whose connections are not reused, and build the HTTP client before the
    first URL arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    share_strays(strays)
    client_for(options)
