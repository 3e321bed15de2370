"""Every backend end to end, as the installed command: the same records, --per-host counted at
the server, and no process left behind by Ctrl-C or a closed pipe."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.page_server import Page, html_page
from tests.processes import children_of, wait_until_gone
from tests.test_entry_point import TITLEFETCH
from titlefetch.run.executors.dask._lanes import WAVES

WHERE_FIELDS = {"pid", "process", "thread", "worker", "elapsed_ms", "started"}
BACKENDS = ["thread", "process", "dask"]


@pytest.fixture
def on_cluster(request: pytest.FixtureRequest) -> list[str]:
    """The options that pick the test's backend; dask's runs on the running two-worker
    cluster of conftest.py (its `dask scheduler` and `dask worker` processes)."""
    backend = request.node.callspec.params["backend"]
    if backend != "dask":
        return ["--backend", backend]
    client = request.getfixturevalue("dask_cluster")
    return ["--backend", "dask", "--scheduler", str(client.scheduler_info()["address"])]


def titlefetch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TITLEFETCH, *args], capture_output=True, text=True, timeout=60)


def records(stdout: str) -> list[dict[str, object]]:
    return [
        {k: v for k, v in json.loads(line).items() if k not in WHERE_FIELDS}
        for line in stdout.splitlines()
    ]


def url_file(tmp_path: Path, urls: list[str]) -> str:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_a_backend_gives_the_records_the_thread_backend_gives(
    server, tmp_path, backend, on_cluster
):
    pages = [server.add(f"/p{n}", html_page(f"Page {n}")) for n in range(6)]
    moved = server.add("/moved", Page(status=301, headers=(("Location", "/p1"),)))
    pdf = server.add("/pdf", Page(b"%PDF-1.7", headers=(("Content-Type", "application/pdf"),)))
    host_line = server.base.removeprefix("http://") + "/p2"  # https fails: http answers (#18)
    listing = [*pages, moved, pdf, f"{server.base}/missing", pages[0], "not a url", host_line]
    common = ["-f", "jsonl", "-w", "4", url_file(tmp_path, listing)]

    by_thread = titlefetch("--backend", "thread", *common)
    other = titlefetch(*on_cluster, *common)

    assert (by_thread.returncode, other.returncode) == (1, 1), other.stderr
    assert records(other.stdout) == records(by_thread.stdout)
    assert [r["title"] for r in records(other.stdout)][:7] == [
        *(f"Page {n}" for n in range(6)),
        "Page 1",
    ]
    assert records(other.stdout)[-1]["final_url"] == f"{server.base}/p2"


@pytest.mark.parametrize("backend", BACKENDS)
def test_per_host_is_the_most_requests_the_server_sees_at_once(server, tmp_path, backend):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.2)) for n in range(6)]
    run = titlefetch(
        "--backend", backend, "-w", "8", "--per-host", "2", "-q", url_file(tmp_path, urls)
    )
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 6
    assert server.most_active == 2


# With dask: a local cluster, whose processes titlefetch starts itself.
@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_prints_what_finished_and_leaves_no_process(server, tmp_path, backend):
    # Enough URLs that a cluster's batches launched by the first Ctrl-C cannot hold them all.
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.05)) for n in range(300)]
    command = [TITLEFETCH, "--backend", backend, "-w", "4", "-f", "jsonl", url_file(tmp_path, urls)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        assert run.stdout is not None and run.stderr is not None
        first = run.stdout.readline()
        helpers = children_of(run.pid)
        run.send_signal(signal.SIGINT)
        rest, stderr = run.stdout.read(), run.stderr.read()  # what readline buffered too
        run.wait(timeout=30)
    assert run.returncode == 130, stderr
    printed = [json.loads(line) for line in (first + rest).splitlines()]
    assert [r["url"] for r in printed] == urls[: len(printed)]
    assert all(r["title"] == f"P{n}" for n, r in enumerate(printed))
    assert len(printed) < len(urls)
    assert wait_until_gone(helpers) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_closed_pipe_leaves_no_process(server, tmp_path, backend):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.05)) for n in range(800)]
    command = [TITLEFETCH, "--backend", backend, "-w", "4", "-f", "tsv", url_file(tmp_path, urls)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        assert run.stdout is not None and run.stderr is not None
        assert run.stdout.readline().startswith(urls[0].encode())
        helpers = children_of(run.pid)
        run.stdout.close()  # as `| head -1` does
        stderr = run.stderr.read()
        run.wait(timeout=30)
    assert run.returncode == 1
    assert stderr == b""
    assert wait_until_gone(helpers) == []
    # What ran was what had started; a cluster returns results a batch at a time, and may
    # have started a second or third round of batches by then (4 groups of WAVES calls).
    assert sum(server.hits.values()) <= 3 * 4 * WAVES < len(urls)
