"""Record what Chromium shows, JavaScript on, for the pages of js_pages.py.

    python -m tests.render.chromium_recorder      # rewrites js_pages_chromium.json

Not a test: it makes test data, with no titlefetch code in the loop (plain Playwright, a
default context, the page loaded and then left alone for two seconds), so the table says what
a browser shows, not what titlefetch's rendering does. Needs `chromium` on PATH.
"""

from __future__ import annotations

import json
import shutil

from playwright.sync_api import sync_playwright

from tests.page_server import PageServer
from tests.render.js_pages import RECORDED, TABLE, serve_pages


def main() -> None:
    with PageServer() as server, sync_playwright() as playwright:
        serve_pages(server)
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        titles = {}
        for path in RECORDED:
            page = browser.new_context().new_page()
            page.goto(server.url(path), wait_until="load")
            page.wait_for_timeout(2000)
            titles[path] = page.title()
            page.context.close()
        record = {"browser": f"Chromium {browser.version}", "titles": titles}
        browser.close()
    TABLE.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
