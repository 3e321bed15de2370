"""The renderer of a process: one browser, started on the first page that needs it, driven
from a thread and event loop of its own that every fetch thread hands its pages to.

Playwright's objects belong to the loop that made them, so the fetch threads never touch
them: render_title() runs a page on the renderer's loop and waits for its title. At most
`workers` pages are open at once; the browser closes when the run ends (close_renderers), or
in a long-lived process (a Dask worker) after IDLE seconds without a page.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from titlefetch._errors import BrowserUnavailable, FetchError

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

IDLE = 30.0  # seconds without a page after which a process's browser is closed
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class PageRules:
    """What a page may do besides running its own script, from the run's FetchOptions."""

    headers: tuple[tuple[str, str], ...] = ()  # --header, sent as the static fetch sent them
    ignore_tls_errors: bool = False  # --insecure


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One page to render and its bounds: `wait` for a title to appear, `timeout` in all."""

    url: str
    wait: float
    timeout: float


class Renderer:
    """A browser at `path` on a loop thread of its own, rendering `workers` pages at once."""

    def __init__(self, path: str, workers: int) -> None:
        self._path = path
        self._loop = asyncio.new_event_loop()
        self._slots = asyncio.Semaphore(workers)
        self._starting = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._open = 0  # pages being rendered
        self._idle: asyncio.TimerHandle | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="titlefetch-render", daemon=True
        )
        self._thread.start()

    def render(self, job: RenderJob, rules: PageRules) -> str:
        """The page's title once settled (pages.render_page), from any thread.

        Raises:
            FetchError: render_timeout or render_failed.
        """
        return asyncio.run_coroutine_threadsafe(self._render(job, rules), self._loop).result()

    def close(self) -> None:
        """Close the browser and stop the loop thread."""
        if self._loop.is_closed():
            return
        stopping = asyncio.run_coroutine_threadsafe(self._stop_browser(), self._loop)
        with contextlib.suppress(TimeoutError):  # then the driver ends it as this process ends
            stopping.result(timeout=_STOP_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _render(self, job: RenderJob, rules: PageRules) -> str:
        async with self._slots:
            self._opened()
            try:
                return await self._render_page(job, rules)
            finally:
                self._closed()

    async def _render_page(self, job: RenderJob, rules: PageRules) -> str:
        from playwright.async_api import Error
        from playwright.async_api import TimeoutError as PageTimeout

        from titlefetch.render._pages import render_page

        try:
            browser = await self._browser_started()
        except Error as exc:
            message = f"{self._path} did not start: {_first_line(exc.message)} (see --browser)"
            raise FetchError("render_failed", message) from exc
        try:
            return await render_page(browser, job.url, rules, wait=job.wait, timeout=job.timeout)
        except (TimeoutError, PageTimeout) as exc:  # the loop's wait, or playwright's
            message = f"the page did not settle in the browser within {job.timeout:g}s"
            raise FetchError("render_timeout", message + " (raise --timeout)") from exc
        except Error as exc:
            raise FetchError("render_failed", _first_line(exc.message)) from exc

    async def _browser_started(self) -> Browser:
        async with self._starting:
            if self._browser is None or not self._browser.is_connected():
                from playwright.async_api import async_playwright

                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self._path,
                    args=list(LAUNCH_FLAGS),
                    chromium_sandbox=not needs_no_sandbox(),
                    # Ctrl-C is the run's to handle: renders under way finish first.
                    handle_sigint=False,
                    handle_sigterm=False,
                    handle_sighup=False,
                )
            return self._browser

    def _opened(self) -> None:
        self._open += 1
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _closed(self) -> None:
        self._open -= 1
        if self._open == 0:
            self._idle = self._loop.call_later(IDLE, self._close_when_idle)

    def _close_when_idle(self) -> None:
        self._idle = None
        if self._open == 0:
            self._loop.create_task(self._stop_browser())

    async def _stop_browser(self) -> None:
        async with self._starting:
            browser, self._browser = self._browser, None
            playwright, self._playwright = self._playwright, None
            if browser is not None:
                await browser.close()
            if playwright is not None:
                await playwright.stop()


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "the browser failed"


_renderers: dict[tuple[str, int], Renderer] = {}
_renderers_lock = threading.Lock()
_holders = 0  # runs of this process that may render (hold_renderers)


def _forget_after_fork() -> None:
    # A forked worker has the parent's records but not its loop thread or its browser.
    global _renderers_lock, _holders
    _renderers.clear()
    _holders = 0
    _renderers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def render_title(job: RenderJob, rules: PageRules, *, browser: str, workers: int) -> str:
    """Render `job` with this process's renderer for (`browser`, `workers`), made on first use.

    Raises:
        FetchError: render_timeout or render_failed; the caller keeps the static title.
    """
    key = (browser, workers)
    with _renderers_lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = _renderers[key] = Renderer(browser, workers)
    return renderer.render(job, rules)


def hold_renderers() -> None:
    """Count a run that may render in this process: its browsers stay open until the last
    such run calls close_renderers()."""
    global _holders
    with _renderers_lock:
        _holders += 1


def close_renderers() -> None:
    """A run that held the renderers ends: the last one closes this process's browsers (with
    none held, they close at once)."""
    global _holders
    with _renderers_lock:
        _holders = max(0, _holders - 1)
        if _holders:
            return
        renderers = list(_renderers.values())
        _renderers.clear()
    for renderer in renderers:
        renderer.close()


# Which browser renders pages, and how it is started: found before anything is fetched.

RENDER_INSTALL = "pip install 'titlefetch[render]'"
# Names Chromium and Chrome are installed under on Linux (Debian's `chromium` package first).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# What a title does not need, and what would let a page reach beyond its own tab.
LAUNCH_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    # A page's script may not grow its heap past this: one that tries stalls at the cap until
    # its deadline instead of taking the machine's memory.
    "--js-flags=--max-old-space-size=512",
    "--mute-audio",
    "--no-first-run",
)


def find_browser(path: str | None = None) -> str:
    """The Chromium to render with: `path` (--browser), or the first of BROWSER_NAMES on PATH.

    Raises:
        BrowserUnavailable: Playwright is not installed, or no such browser is found.
    """
    if importlib.util.find_spec("playwright") is None:  # looked up: importing it takes time
        raise BrowserUnavailable(f"--render needs the render extra: {RENDER_INSTALL}")
    if path is not None:
        found = shutil.which(path)
        if found is None:
            raise BrowserUnavailable(f"--browser {path}: no executable file there")
        return os.path.abspath(found)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BrowserUnavailable(
        "--render needs Chromium or Chrome: install it (Debian: apt-get install chromium) "
        "or name it with --browser PATH"
    )


def needs_no_sandbox() -> bool:
    """Whether Chromium's sandbox must be turned off: Chromium refuses to start with it as
    root. Everywhere else it stays on, as a page's script is untrusted code."""
    return hasattr(os, "geteuid") and os.geteuid() == 0
