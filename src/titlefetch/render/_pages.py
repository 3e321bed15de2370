"""One page in the browser: opened in a context of its own, fenced in, and read once its title
has settled. Imported with playwright, when a process starts its browser."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from playwright.async_api import Browser, Frame, Page, Request, Route
from playwright.async_api import Error as PlaywrightError

if TYPE_CHECKING:
    from titlefetch.render._renderer import PageRules

# Loaded for nothing a title needs: aborted before they are requested.
BLOCKED_TYPES = frozenset({"image", "media", "font"})
# The title is taken once it and the network have been quiet this long after the load event.
QUIET = 0.5
_POLL = 0.1
_CLOSE_TIMEOUT = 5.0  # a context that does not close by then is left to the browser's close


class _Watch:
    """What is going on in one page: its requests in flight, whether it loaded, whether its
    first document committed (after which it may not navigate away)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.in_flight = 0
        self.loaded = False
        self.committed = False
        self.parsed_at: float | None = None  # the loop's time at DOMContentLoaded
        self.has_script = False  # found once: script elements never make a page less scripted
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("load", self._loaded)
        page.on("domcontentloaded", self._parsed)
        page.on("framenavigated", self._navigated)

    def _started(self, request: Request) -> None:
        self.in_flight += 1

    def _ended(self, request: Request) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def _loaded(self, page: Page) -> None:
        self.loaded = True

    def _parsed(self, page: Page) -> None:
        self.parsed_at = asyncio.get_running_loop().time()

    def _navigated(self, frame: Frame) -> None:
        if frame is self.page.main_frame and frame.url != "about:blank":
            self.committed = True

    async def guard(self, route: Route, request: Request) -> None:
        """Let through what the page itself loads over http(s), and its own redirects;
        nothing else: once its document is in, a top-level navigation goes nowhere."""
        scheme = request.url.partition(":")[0].lower()
        if self.committed and _is_top_level_navigation(request):
            # net::ERR_ABORTED cancels a navigation and keeps the page as it is; another
            # error would show Chromium's error page, whose title is the host name. The page
            # fires no more load events then: as far as its title goes, it is done.
            self.loaded = True
            self.parsed_at = self.parsed_at or asyncio.get_running_loop().time()
            await route.abort("aborted")
        elif request.resource_type in BLOCKED_TYPES or scheme not in ("http", "https"):
            await route.abort("blockedbyclient")
        else:
            await route.continue_()


def _is_top_level_navigation(request: Request) -> bool:
    if not request.is_navigation_request():
        return False
    try:
        return request.frame.parent_frame is None
    except PlaywrightError:  # a popup's first navigation: its frame does not exist yet
        return True


async def render_page(
    browser: Browser, url: str, rules: PageRules, *, wait: float, timeout: float
) -> str:
    """Open `url` in a fresh context and return document.title once it has settled: the load
    event came, and the title and the network were quiet for QUIET seconds (with no title
    yet: and the page has no script that could set one, or `wait` seconds passed since the
    document was parsed). Raises TimeoutError when the page is not parsed, or stops answering,
    within `timeout` seconds, and playwright's Error when the browser fails it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    context = await browser.new_context(
        accept_downloads=False,
        extra_http_headers=dict(rules.headers),
        ignore_https_errors=rules.ignore_tls_errors,
        service_workers="block",  # a worker could outlive the page and load what it likes
    )
    try:
        page = await context.new_page()
        context.on("page", _close_popup)  # from now on, any other page is a popup
        watch = _Watch(page)
        await context.route("**/*", watch.guard)
        # Only until the response is in: a script may stop the parsing (a navigation that
        # goes nowhere, a dialog), and what the page shows by then is still its title.
        await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        return await _settled_title(watch, wait, deadline)
    finally:
        # A page busy in a loop forever closes too: its renderer process is ended.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(context.close(), _CLOSE_TIMEOUT)


async def _settled_title(watch: _Watch, wait: float, deadline: float) -> str:
    loop = asyncio.get_running_loop()
    last: str | None = None
    quiet_since = loop.time()
    while True:
        title = await asyncio.wait_for(watch.page.title(), deadline - loop.time())
        now = loop.time()
        if title != last or watch.in_flight or not watch.loaded:
            last, quiet_since = title, now
        parsed_at = watch.parsed_at
        if parsed_at is not None:
            if now >= parsed_at + wait:
                return title
            is_quiet = now - quiet_since >= QUIET
            if is_quiet and (title or not await _can_run_script(watch, deadline)):
                return title
        if now >= deadline:
            raise TimeoutError
        await asyncio.sleep(min(_POLL, max(0.0, deadline - now)))


# Whether anything in the page could still set a title: a script element, or an event
# handler attribute (onload=...). A page with neither is done once loaded and quiet.
_HAS_SCRIPT = (
    "() => document.scripts.length > 0 || document.evaluate("
    "\"boolean(//@*[starts-with(local-name(), 'on')])\", document, null, 3, null).booleanValue"
)


async def _can_run_script(watch: _Watch, deadline: float) -> bool:
    if not watch.has_script:
        remaining = deadline - asyncio.get_running_loop().time()
        watch.has_script = bool(await asyncio.wait_for(watch.page.evaluate(_HAS_SCRIPT), remaining))
    return watch.has_script


async def _close_popup(page: Page) -> None:
    with contextlib.suppress(PlaywrightError):  # it may be gone already
        await page.close()
