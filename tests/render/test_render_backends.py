"""--render as the installed command on every backend, and no Chromium left behind by the end
of a run or by Ctrl-C. Processes are found by a variable set in the command's environment,
which the browser and its helpers inherit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.page_server import Page, PageServer
from tests.processes import children_of, processes_with, wait_until_gone
from tests.render.conftest import needs_browser
from tests.render.js_pages import chromium_titles, serve_pages
from tests.test_backends import url_file
from tests.test_entry_point import TITLEFETCH

pytestmark = needs_browser


def marked_environment() -> tuple[dict[str, str], str]:
    mark = f"TITLEFETCH_TEST_MARK={uuid.uuid4().hex}"
    name, _, value = mark.partition("=")
    return {**os.environ, name: value}, mark


@pytest.fixture
def backend_options(request: pytest.FixtureRequest) -> list[str]:
    """The test's backend; dask's is the running cluster of tests/conftest.py."""
    backend = request.node.callspec.params["backend"]
    if backend != "dask":
        return ["--backend", backend]
    client = request.getfixturevalue("dask_cluster")
    return ["--backend", "dask", "--scheduler", str(client.scheduler_info()["address"])]


@pytest.mark.parametrize("backend", ["thread", "process", "dask"])
def test_every_backend_renders_and_leaves_no_browser(server, tmp_path, backend, backend_options):
    serve_pages(server)
    paths = ["/inline", "/titled", "/fetched", "/bundle"]
    listing = url_file(tmp_path, [server.url(path) for path in paths])
    environ, mark = marked_environment()
    command = [
        TITLEFETCH,
        *backend_options,
        "--render",
        "missing",
        "-f",
        "jsonl",
        "--trace",
        listing,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environ)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    recorded = chromium_titles()
    assert [r["title"] for r in records] == [recorded[path] for path in paths]
    assert [r["rendered"] for r in records] == [True, False, True, True]
    assert sum("rendered in" in line for line in run.stderr.splitlines()) == 3
    if backend != "dask":  # a running cluster's workers close theirs when idle
        assert wait_until_gone(processes_with(mark)) == []


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_ctrl_c_leaves_no_browser(server, tmp_path, backend):
    serve_pages(server)
    slow = [server.add(f"/slow{n}", _slow_page(n)) for n in range(40)]
    environ, mark = marked_environment()
    command = slow_rendering(["--backend", backend], "jsonl", url_file(tmp_path, slow))
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ
    ) as run:
        assert run.stdout is not None and run.stderr is not None
        first = json.loads(run.stdout.readline())
        browsers = [pid for pid in processes_with(mark) if _is_chromium(pid)]
        run.send_signal(signal.SIGINT)
        rest, stderr = run.stdout.read(), run.stderr.read()
        run.wait(timeout=60)
    assert run.returncode == 130, stderr
    assert first["title"] == "Slow 0" and first["rendered"]
    assert len(rest.splitlines()) < len(slow) - 1
    assert browsers  # the browser was running when Ctrl-C came
    assert wait_until_gone(processes_with(mark)) == []


def slow_rendering(backend: list[str], output_format: str, listing: str) -> list[str]:
    """The command that renders `listing`'s slow pages (_slow_page) four at a time on
    `backend`, each given 30 s: long enough to be stopped in the middle."""
    return [
        TITLEFETCH,
        *backend,
        "-w",
        "4",
        "--render",
        "missing",
        "--timeout",
        "30",
        "-f",
        output_format,
        listing,
    ]


def _slow_page(n: int) -> Page:
    script = f"<script>setTimeout(() => {{ document.title = 'Slow {n}'; }}, 300)</script>"
    return Page(f"<!doctype html><title></title>{script}".encode())


def _is_chromium(pid: int) -> bool:
    try:
        return "chrom" in Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return False


def test_a_missing_browser_is_a_usage_error_before_any_fetch(server: PageServer, tmp_path):
    url = server.add("/inline", Page(b"<title>x</title>"))
    run = subprocess.run(
        [
            TITLEFETCH,
            "--render",
            "missing",
            "--timeout",
            "30",
            "--browser",
            str(tmp_path / "no-chromium"),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"titlefetch: error: --browser {tmp_path / 'no-chromium'}: no executable file there"
    ]
    assert server.hits["/inline"] == 0


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_a_closed_pipe_leaves_no_browser(server, tmp_path, backend):
    slow = [server.add(f"/slow{n}", _slow_page(n)) for n in range(40)]
    environ, mark = marked_environment()
    command = slow_rendering(["--backend", backend], "tsv", url_file(tmp_path, slow))
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ
    ) as run:
        assert run.stdout is not None and run.stderr is not None
        assert run.stdout.readline().startswith(slow[0].encode())
        assert [pid for pid in processes_with(mark) if _is_chromium(pid)]
        run.stdout.close()  # as `| head -1` does
        run.stderr.read()
        run.wait(timeout=60)
    assert run.returncode == 1
    assert wait_until_gone(processes_with(mark)) == []


def test_a_killed_worker_leaves_no_browser(server, tmp_path):
    slow = [server.add(f"/slow{n}", _slow_page(n)) for n in range(24)]
    environ, mark = marked_environment()
    backend = ["--backend", "process", "--processes", "2"]
    command = slow_rendering(backend, "jsonl", url_file(tmp_path, slow))
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ
    ) as run:
        assert run.stdout is not None and run.stderr is not None
        run.stdout.readline()
        workers = [pid for pid in children_of(run.pid) if any(children_of(pid))]
        os.kill(workers[0], signal.SIGKILL)  # a worker with a browser (its driver) below it
        rest, stderr = run.stdout.read(), run.stderr.read()
        run.wait(timeout=60)
    assert run.returncode in (0, 1), stderr
    assert len(rest.splitlines()) == len(slow) - 1
    assert wait_until_gone(processes_with(mark)) == []
