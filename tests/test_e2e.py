"""End to end against a real server: trace shows the workers, order holds, gzip rests drain."""

from __future__ import annotations

import json
import re
import subprocess
from subprocess import PIPE

import pytest

from tests.page_server import Page, PageServer, html_page
from tests.test_entry_point import TITLEFETCH

WHERE_FIELDS = {"pid", "process", "thread", "worker", "elapsed_ms", "started"}


@pytest.fixture
def mixed_site(server: PageServer) -> list[str]:
    urls = [server.add(f"/p{n}", html_page(f"Page {n}", delay=0.05 * (n % 3))) for n in range(8)]
    urls.append(server.add("/gone", Page(b"<title>Gone</title>", status=410)))
    urls.append(
        server.add("/pdf", Page(b"%PDF-1.7", headers=(("Content-Type", "application/pdf"),)))
    )
    return urls


def run_titlefetch(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TITLEFETCH, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def records(stdout: str) -> list[dict[str, object]]:
    return [
        {k: v for k, v in json.loads(line).items() if k not in WHERE_FIELDS}
        for line in stdout.splitlines()
    ]


def test_process_trace_shows_worker_pids_not_the_parents(mixed_site):
    command = [TITLEFETCH, "--trace", "--backend", "process", "-w", "2", "-f", "tsv", *mixed_site]
    with subprocess.Popen(command, stdout=PIPE, stderr=PIPE, text=True) as child:
        stdout, stderr = child.communicate(timeout=120)
    pids = set(re.findall(r"^trace: end .* pid=(\d+) ", stderr, re.MULTILINE))
    assert len(pids) >= 2
    assert str(child.pid) not in pids
    starts = re.findall(r"^trace: start ", stderr, re.MULTILINE)
    assert len(starts) == len(mixed_site)
    assert all(line.count("\t") == 3 for line in stdout.splitlines())


def test_thread_trace_shows_the_parents_pid_and_several_threads(mixed_site):
    done = run_titlefetch("--trace", "--backend", "thread", "-w", "4", "-f", "tsv", *mixed_site)
    ends = re.findall(
        r"^trace: end .* pid=(\d+) process=(\S+) thread=(\S+)", done.stderr, re.MULTILINE
    )
    assert len({pid for pid, _, _ in ends}) == 1
    assert {process for _, process, _ in ends} == {"MainProcess"}
    assert len({thread for _, _, thread in ends}) >= 2


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_completed_order_prints_fast_before_slow(server, backend):
    slow = server.add("/slow", html_page("Slow", delay=1.0))
    fast = server.add("/fast", html_page("Fast"))
    done = run_titlefetch(
        "--order", "completed", "--backend", backend, "-w", "2", "-f", "tsv", slow, fast
    )
    assert [line.split("\t")[1] for line in done.stdout.splitlines()] == ["Fast", "Slow"]
    assert done.returncode == 0


def test_the_unread_rest_of_a_gzip_page_is_drained_without_error(server):
    import gzip
    import random

    # Random text barely compresses: the title arrives in the first read, a rest is left.
    filler = random.Random(7).randbytes(60_000).hex().encode()
    document = b"<html><head><title>Packed</title></head><body>" + filler + b"</body>"
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"))
    urls = [server.add(f"/z{n}", Page(gzip.compress(document), headers=headers)) for n in range(3)]
    done = run_titlefetch("-f", "jsonl", "-w", "1", *urls)
    assert [record["title"] for record in records(done.stdout)] == ["Packed"] * 3
    assert done.returncode == 0
