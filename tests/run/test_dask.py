"""The dask backend (issue 7): a real scheduler and two workers, against a local test site."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")  # the dask extra; scripts/setup installs it

from distributed import Client  # noqa: E402

from tests.page_server import PageServer, html_page  # noqa: E402
from titlefetch._api import fetch_titles  # noqa: E402
from titlefetch._errors import BackendUnavailable  # noqa: E402
from titlefetch.cli import main  # noqa: E402

BIN = Path(sys.executable).parent
PAGES = 12
SLOW = 8
WHERE_FIELDS = ("pid", "process", "thread", "worker", "started", "elapsed_ms")


@pytest.fixture(scope="module")
def site() -> Iterator[PageServer]:
    """Pages whose small delays differ, so both workers get some, and eight 0.5 s pages."""
    with PageServer() as server:
        for n in range(PAGES):
            server.add(f"/page/{n}", html_page(f"page {n}", delay=n % 4 * 0.02))
        for n in range(SLOW):
            server.add(f"/slow/{n}", html_page(f"slow {n}", delay=0.5))
        yield server


def _slow_started(site: PageServer) -> int:
    return sum(site.hits[f"/slow/{n}"] for n in range(SLOW))


@pytest.fixture
def cluster(dask_cluster: Client) -> Client:
    """A client on the two-worker cluster of tests/conftest.py."""
    return dask_cluster


def _titlefetch(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "titlefetch"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _records(stdout: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in stdout.splitlines()]
    return [{k: v for k, v in r.items() if k not in WHERE_FIELDS} for r in records]


def _url_file(tmp_path: Path, urls: list[str]) -> str:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return str(path)


def _address(client: Client) -> str:
    return str(client.scheduler_info()["address"])


def test_dask_records_match_thread_with_a_failing_url(cluster, site, tmp_path) -> None:
    base = site.base
    pages = [f"{base}/page/{n}" for n in range(PAGES)]
    urls = _url_file(tmp_path, [*pages, f"{base}/missing", pages[0], "not a url"])
    common = ["--format", "jsonl", "--workers", "8", "--timeout", "5", urls]

    dask = _titlefetch("--backend", "dask", "--scheduler", _address(cluster), *common)
    thread = _titlefetch("--backend", "thread", *common)

    assert (dask.returncode, thread.returncode) == (1, 1), dask.stderr
    assert _records(dask.stdout) == _records(thread.stdout)
    assert len(_records(dask.stdout)) == PAGES + 3
    workers = {json.loads(line)["worker"] for line in dask.stdout.splitlines()}
    assert workers - {None} <= set(cluster.scheduler_info()["workers"])


def test_dask_trace_names_both_workers_and_exit_is_0(cluster, site, tmp_path) -> None:
    urls = _url_file(tmp_path, [f"{site.base}/page/{n}" for n in range(PAGES)])

    run = _titlefetch("--backend", "dask", "--scheduler", _address(cluster), "--trace", urls)

    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == PAGES
    lines = run.stderr.splitlines()
    traces = [line for line in lines if line.startswith("trace: end ")]
    assert len(traces) == PAGES
    assert all(" worker=tcp://127.0.0.1:" in line for line in traces)
    pids = {line.split(" pid=")[1].split()[0] for line in traces}
    assert len(pids) >= 2
    assert [line for line in lines if not line.startswith("trace: ")] == [lines[-1]]
    assert lines[-1].startswith(f"titlefetch: {PAGES} URLs: {PAGES} ok, 0 failed")


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(cluster, site, tmp_path) -> None:
    # Issues 7 and 16: --per-host 2 makes two batches of four slow URLs, one fetched after
    # the other. Once two have started, each worker is on its batch's first URL: one dies,
    # and its batch's URLs run again on the other worker. Every URL is printed once. (Issue
    # 25: a result is printed as its fetch ends, so the worker dies before any has ended;
    # the next test kills one that had sent a result.)
    urls = _url_file(tmp_path, [f"{site.base}/slow/{n}" for n in range(SLOW)])
    command = [str(BIN / "titlefetch"), "--backend", "dask", "--scheduler", _address(cluster)]
    command += ["--format", "jsonl", "--workers", "2", "--per-host", "2", urls]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        try:
            deadline = time.monotonic() + 20
            while _slow_started(site) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            busy = [worker for worker, keys in cluster.processing().items() if keys]
            victim = cluster.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(victim, signal.SIGKILL)
            stdout, stderr = run.communicate(timeout=60)
        finally:
            run.kill()

    assert run.returncode == 0, stderr.decode()
    results = [json.loads(line) for line in stdout.decode().splitlines()]
    assert [r["title"] for r in results] == [f"slow {n}" for n in range(SLOW)]
    assert victim not in {r["pid"] for r in results}
    assert _slow_started(site) > SLOW  # the lost batch ran again, its started URLs too


def test_results_come_as_fetches_end_and_a_dead_workers_are_not_repeated(cluster, tmp_path):
    # Issue 25: the first result is printed while its batch runs on, long before the batch
    # ends; the worker that sent it then dies, the URLs it had not finished run again
    # elsewhere, and the result it had sent is not printed again.
    with PageServer() as server:
        for n in range(SLOW):
            server.add(f"/slow/{n}", html_page(f"slow {n}", delay=0.5))
        urls = _url_file(tmp_path, [f"{server.base}/slow/{n}" for n in range(SLOW)])
        command = [str(BIN / "titlefetch"), "--backend", "dask", "--scheduler", _address(cluster)]
        command += ["--format", "jsonl", "--order", "completed", "--workers", "2"]
        command += ["--per-host", "2", urls]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
            try:
                assert run.stdout is not None and run.stderr is not None
                first = json.loads(run.stdout.readline())
                started = sum(server.hits[f"/slow/{n}"] for n in range(SLOW))
                deadline = time.monotonic() + 20  # each worker on its batch's second URL
                while sum(server.hits.values()) < 4 and time.monotonic() < deadline:
                    time.sleep(0.01)
                os.kill(first["pid"], signal.SIGKILL)
                # read on from the same buffered file: communicate() would skip what
                # readline() had buffered already
                rest, stderr = run.stdout.read(), run.stderr.read()
                run.wait(timeout=60)
            finally:
                run.kill()
        ran = sum(server.hits[f"/slow/{n}"] for n in range(SLOW))

    assert run.returncode == 0, stderr.decode()
    results = [first, *(json.loads(line) for line in rest.decode().splitlines())]
    assert sorted(r["title"] for r in results) == sorted(f"slow {n}" for n in range(SLOW))
    assert started <= 4  # each worker on its batch's first or second URL: no batch had ended
    assert [r["title"] for r in results if r["pid"] == first["pid"]] == [first["title"]]
    assert ran > SLOW  # the URL the dead worker had started ran again elsewhere


def test_workers_hold_across_the_cluster_on_single_url_hosts(cluster, tmp_path) -> None:
    # Issue 25: twelve hosts with one URL each, as most real lists are, and --workers 3: the
    # feeds run many hosts' calls at once, and the web (all twelve servers together) never
    # sees more than three requests at once, but sees three.
    lock = threading.Lock()
    tally = {"now": 0, "most": 0}

    def record(path: str, headers: dict[str, str]) -> None:
        with lock:
            tally["now"] += 1
            tally["most"] = max(tally["most"], tally["now"])

    def answered() -> None:
        with lock:
            tally["now"] -= 1

    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(PageServer()) for _ in range(12)]
        for server in servers:
            server.record = record  # type: ignore[method-assign]
            server.answered = answered  # type: ignore[method-assign]
        urls = [s.add("/", html_page(f"host {n}", delay=0.2)) for n, s in enumerate(servers)]
        run = _titlefetch(
            "--backend", "dask", "--scheduler", _address(cluster), "--format", "jsonl",
            "--workers", "3", _url_file(tmp_path, urls),
        )  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert [r["title"] for r in _records(run.stdout)] == [f"host {n}" for n in range(12)]
    assert tally == {"now": 0, "most": 3}


def test_library_api_runs_on_a_cluster_too(cluster, site) -> None:
    urls = [f"{site.base}/page/{n}" for n in range(4)]

    with fetch_titles(urls, backend="dask", scheduler_address=_address(cluster)) as run:
        results = list(run)

    assert [r.title for r in results] == [f"page {n}" for n in range(4)]
    assert {r.worker for r in results} <= set(cluster.scheduler_info()["workers"])


def test_local_cluster_when_no_scheduler_is_given(site, tmp_path) -> None:
    urls = _url_file(tmp_path, [f"{site.base}/page/{n}" for n in range(4)])

    run = _titlefetch("--backend", "dask", "--workers", "4", "--format", "jsonl", urls)

    assert run.returncode == 0, run.stderr
    assert [r["title"] for r in _records(run.stdout)] == [f"page {n}" for n in range(4)]
    assert all(json.loads(line)["worker"] for line in run.stdout.splitlines())
    # nothing but titlefetch's own summary: the cluster's logs stay out of stderr
    assert re.fullmatch(r"titlefetch: 4 URLs: 4 ok, 0 failed in [0-9.]+s\n", run.stderr)


def test_dask_without_the_extra_is_a_one_line_usage_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails

    result = CliRunner().invoke(main, ["--backend", "dask", "http://127.0.0.1:9/"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "titlefetch: error: --backend dask needs the dask extra: pip install 'titlefetch[dask]'\n"
    )


def test_library_api_names_the_extra_and_rejects_a_stray_address(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)

    with pytest.raises(BackendUnavailable, match=re.escape("pip install 'titlefetch[dask]'")):
        fetch_titles(["http://127.0.0.1:9/"], backend="dask")
    with pytest.raises(ValueError, match="needs the dask backend"):
        fetch_titles(["http://127.0.0.1:9/"], scheduler_address="tcp://127.0.0.1:9")


def test_scheduler_without_dask_backend_is_a_usage_error() -> None:
    args = ["--scheduler", "tcp://127.0.0.1:9", "http://127.0.0.1:9/"]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2
    assert result.stderr == "titlefetch: error: --scheduler needs --backend dask\n"


def test_thread_backend_never_imports_distributed() -> None:
    code = (
        "import sys\n"
        "from titlefetch.cli import main\n"
        "try:\n"
        "    main(['--demo', '--quiet', '--backend', 'thread'])\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, 'distributed' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.splitlines()[-1] == "0 False"
