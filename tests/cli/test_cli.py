"""The click command through CliRunner: formats, order, exit codes, usage errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.page_server import Page, PageServer, html_page
from titlefetch.cli import main


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def site(server: PageServer) -> PageServer:
    server.add("/a", html_page("Alpha"))
    server.add("/b", html_page("Beta"))
    server.add("/missing", Page(b"<title>Not Found</title>", status=404))
    return server


def write_urls(path: Path, *lines: str) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_every_url_ok_exits_0_with_results_on_stdout_only(site, tmp_path):
    urls = write_urls(tmp_path / "u.txt", site.url("/a"), "# comment", "", site.url("/b"))
    result = invoke("-f", "tsv", urls)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{site.url('/a')}\tAlpha\t200\t",
        f"{site.url('/b')}\tBeta\t200\t",
    ]
    assert result.stderr.startswith("titlefetch: 2 URLs: 2 ok, 0 failed in ")


def test_any_failed_url_exits_1_and_the_others_still_print(site, tmp_path):
    urls = write_urls(tmp_path / "u.txt", site.url("/a"), "not-a-url", site.url("/missing"))
    result = invoke("-f", "jsonl", urls)
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in records] == ["Alpha", None, "Not Found"]  # 404 page (#17)
    assert records[1]["error"]["kind"] == "invalid_url"
    assert records[1]["error"]["message"].startswith(f"{urls}:2: ")
    assert records[1]["line"] == 2
    assert records[2]["error"] == {"kind": "http_4xx", "message": "HTTP 404"}


def test_stdin_dash_and_url_arguments_are_sources(site):
    result = invoke("-f", "tsv", "-q", "-", site.url("/b"), stdin=site.url("/a") + "\r\n")
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == ["Alpha", "Beta"]
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ["missing-file.txt"],
        ["--workers", "0", "-"],
        ["--backend", "x"],
        ["--header", "X-Note: one\r\nX-Evil: two", "-"],
        ["--header", "no colon", "-"],
        ["--user-agent", "probe/1\nX-Evil: 1", "-"],
        ["--user-agent", "探针/1", "-"],
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args):
    result = CliRunner().invoke(main, args, input="")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unreadable_file_is_one_line(tmp_path):
    result = CliRunner().invoke(main, [str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"titlefetch: error: cannot read {tmp_path / 'nope.txt'}: No such file or directory"
    ]


@pytest.mark.parametrize("output_format", ["tsv", "csv", "jsonl", "text"])
def test_each_format_parses_back_to_the_same_records(site, output_format):
    urls = [site.url("/a"), site.url("/missing")]
    result = invoke("-f", output_format, "-q", *urls)
    rows = parse(output_format, result.stdout)
    assert [row["url"] for row in rows] == urls
    # The 404 page's own title (#17); text shows the error in its place.
    error_page_title = "" if output_format == "text" else "Not Found"
    assert [row["title"] for row in rows] == ["Alpha", error_page_title]


def parse(output_format: str, text: str) -> list[dict[str, str]]:
    if output_format == "jsonl":
        return [{**r, "title": r["title"] or ""} for r in map(json.loads, text.splitlines())]
    if output_format == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if output_format == "tsv":
        return [
            dict(zip(("url", "title", "status", "error"), line.split("\t"), strict=False))
            for line in text.splitlines()
        ]
    rows = []
    for line in text.splitlines():
        url, _, rest = line.partition("  ")
        rows.append({"url": url, "title": "" if rest.startswith("! ") else rest})
    return rows


def test_output_file_holds_the_results(site, tmp_path):
    target = tmp_path / "out.jsonl"
    result = invoke("-f", "jsonl", "-o", str(target), site.url("/a"))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["title"] == "Alpha"


def test_order_completed_prints_a_fast_url_before_a_slow_one(server):
    slow = server.add("/slow", html_page("Slow", delay=0.6))
    fast = server.add("/fast", html_page("Fast"))
    completed = invoke("-f", "tsv", "--order", "completed", slow, fast)
    assert [line.split("\t")[1] for line in completed.stdout.splitlines()] == ["Fast", "Slow"]
    in_order = invoke("-f", "tsv", "--order", "input", slow, fast)
    assert [line.split("\t")[1] for line in in_order.stdout.splitlines()] == ["Slow", "Fast"]


def test_fail_fast_stops_at_the_first_failure(server):
    bad = server.add("/bad", Page(b"", status=500))
    slow = [server.add(f"/s{n}", html_page(f"S{n}", delay=0.3)) for n in range(30)]
    result = invoke("--fail-fast", "--workers", "2", "-f", "tsv", bad, *slow)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) < 10
    assert sum(server.hits.values()) < 10


def test_trace_goes_to_stderr_with_pid_and_thread(site):
    result = invoke("--trace", "-f", "tsv", site.url("/a"), site.url("/b"))
    assert result.stdout.count("\n") == 2
    trace = [line for line in result.stderr.splitlines() if line.startswith("trace:")]
    assert len(trace) == 4
    assert all("pid=" in line and "thread=" in line for line in trace)


def test_demo_fetches_its_built_in_site():
    result = invoke("--demo", "--workers", "48", "-f", "jsonl")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert len(records) == 48
    assert all(record["title"] for record in records)
    assert "Страница о Threads" in {record["title"] for record in records}
