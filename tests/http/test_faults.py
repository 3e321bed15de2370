"""End to end against misbehaving servers (issue 4): each fault gets its error kind, and the
healthy URLs of the same run still get their titles. (tests/http/test_hostile.py mixes many
more behaviours into a few runs.) No test here times anything: the deadline's own tests use a
clock they control."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import pytest
import trustme
from click.testing import CliRunner

from tests import fault_server as fs
from tests.fault_server import FaultServer
from tests.test_entry_point import TITLEFETCH
from titlefetch._options import DEFAULT_MAX_REDIRECTS
from titlefetch.cli import main

TIMEOUT, RETRIES = 1.0, 1
FAST = ("--timeout", f"{TIMEOUT:g}", "--retries", str(RETRIES), "--connect-timeout", "1")


@dataclass
class Run:
    exit_code: int
    stderr: str
    records: dict[str, dict[str, Any]]

    def kind(self, url: str) -> str | None:
        error = self.records[url]["error"]
        return error["kind"] if error else None

    def title(self, url: str) -> str | None:
        title: str | None = self.records[url]["title"]
        return title


def run(*args: str) -> Run:
    """The CLI in this process; with --backend process, the installed command in a child
    (forking this multi-threaded test process is what Python 3.12+ warns about)."""
    if "process" in args:
        done = subprocess.run(
            [TITLEFETCH, "--format", "jsonl", *args], capture_output=True, text=True, timeout=60
        )
        exit_code, stdout, stderr = done.returncode, done.stdout, done.stderr
    else:
        result = CliRunner().invoke(main, ["--format", "jsonl", *args], catch_exceptions=False)
        exit_code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    records = {}
    for line in stdout.splitlines():
        record = json.loads(line)
        records[record["url"]] = record
    return Run(exit_code, stderr, records)


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def healthy() -> Iterator[list[str]]:
    """Two good pages on a server of their own: they must get their titles in every run."""
    with FaultServer() as server:
        yield [server.add(f"/ok{n}", fs.title_page(f"Healthy {n}")) for n in (1, 2)]


def assert_healthy(outcome: Run, urls: list[str]) -> None:
    assert [outcome.title(url) for url in urls] == ["Healthy 1", "Healthy 2"]


def run_fault(url: str, healthy: list[str], *options: str) -> Run:
    outcome = run(*FAST, *options, url, *healthy)
    assert_healthy(outcome, healthy)
    assert outcome.exit_code == 1
    return outcome


# -- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_trickling_server_times_out_on_the_total_deadline(faults, healthy, backend):
    url = faults.add("/trickle", fs.trickle)
    outcome = run_fault(url, healthy, "--backend", backend)
    assert outcome.kind(url) == "timeout"
    assert "--timeout" in outcome.records[url]["error"]["message"]
    assert faults.hits["/trickle"] == RETRIES + 1  # a timeout is retried, with a fresh deadline


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_server_that_accepts_and_never_answers_times_out(faults, healthy, backend):
    url = faults.add("/silent", fs.never_answer)
    outcome = run_fault(url, healthy, "--backend", backend)
    assert outcome.kind(url) == "timeout"


def test_tls_handshake_that_never_completes_times_out_not_tls(faults, healthy):
    # The server reads the ClientHello as the start of an HTTP request and waits for its end.
    url = f"https://127.0.0.1:{faults.port}/"
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "timeout"


def test_deadline_covers_every_redirect_hop_together(faults, healthy):
    # Each hop answers within 0.4 s, but three of them do not fit in --timeout 1.
    faults.add("/hop0", fs.in_turn(_delayed(fs.redirect("/hop1"), 0.4)))
    faults.add("/hop1", _delayed(fs.redirect("/hop2"), 0.4))
    faults.add("/hop2", _delayed(fs.redirect("/hop3"), 0.4))
    faults.add("/hop3", fs.title_page("Too late"))
    url = faults.url("/hop0")
    outcome = run_fault(url, healthy, "--retries", "0")
    assert outcome.kind(url) == "timeout"


def _delayed(handler: fs.Handler, seconds: float) -> fs.Handler:
    def handle(exchange: fs.Exchange) -> bool:
        time.sleep(seconds)
        return handler(exchange)

    return handle


# -- broken connections and responses ---------------------------------------------------


def test_reset_in_the_middle_of_the_body_is_reset(faults, healthy):
    url = faults.add("/reset", fs.reset_mid_body)
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "reset"


def test_port_with_nothing_listening_is_refused(healthy):
    url = f"http://127.0.0.1:{fs.closed_port()}/"
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "refused"


def test_redirect_to_a_dead_port_names_that_port(faults, healthy):
    dead = f"127.0.0.1:{fs.closed_port()}"
    url = faults.add("/to-dead", fs.redirect(f"http://{dead}/"))
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "refused"
    assert dead in outcome.records[url]["error"]["message"]


def test_unresolvable_name_is_dns(healthy):
    url = "http://something.invalid/"
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "dns"
    assert "something.invalid" in outcome.records[url]["error"]["message"]


def test_300_kb_of_headers_is_too_large_and_not_retried(faults, healthy):
    url = faults.add("/headers", fs.huge_headers)
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "too_large"
    assert faults.hits["/headers"] == 1


def test_http_1_0_without_content_length_reads_to_the_close(faults, healthy):
    url = faults.add("/old", fs.http10_no_length("Old but fine"))
    outcome = run(*FAST, url, *healthy)
    assert_healthy(outcome, healthy)
    assert (outcome.exit_code, outcome.title(url)) == (0, "Old but fine")


# -- redirects ---------------------------------------------------------------------------


def test_redirect_loop_is_too_many_redirects_and_keeps_its_facts(faults, healthy):
    url = faults.add("/loop", fs.redirect("/loop"))
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "too_many_redirects"
    # the first request and DEFAULT_MAX_REDIRECTS redirects (as browsers: 20), then it stops
    assert faults.hits["/loop"] == DEFAULT_MAX_REDIRECTS + 1 == 21
    record = outcome.records[url]
    assert (record["redirects"], record["status"], record["final_url"]) == (20, 302, url)


def _chain(faults: FaultServer, length: int) -> str:
    for n in range(length):
        faults.add(f"/chain{n}", fs.redirect(f"/chain{n + 1}"))
    faults.add(f"/chain{length}", fs.title_page("End of chain"))
    return faults.url("/chain0")


def test_chain_of_21_redirects_is_too_many_by_default(faults, healthy):
    url = _chain(faults, 21)
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "too_many_redirects"
    assert (faults.hits["/chain20"], faults.hits["/chain21"]) == (1, 0)
    record = outcome.records[url]
    assert (record["redirects"], record["final_url"]) == (20, faults.url("/chain20"))


def test_chain_of_3_redirects_is_followed_with_max_redirects_3_not_2(faults, healthy):
    url = _chain(faults, 3)
    outcome = run(*FAST, "--max-redirects", "3", url, *healthy)
    record = outcome.records[url]
    assert (record["title"], record["redirects"]) == ("End of chain", 3)
    assert record["final_url"] == faults.url("/chain3")
    outcome = run(*FAST, "--max-redirects", "2", url, *healthy)
    assert outcome.kind(url) == "too_many_redirects"


def test_redirect_to_ftp_is_bad_redirect_and_not_followed(faults, healthy):
    url = faults.add("/ftp", fs.redirect(f"ftp://127.0.0.1:{faults.port}/file"))
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "bad_redirect"
    assert "ftp://" in outcome.records[url]["error"]["message"]
    record = outcome.records[url]
    assert (record["redirects"], record["status"], record["final_url"]) == (0, 302, url)


def test_redirect_with_an_endless_body_is_followed_without_reading_it(faults, healthy):
    url = faults.add("/moved", fs.redirect_with_endless_body("/here"))
    faults.add("/here", fs.title_page("Moved here"))
    outcome = run(*FAST, url, *healthy)
    assert_healthy(outcome, healthy)
    # Waiting for the end of the body would have ended in a timeout.
    assert (outcome.title(url), outcome.records[url]["redirects"]) == ("Moved here", 1)


# -- retries -----------------------------------------------------------------------------


def test_429_with_retry_after_is_retried(faults, healthy):
    # How long it waits is tested with a sleep the test controls (test_transport.py).
    limited = fs.page(b"", "429 Too Many Requests", "Retry-After: 0")
    url = faults.add("/limited", fs.in_turn(limited, fs.title_page("Patience")))
    outcome = run(*FAST, url, *healthy)
    assert_healthy(outcome, healthy)
    assert outcome.title(url) == "Patience"
    assert faults.hits["/limited"] == 2


def test_retry_after_beyond_the_ceiling_is_not_waited_for(faults, healthy):
    url = faults.add("/later", fs.page(b"", "503 Service Unavailable", "Retry-After: 3600"))
    outcome = run_fault(url, healthy)
    assert (outcome.kind(url), outcome.records[url]["status"]) == ("http_5xx", 503)
    assert faults.hits["/later"] == 1


def test_503_twice_then_200_gets_the_title_with_2_retries(faults, healthy):
    unavailable = fs.page(b"", "503 Service Unavailable")
    url = faults.add("/flaky", fs.in_turn(unavailable, unavailable, fs.title_page("Third time")))
    outcome = run(*FAST, "--retries", "2", url, *healthy)
    assert_healthy(outcome, healthy)
    assert (outcome.exit_code, outcome.title(url)) == (0, "Third time")
    assert faults.hits["/flaky"] == 3


def test_500_always_is_http_5xx_without_retry(faults, healthy):
    url = faults.add("/broken", fs.page(b"<title>Oops</title>", "500 Internal Server Error"))
    outcome = run_fault(url, healthy)
    assert (outcome.kind(url), outcome.records[url]["status"]) == ("http_5xx", 500)
    assert faults.hits["/broken"] == 1


# -- sizes -------------------------------------------------------------------------------


def test_endless_chunked_body_ends_at_the_cap_as_too_large(faults, healthy):
    url = faults.add("/endless", fs.endless_chunked)
    outcome = run_fault(url, healthy, "--max-bytes", "65536")
    assert outcome.kind(url) == "too_large"
    assert outcome.records[url]["bytes_read"] == 65536


def test_title_in_first_4_kb_of_50_mb_is_answered_after_under_64_kb_sent(faults, healthy):
    """Issue 3: read no more than needed, counted by the server."""
    url = faults.add("/huge", fs.big_page("Found early", 50 * 1024 * 1024))
    outcome = run(*FAST, url, *healthy)
    assert outcome.title(url) == "Found early"
    faults.wait_done("/huge")  # the server counts until a send fails: the client is gone
    assert 4096 <= faults.sent["/huge"] < 64 * 1024


def _watch_peak_rss(pid: int, peaks: list[int]) -> None:
    """Append the process's peak RSS (VmHWM, in KiB) every 10 ms, until it is gone."""
    while True:
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            return
        if "VmHWM" not in fields:  # a zombie: exited, not yet reaped
            return
        peaks.append(int(fields["VmHWM"].split()[0]))
        time.sleep(0.01)


def test_gzip_bomb_ends_at_the_cap_in_little_memory(faults, healthy):
    url = faults.add("/bomb", fs.gzip_bomb)
    with subprocess.Popen(
        [TITLEFETCH, "--format", "jsonl", *FAST, url, *healthy],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as child:
        assert child.stdout is not None
        peaks: list[int] = []
        watcher = threading.Thread(target=_watch_peak_rss, args=(child.pid, peaks))
        watcher.start()
        output = child.stdout.read()
        child.wait()
        watcher.join()
    records = {r["url"]: r for r in map(json.loads, output.splitlines())}
    assert records[url]["error"]["kind"] == "too_large"
    assert records[url]["bytes_read"] == 4 * 1024 * 1024  # the default --max-bytes
    assert [records[u]["title"] for u in healthy] == ["Healthy 1", "Healthy 2"]
    # Not wait4's ru_maxrss: Linux carries the parent's peak over fork and exec into it, and
    # the parent here is the whole pytest process.
    max_rss_mb = max(peaks) / 1024
    assert max_rss_mb < 100, f"{max_rss_mb:.0f} MB"  # 49 MB measured, 36 MB idle


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_pages_are_decoded(faults, encoding):
    url = faults.add("/page", fs.encoded(f"Packed {encoding}", encoding))
    outcome = run(*FAST, url)
    assert (outcome.exit_code, outcome.title(url)) == (0, f"Packed {encoding}")


def test_last_of_several_content_type_headers_wins(faults):
    handler = fs.page(fs.html("Typed"), "200 OK", "Content-Type: image/png", content_type="x/y")
    url = faults.add("/typed", handler)
    outcome = run(*FAST, url)
    assert (outcome.kind(url), outcome.records[url]["content_type"]) == ("not_html", "image/png")


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_site(authority) -> Iterator[FaultServer]:
    with FaultServer(tls=fs.server_tls(authority, "localhost", "127.0.0.1")) as server:
        server.add("/", fs.title_page("Secret"))
        yield server


def test_self_signed_certificate_is_tls_error(tls_site, healthy):
    url = tls_site.url("/")
    outcome = run_fault(url, healthy)
    assert outcome.kind(url) == "tls"
    assert "--insecure" in outcome.records[url]["error"]["message"]


def test_insecure_fetches_self_signed_without_a_warning(tls_site, healthy, monkeypatch):
    # requests would let this variable override the session's verify=False
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    url = tls_site.url("/")
    outcome = run(*FAST, "--insecure", url, *healthy)
    assert_healthy(outcome, healthy)
    assert (outcome.exit_code, outcome.title(url)) == (0, "Secret")
    assert "Warning" not in outcome.stderr


def test_ca_bundle_trusts_the_servers_authority(
    tls_site, healthy, authority, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    url = tls_site.url("/")
    outcome = run(*FAST, "--ca-bundle", str(bundle), url, *healthy)
    assert_healthy(outcome, healthy)
    assert (outcome.exit_code, outcome.title(url)) == (0, "Secret")


# -- politeness --------------------------------------------------------------------------


def test_per_host_2_keeps_at_most_2_connections_to_a_host(faults, healthy):
    urls = [faults.add(f"/slow{n}", fs.title_page(f"Slow {n}", delay=0.2)) for n in range(8)]
    outcome = run(*FAST, "--per-host", "2", "--workers", "8", *urls, *healthy)
    assert [outcome.title(url) for url in urls] == [f"Slow {n}" for n in range(8)]
    assert faults.max_in_flight == 2
    assert faults.max_open <= 2
    assert faults.connections <= 2  # reused: the pages were read to the end


def test_per_host_cap_does_not_hold_back_other_hosts(faults, healthy):
    urls = [faults.add(f"/slow{n}", fs.title_page(f"Slow {n}", delay=0.3)) for n in range(6)]
    outcome = run(*FAST, "--per-host", "1", "--order", "completed", *urls, *healthy)
    finished = list(outcome.records)
    assert set(finished[:2]) == set(healthy)


def test_redirect_to_another_host_gives_back_its_hosts_slot(faults, healthy):
    # --per-host 1: the second URL of `faults` can only start before the first one's chain
    # ends if the hop to the other host gave back the first host's slot.
    plain_arrived = threading.Event()
    answers = []

    def plain(exchange: fs.Exchange) -> bool:
        plain_arrived.set()
        return fs.title_page("Plain")(exchange)

    def held(exchange: fs.Exchange) -> bool:
        answers.append(plain_arrived.wait(5))  # until the other URL of the first host arrives
        return fs.title_page("Moved")(exchange)

    with FaultServer() as other:
        moved = faults.add("/moved", fs.redirect(other.add("/held", held)))
        unmoved = faults.add("/plain", plain)
        outcome = run("--timeout", "10", "--per-host", "1", moved, unmoved, *healthy)
    assert answers == [True]
    assert (outcome.title(moved), outcome.title(unmoved)) == ("Moved", "Plain")


def test_redirect_waits_for_a_slot_on_the_host_it_enters_without_losing_time(faults):
    # --per-host 1 on `other`: the hop from `faults` waits while /busy holds the only slot.
    # That wait is not the server's doing: --timeout 2 is not spent on it (1.5 + 1.0 > 2).
    redirect_sent = threading.Event()

    def redirect_once_seen(exchange: fs.Exchange) -> bool:
        redirect_sent.set()
        return fs.redirect(other.url("/after"))(exchange)

    def busy(exchange: fs.Exchange) -> bool:
        redirect_sent.wait(5)
        time.sleep(1.5)
        return fs.title_page("Busy")(exchange)

    with FaultServer() as other:
        direct = other.add("/busy", busy)
        other.add("/after", fs.title_page("After", delay=1.0))
        moved = faults.add("/moved", redirect_once_seen)
        outcome = run("--timeout", "2", "--retries", "0", "--per-host", "1", direct, moved)
    assert (outcome.title(direct), outcome.title(moved)) == ("Busy", "After")
    assert other.max_in_flight == 1
    assert other.arrivals["/after"][0] >= other.arrivals["/busy"][0] + 1.5


def test_rate_spaces_requests_as_seen_by_the_server(faults):
    urls = [faults.add(f"/r{n}", fs.title_page(f"R {n}")) for n in range(6)]
    outcome = run(*FAST, "--rate", "5", *urls)
    assert outcome.exit_code == 0
    arrivals = sorted(faults.arrivals[f"/r{n}"][0] for n in range(6))
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) > 0.1, gaps  # 1/5 s apart, less the scheduling jitter
    assert arrivals[-1] - arrivals[0] > 5 * 0.2 * 0.9


def test_user_agent_and_headers_reach_the_server(faults):
    url = faults.add("/who", fs.title_page("Who"))
    run(*FAST, "--user-agent", "probe/2", "--header", "X-Trace: 7", url)
    assert faults.request_headers["/who"]["user-agent"] == "probe/2"
    assert faults.request_headers["/who"]["x-trace"] == "7"


# -- connection reuse --------------------------------------------------------------------


@pytest.mark.parametrize(("rest", "connections"), [(500_000, 1), (3_000_000, 3)])
def test_connection_is_kept_only_when_the_unread_rest_is_short(faults, rest, connections):
    body = fs.html("Early") + b" " * rest
    # Answers come after 0.2 s, as over a network: by then the next lines have been read,
    # so the next URL waits for the host while the first is read.
    urls = [faults.add(f"/page{n}", fs.delayed(fs.page(body), 0.2)) for n in range(3)]
    outcome = run(*FAST, "--workers", "1", *urls)
    assert [outcome.title(url) for url in urls] == ["Early"] * 3
    assert faults.connections == connections


def test_the_rest_of_a_page_is_not_read_when_no_other_url_waits_for_its_host(faults, healthy):
    url = faults.add("/alone", fs.big_page("Alone", 1024 * 1024))  # a rest worth keeping for
    outcome = run(*FAST, url, *healthy)
    assert outcome.title(url) == "Alone"
    faults.wait_done("/alone")
    assert faults.sent["/alone"] < 64 * 1024  # not the whole MiB: closed after the title
