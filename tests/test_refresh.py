"""--follow-refresh end to end (#18): the command, the Python API and the process backend
against real servers on 127.0.0.1, with requests counted at the server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading

import pytest
from click.testing import CliRunner, Result

from tests import fault_server as fs
from tests.fault_server import FaultServer
from tests.page_server import Page, PageServer, html_page
from tests.test_entry_point import TITLEFETCH
from titlefetch import afetch_titles, fetch_titles
from titlefetch.cli import main

FAST = ("--timeout", "2", "--retries", "0", "--connect-timeout", "1")


def refreshing(title: str, content: str) -> bytes:
    """A page with a title and, after it in <head>, a meta refresh saying `content`."""
    head = f'<title>{title}</title><meta http-equiv="refresh" content="{content}">'
    return f"<!doctype html><html><head>{head}</head><body>{title}</body></html>".encode()


def refresh_page(title: str, content: str) -> Page:
    return Page(refreshing(title, content))


@pytest.fixture
def chain(server: PageServer) -> str:
    """/start refreshes (relative) to /moved, a 301 to /later, which refreshes (absolute) to
    /landed: refresh -> HTTP redirect -> refresh -> page."""
    server.add("/start", refresh_page("Parked", "0; url=moved"))
    server.add("/moved", Page(status=301, headers=(("Location", "/later"),)))
    server.add("/later", refresh_page("Redirecting", f"3;URL='{server.url('/landed')}'"))
    server.add("/landed", html_page("Landed"))
    return server.url("/start")


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [*FAST, *args], env=env, catch_exceptions=False)


def records(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_chain_of_refreshes_and_a_redirect_lands_on_its_last_page(server, chain):
    result = cli("--follow-refresh", chain)
    assert result.exit_code == 0
    assert result.stdout == f"{chain}  Landed\n"
    assert result.stderr.startswith("titlefetch: 1 URL: 1 ok, 0 failed in ")
    assert [server.hits[p] for p in ("/start", "/moved", "/later", "/landed")] == [1, 1, 1, 1]


def test_jsonl_records_the_refreshes_apart_from_the_redirects(server, chain):
    result = cli("--follow-refresh", "-f", "jsonl", chain)
    [record] = records(result)
    assert (result.exit_code, result.stderr.count("\n")) == (0, 1)
    assert (record["title"], record["status"], record["error"]) == ("Landed", 200, None)
    assert (record["final_url"], record["redirects"], record["refreshes"]) == (
        server.url("/landed"),
        1,
        2,
    )


def test_refreshes_are_not_followed_by_default(server, chain):
    text, jsonl = cli(chain), cli("-f", "jsonl", chain)
    assert (text.exit_code, text.stdout) == (0, f"{chain}  Parked\n")
    [record] = records(jsonl)
    assert (record["final_url"], record["redirects"], record["refreshes"]) == (chain, 0, 0)
    assert "/moved" not in server.hits


def test_the_environment_turns_following_on(server, chain):
    result = cli(chain, env={"TITLEFETCH_FOLLOW_REFRESH": "1"})
    assert (result.exit_code, result.stdout) == (0, f"{chain}  Landed\n")


def test_a_refresh_loop_is_too_many_redirects_and_the_others_keep_their_titles(server):
    ping = server.add("/ping", refresh_page("Ping", "0; url=/pong"))
    server.add("/pong", refresh_page("Pong", "1; url=/ping"))
    healthy = server.add("/ok", html_page("Healthy"))
    result = cli("--follow-refresh", "--max-redirects", "4", "-f", "jsonl", ping, healthy)
    loop, fine = records(result)
    assert result.exit_code == 1
    assert loop["error"] == {
        "kind": "too_many_redirects",
        "message": "more than 4 redirects and meta refreshes (a loop?; raise --max-redirects)",
    }
    # how far it got: four refreshes followed; the fifth, from /ping (200), was one too many
    assert (loop["redirects"], loop["refreshes"], loop["status"]) == (0, 4, 200)
    assert loop["final_url"] == ping
    assert (server.hits["/ping"], server.hits["/pong"]) == (3, 2)
    assert (fine["title"], fine["error"]) == ("Healthy", None)


def test_a_refresh_with_a_long_delay_is_not_followed(server):
    url = server.add("/news", refresh_page("Front page", "300; url=/elsewhere"))
    result = cli("--follow-refresh", "-f", "jsonl", url)
    [record] = records(result)
    assert (record["title"], record["refreshes"], record["final_url"]) == ("Front page", 0, url)
    assert "/elsewhere" not in server.hits


def test_a_refresh_to_the_page_itself_keeps_its_title(server):
    url = server.add("/status", refresh_page("Status board", "2"))
    result = cli("--follow-refresh", url)
    assert (result.exit_code, result.stdout) == (0, f"{url}  Status board\n")
    assert server.hits["/status"] == 1


def test_a_refresh_to_ftp_is_a_bad_redirect(server):
    url = server.add("/ftp", refresh_page("Files", "0; url=ftp://127.0.0.1/pub"))
    result = cli("--follow-refresh", url)
    assert result.exit_code == 1
    assert result.stdout == (
        f"{url}  ! bad_redirect: meta refresh to 'ftp://127.0.0.1/pub', "
        "which is not an http(s) URL\n"
    )


def test_the_timeout_covers_the_whole_chain_of_refreshes():
    # Each page answers within 0.4 s, but three of them do not fit in --timeout 1.
    with FaultServer() as server:
        for n in range(3):
            body = refreshing(f"Hop {n}", f"0; url=/hop{n + 1}")
            server.add(f"/hop{n}", fs.delayed(fs.page(body), 0.4))
        server.add("/hop3", fs.title_page("Too late"))
        url = server.url("/hop0")
        result = CliRunner().invoke(
            main, ["--timeout", "1", "--retries", "0", "--follow-refresh", url]
        )
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{url}  ! timeout: ")
    assert "/hop3" not in server.hits


def test_a_refresh_to_another_host_gives_back_its_hosts_slot():
    # --per-host 1: the second URL of `server` can only start before the first one's chain
    # ends if the refresh to the other host gave back the first host's slot.
    plain_arrived = threading.Event()
    answers = []

    def held(exchange: fs.Exchange) -> bool:
        answers.append(plain_arrived.wait(5))  # until the other URL of the first host arrives
        return fs.title_page("Moved")(exchange)

    def plain(exchange: fs.Exchange) -> bool:
        plain_arrived.set()
        return fs.title_page("Plain")(exchange)

    with FaultServer() as first, FaultServer() as other:
        target = other.add("/held", held)
        moved = first.add("/moved", fs.page(refreshing("Wait", f"0; url={target}")))
        unmoved = first.add("/plain", plain)
        result = cli("--timeout", "10", "--per-host", "1", "--follow-refresh", moved, unmoved)
    assert answers == [True]
    assert result.stdout == f"{moved}  Moved\n{unmoved}  Plain\n"
    assert (first.max_in_flight, other.max_in_flight) == (1, 1)


def test_the_python_api_follows_refreshes_when_asked(server, chain):
    [off] = fetch_titles([chain], timeout=2)
    [on] = fetch_titles([chain], timeout=2, follow_refresh=True)
    assert (off.title, off.refreshes) == ("Parked", 0)
    assert (on.title, on.redirects, on.refreshes) == ("Landed", 1, 2)


def test_the_asyncio_api_follows_refreshes_when_asked(server, chain):
    async def titles() -> list[str | None]:
        results = await afetch_titles([chain], timeout=2, follow_refresh=True).collect()
        return [result.title for result in results]

    assert asyncio.run(titles()) == ["Landed"]


def test_process_workers_follow_refreshes(server, chain):
    done = subprocess.run(
        [
            TITLEFETCH,
            *FAST,
            "--backend",
            "process",
            "-w",
            "2",
            "--follow-refresh",
            "-f",
            "jsonl",
            chain,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["title"], record["redirects"], record["refreshes"]) == ("Landed", 1, 2)
    assert record["process"] != "MainProcess"  # fetched in a worker process
