"""Which browser renders pages, and how it is started: found before anything is fetched."""

from __future__ import annotations

import importlib.util
import os
import shutil

from titlefetch._errors import BrowserUnavailable

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
