"""Record what Chromium shows for every behaviour of tests/hostile_server.py (issue 22).

    python -m tests.http.chromium_parity_recorder    # rewrites hostile_chromium.json

Not a test (CI has no Chromium): it makes the table that test_parity.py holds titlefetch to.
Needs Debian's `chromium` at /usr/bin/chromium and Playwright for Python (`pip install
playwright`; never `playwright install`: the browser is the system's). Each behaviour is loaded
in a fresh browser context (its own connections), JavaScript off, and recorded as what a user
sees: the title and HTTP status of the page, or Chromium's net error (ERR_...), or "timeout"
when the page never finished loading and showed no title.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.fault_server import FaultServer
from tests.hostile_server import serve_all
from tests.html.chromium_recorder import BROWSER_FLAGS

CHROMIUM = "/usr/bin/chromium"
TABLE = Path(__file__).with_name("hostile_chromium.json")
WAIT_MS = 6000  # a load that takes longer is recorded with what it showed by then
FLAGS = BROWSER_FLAGS  # Playwright adds --headless and its own pipe
_NET_ERROR = re.compile(r"net::(ERR_[A-Z_0-9]+)")


def shown(browser: Any, url: str) -> dict[str, Any]:
    """What Chromium shows for `url`: title and status, or its net error, or a timeout."""
    from playwright.sync_api import (  # type: ignore[import-not-found, unused-ignore]
        Error,
        TimeoutError,
    )

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.frame == page.main_frame else None,
    )
    row: dict[str, Any] = {"title": None, "status": None, "error": None}
    try:
        response = page.goto(url, wait_until="load", timeout=WAIT_MS)
        row["status"] = response.status if response is not None else None
    except TimeoutError:
        row["status"] = statuses[-1] if statuses else None
        row["error"] = "timeout"
    except Error as exc:
        found = _NET_ERROR.search(str(exc))
        row["error"] = found.group(1) if found else str(exc).splitlines()[0]
    if row["error"] in (None, "timeout") and row["status"] is not None:
        row["title"] = page.title() or None  # the document's title, as the tab shows it
        if row["error"] == "timeout" and row["title"] is not None:
            row["error"] = None  # the page showed its title while still loading
    context.close()
    return row


def record() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # type: ignore[import-not-found, unused-ignore]

    rows: dict[str, Any] = {}
    with FaultServer() as server, sync_playwright() as playwright:
        _, behaviours, _ = serve_all(server)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for url, behaviour in behaviours.items():
                rows[behaviour.name] = shown(browser, url)
                print(behaviour.name, rows[behaviour.name], flush=True)
        finally:
            browser.close()
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    return {
        "browser": version.strip(),
        "recorded": datetime.date.today().isoformat(),
        "javascript": False,
        "rows": rows,
    }


def main() -> None:
    table = record()
    TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
