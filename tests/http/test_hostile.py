"""Results a user can trust from any server (issue 14), end to end: a few runs of the CLI over
one list that mixes every behaviour of tests/hostile_server.py with healthy pages on the same
host and port. Each behaviour must give its result (a title or an error kind), and each
healthy page exactly its own title, whatever the workers, the order and the backend.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import fault_server as fs
from tests.fault_server import FaultServer
from tests.hostile_server import (
    healthy_title,
    serve_all,
    serve_closing_on_reuse,
    serve_idle_stray,
    serve_strays,
)
from tests.test_entry_point import TITLEFETCH
from titlefetch.cli import main

# Short limits keep the stalls and bombs cheap: a run costs seconds.
LIMITS = ("--timeout", "1", "--connect-timeout", "1", "--retries", "0", "--max-bytes", "262144")
RUNS = {
    "one-at-a-time": ("--workers", "1", "--per-host", "1", "--order", "input"),
    "64-completed": ("--workers", "64", "--order", "completed"),
    "64-input": ("--workers", "64", "--per-host", "64", "--order", "input"),
    "process": ("--backend", "process", "--workers", "4", "--order", "completed"),
}


@pytest.fixture
def hostile() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def run(
    options: tuple[str, ...], urls: list[str], tmp_path: Path
) -> tuple[int, list[dict[str, Any]]]:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    args = ["--format", "jsonl", "--quiet", *LIMITS, *options, str(listing)]
    if "process" in options:  # a child process: forking this threaded one is not safe
        done = subprocess.run([TITLEFETCH, *args], capture_output=True, text=True, timeout=120)
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def outcome(record: dict[str, Any]) -> tuple[str, str | None]:
    if record["error"] is not None:
        return ("kind", record["error"]["kind"])
    return ("title", record["title"])


@pytest.mark.parametrize("name", list(RUNS))
def test_every_behaviour_gets_its_result_and_healthy_pages_their_own_titles(
    hostile, tmp_path, name
):
    urls, behaviours, titles = serve_all(hostile)
    exit_code, records = run(RUNS[name], urls, tmp_path)
    assert exit_code == 1
    assert sorted(record["url"] for record in records) == sorted(urls)
    results = {record["url"]: record for record in records}
    wrong_healthy = {
        url: outcome(results[url])
        for url, title in titles.items()
        if outcome(results[url]) != ("title", title)
    }
    assert wrong_healthy == {}
    wrong = {}
    for url, behaviour in behaviours.items():
        expected = ("title", behaviour.title) if behaviour.title else ("kind", behaviour.kind)
        if outcome(results[url]) != expected:
            wrong[behaviour.name] = (outcome(results[url]), expected)
    assert wrong == {}


def test_a_response_sent_while_a_connection_is_idle_never_answers_the_next_url(hostile, tmp_path):
    """Issue 14: the stray response arrives while the connection waits in the pool; the URL
    sent next to that host must get its own answer, on a fresh connection."""
    with FaultServer() as gate:
        urls, titles = serve_idle_stray(hostile, gate)
        exit_code, records = run(RUNS["one-at-a-time"], urls, tmp_path)
    assert {record["url"]: record["title"] for record in records} == titles
    assert exit_code == 0
    assert hostile.connections == 2


def test_the_catalog_has_over_120_behaviours_of_every_family(hostile):
    _, behaviours, titles = serve_all(hostile)
    names = {behaviour.name for behaviour in behaviours.values()}
    assert len(names) == len(behaviours) >= 120
    assert len(titles) == len(behaviours)
    for family in (
        *("chunk", "gzip", "103", "redirect", "after-body", "stall", "endless", "head"),
        *("length-", "status-", "location-", "101"),
    ):
        assert any(family in name for name in names), family


@pytest.mark.parametrize("name", ["one-at-a-time", "64-completed", "process"])
def test_a_reused_connection_closed_as_the_request_arrives_costs_no_retry(hostile, tmp_path, name):
    """Issue 22: a server closes each kept-alive connection just as the next request arrives
    on it. The request is sent once more on a new connection, outside --retries (0 here)."""
    urls, counts = serve_closing_on_reuse(hostile, 60)
    exit_code, records = run(RUNS[name], urls, tmp_path)
    titles = {record["url"]: record["title"] for record in records}
    assert titles == {url: healthy_title(n) for n, url in enumerate(urls)}
    assert exit_code == 0
    assert counts["answered"] == len(urls)
    if name == "one-at-a-time":  # one connection at a time: every later request reuses it
        assert counts["closed"] == len(urls) - 1


@pytest.mark.parametrize("backend", ["thread", "process"])
@pytest.mark.parametrize("workers", ["1", "64"])
def test_after_a_stray_response_no_connection_to_its_host_is_reused(tmp_path, backend, workers):
    """Issue 22: once a host:port sent bytes past a response's end, every later request to
    it goes on a new connection, in every worker process (counted at the server). One request
    to it at a time (--per-host 1), beside pages of another host that keep reusing theirs."""
    with FaultServer() as strays, FaultServer() as other:
        urls, reused = serve_strays(strays, 40)
        others = [other.add(f"/{n}", fs.title_page(f"Other {n}")) for n in range(40)]
        listing = [urls[0]] + [url for pair in zip(urls[1:], others, strict=True) for url in pair]
        options = ("--backend", backend, "--workers", workers, "--per-host", "1")
        exit_code, records = run(options, listing, tmp_path)
    titles = {record["url"]: record["title"] for record in records}
    assert titles[urls[0]] == "Before the stray"
    assert [titles[url] for url in urls[1:]] == [healthy_title(n) for n in range(40)]
    assert exit_code == 0
    assert reused == [False] * 40
    assert other.connections < 40  # kept alive and reused, as ever
