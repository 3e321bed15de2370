"""Pages whose title JavaScript sets, for the --render tests, and what Chromium shows for them
(recorded by chromium_recorder.py into js_pages_chromium.json: the browser is the oracle)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.page_server import Page, PageServer

HTML = (("Content-Type", "text/html; charset=utf-8"),)
SCRIPT = (("Content-Type", "text/javascript"),)
JSON = (("Content-Type", "application/json"),)


def _html(head: str, body: str = "") -> Page:
    return Page(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode())


# path -> page; the pages a test asks for by name, and what they load.
PAGES: dict[str, Page] = {
    "/inline": _html("<title></title>", "<script>document.title = 'Set inline'</script>"),
    "/bundle": _html('<script src="/static/app.js" defer></script>', "<div id=root></div>"),
    "/static/app.js": Page(b"document.title = 'Set by ' + 'the bundle';", headers=SCRIPT),
    "/fetched": _html(
        "<title></title>",
        "<script>fetch('/api/me').then(r => r.json())"
        ".then(me => { document.title = me.name + ' - Dashboard'; })</script>",
    ),
    "/api/me": Page(b'{"name": "Ada"}', headers=JSON, delay=0.3),
    "/routed": _html(
        "<title></title>",
        "<script>history.pushState({}, '', '/routed/inbox');"
        "const titles = {'/routed/inbox': 'Inbox (3)'};"
        "document.title = titles[location.pathname];</script>",
    ),
    "/placeholder": _html(
        "<title>Loading\u2026</title>",
        "<script>setTimeout(() => { document.title = 'Orders \u2013 Shop'; }, 200)</script>",
    ),
    "/never-sets": _html("<title>Kept as it is</title>", "<script>let n = 1 + 1;</script>"),
    "/untitled": _html("", "<script>let n = 1 + 1;</script>"),
    "/bare": _html("<title> </title>", "<p>No script at all"),
    "/titled": _html("<title>Static title</title>"),
    # Bounded by the tests, not recorded: a real browser would spin or leave.
    "/loops": _html("<title>Static before the loop</title>", "<script>while (true) {}</script>"),
    "/leaves": _html(
        "<title></title>",
        "<script>document.title = 'Stayed'; window.open('/popup');"
        "location.href = '/elsewhere';</script>",
    ),
    "/image.png": Page(b"\x89PNG", headers=(("Content-Type", "image/png"),)),
    "/with-image": _html(
        "<title></title>",
        "<img src='/image.png'><script>document.title = 'Has an image'</script>",
    ),
}
# The pages whose title the recorder asks Chromium for.
RECORDED = (
    "/inline",
    "/bundle",
    "/fetched",
    "/routed",
    "/placeholder",
    "/never-sets",
    "/untitled",
    "/titled",
    "/with-image",
)
TABLE = Path(__file__).with_name("js_pages_chromium.json")


def serve_pages(server: PageServer) -> None:
    """Add every page of PAGES to `server`."""
    for path, page in PAGES.items():
        server.add(path, page)


def chromium_titles() -> dict[str, str]:
    """path -> the document.title Chromium showed (JavaScript on), as recorded."""
    titles: dict[str, str] = json.loads(TABLE.read_text(encoding="utf-8"))["titles"]
    return titles
