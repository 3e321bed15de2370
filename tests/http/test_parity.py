"""HTTP as a browser reads it (issue 22): titlefetch against what Chromium showed for every
behaviour of tests/hostile_server.py, recorded once in hostile_chromium.json by
chromium_parity_recorder.py. Where Chromium shows a title, titlefetch gives the same one;
where it shows a page without one, no title; the same status as the page Chromium shows;
and where Chromium fails (a net error, or a load that never ends), a documented error kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fault_server import FaultServer
from tests.hostile_server import serve_all
from tests.http.test_hostile import RUNS, run

TABLE = json.loads(Path(__file__).with_name("hostile_chromium.json").read_text())
# Rows where titlefetch chooses to differ from Chromium, and why (docs/http.md says so too).
DIFFERS = {
    "gzip-empty-members-first": "every gzip member is decoded; Chromium stops after the first",
    "title-after-the-cap": "--max-bytes: titlefetch reads no more of a body than that",
    "compress": "Content-Encoding: compress is named as unsupported, not read as identity",
}
if "br-unasked" in TABLE["rows"]:  # without brotli or zstd here, titlefetch names the coding
    from titlefetch.http._codings import decoders_here

    for coding in ("br", "zstd"):
        if coding not in decoders_here():
            DIFFERS[f"{coding}-unasked"] = f"no {coding} decoder installed here"


def agrees(shown: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether titlefetch's result `record` is what Chromium `shown`."""
    error = record["error"]
    if error is not None and error["kind"] == "internal":
        return False
    if shown["error"] is not None:  # a net error, a timeout or a download: no page
        return record["title"] is None and error is not None
    if shown["status"] != record["status"]:
        return False
    return (record["title"] or None) == shown["title"]


def parity(records: list[dict[str, Any]], names: dict[str, str]) -> dict[str, bool]:
    """Each behaviour's name -> whether titlefetch agrees with Chromium on it."""
    rows = TABLE["rows"]
    return {names[r["url"]]: agrees(rows[names[r["url"]]], r) for r in records if r["url"] in names}


def test_the_table_covers_every_behaviour_and_names_its_browser():
    with FaultServer() as server:
        _, behaviours, _ = serve_all(server)
    assert {b.name for b in behaviours.values()} == set(TABLE["rows"])
    assert len(TABLE["rows"]) >= 120
    assert TABLE["browser"].startswith("Chromium ") and TABLE["javascript"] is False


@pytest.mark.parametrize("name", ["64-completed", "process"])
def test_titlefetch_shows_what_chromium_shows_except_where_it_says_why(tmp_path, name):
    with FaultServer() as server:
        urls, behaviours, titles = serve_all(server)
        _, records = run(RUNS[name], urls, tmp_path)
    names = {url: behaviour.name for url, behaviour in behaviours.items()}
    agreed = parity(records, names)
    assert len(agreed) == len(behaviours)
    disagree = {row for row, ok in agreed.items() if not ok}
    assert disagree == set(DIFFERS)
    healthy = {r["url"]: r["title"] for r in records if r["url"] in titles}
    assert healthy == titles
