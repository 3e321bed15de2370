"""Issue 5: dedupe, Ctrl-C and --resume, SIGPIPE, worker crashes and progress, for real."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.page_server import PageServer, html_page
from tests.processes import children_of
from tests.test_entry_point import TITLEFETCH


def write_list(path: Path, urls: list[str]) -> str:
    path.write_text("\n".join(urls) + "\n")
    return str(path)


def wait_for_lines(path: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {count} lines")


def test_a_repeated_url_is_fetched_once_with_a_row_per_line(server: PageServer, tmp_path):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.05)) for n in range(3)]
    listing = [urls[0], urls[1], urls[0], urls[2], urls[0], urls[1]]
    done = subprocess.run(
        [TITLEFETCH, "-f", "jsonl", write_list(tmp_path / "u.txt", listing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["url"] for r in records] == listing
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["title"] for r in records] == ["P0", "P1", "P0", "P2", "P0", "P1"]
    assert server.hits == {"/p0": 1, "/p1": 1, "/p2": 1}


def test_ctrl_c_flushes_complete_records_and_resume_finishes_the_set(server, tmp_path):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.2)) for n in range(40)]
    listing = [*urls, urls[3], urls[7]]  # repeats count once per line
    source = write_list(tmp_path / "u.txt", listing)
    output = tmp_path / "out.jsonl"
    command = [TITLEFETCH, "-w", "4", "--resume", str(output), source]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as child:
        wait_for_lines(output, 4)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130
    assert "interrupted" in stderr
    first = output.read_text()
    assert first.endswith("\n")
    assert 4 <= len(first.splitlines()) < len(listing)
    assert all(json.loads(line)["title"] for line in first.splitlines())

    again = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    answered = [json.loads(line)["url"] for line in output.read_text().splitlines()]
    assert Counter(answered) == Counter(listing)


def test_resume_ignores_a_half_written_last_line(server, tmp_path):
    urls = [server.add(f"/p{n}", html_page(f"P{n}")) for n in range(3)]
    output = tmp_path / "out.jsonl"
    output.write_text(json.dumps({"url": urls[0], "title": "P0"}) + '\n{"url": "' + urls[1][:10])
    done = subprocess.run(
        [TITLEFETCH, "--resume", str(output), *urls], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answered = [json.loads(line)["url"] for line in output.read_text().splitlines()]
    assert sorted(answered) == sorted(urls)
    assert server.hits["/p0"] == 0


def test_a_killed_worker_process_loses_no_url(server, tmp_path):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.3)) for n in range(12)]
    command = [TITLEFETCH, "--backend", "process", "-w", "2", "-f", "jsonl", *urls]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        deadline = time.monotonic() + 20
        while sum(server.hits.values()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        victims = [pid for pid in children_of(child.pid) if _is_worker(pid, child.pid)]
        assert victims, "no worker process found"
        os.kill(victims[0], signal.SIGKILL)
        stdout, _ = child.communicate(timeout=60)
    records = [json.loads(line) for line in stdout.splitlines()]
    assert [r["url"] for r in records] == urls
    for record in records:
        assert record["title"] or record["error"]["kind"] == "worker_crashed"


def _is_worker(pid: int, parent: int) -> bool:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes()
            == Path(f"/proc/{parent}/cmdline").read_bytes()
        )
    except OSError:
        return False


def read_terminal(fd: int, until: float) -> str:
    data = b""
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


@pytest.mark.parametrize(("flag", "shown"), [(None, True), ("--no-progress", False)])
def test_progress_shows_on_a_terminal_stderr_only(server, tmp_path, flag, shown):
    urls = [server.add(f"/p{n}", html_page(f"P{n}", delay=0.1)) for n in range(10)]
    source = write_list(tmp_path / "u.txt", urls)
    controller, terminal = pty.openpty()
    command = [TITLEFETCH, "-w", "2", "-f", "tsv", *([flag] if flag else []), source]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal) as child:
        os.close(terminal)
        text = read_terminal(controller, time.monotonic() + 20)
        child.wait(timeout=30)
    os.close(controller)
    assert ("URLs/s" in text and "10/10" in text) is shown
    assert "titlefetch: 10 URLs: 10 ok" in text


def test_no_progress_on_a_non_terminal_stderr(server):
    url = server.add("/p", html_page("P"))
    done = subprocess.run([TITLEFETCH, url], capture_output=True, text=True, timeout=60)
    assert "URLs/s" not in done.stderr
