"""_console.py: a run written to an output, its exit code, summary, --fail-fast and progress."""

from __future__ import annotations

import io
import json

import pytest

from tests.page_server import html_page
from titlefetch._options import FetchOptions, RunPlan
from titlefetch.cli._console import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    RunSettings,
    progress_for,
    run_and_write,
)
from titlefetch.run._lines import UrlLine


def settings(output_format: str = "jsonl", **changes: object) -> RunSettings:
    fields: dict[str, object] = {
        "plan": RunPlan(workers=1),
        "options": FetchOptions(timeout=5, retries=0),
        "output_format": output_format,
        "trace": False,
        "quiet": False,
        "fail_fast": False,
        "progress": False,
        "color": "auto",
    }
    fields.update(changes)
    return RunSettings(**fields)  # type: ignore[arg-type]


def lines(*urls: str) -> list[UrlLine]:
    return [UrlLine(url, source="-", line=number) for number, url in enumerate(urls, start=1)]


def run(urls: list[UrlLine], made: RunSettings, answered: tuple[str, ...] = ()) -> tuple[int, str]:
    out = io.StringIO()
    code = run_and_write(
        iter(urls), made, out, answered=iter(answered), progress=Progress(shown=False)
    )
    return code, out.getvalue()


def test_every_line_is_written_and_the_exit_code_says_all_went_well(server, capsys):
    a = server.add("/a", html_page("Page A"))
    b = server.add("/b", html_page("Page B"))
    code, out = run(lines(a, b), settings())
    assert code == EXIT_OK
    assert [(r["url"], r["title"]) for r in map(json.loads, out.splitlines())] == [
        (a, "Page A"),
        (b, "Page B"),
    ]
    assert "2 URLs: 2 ok, 0 failed" in capsys.readouterr().err


def test_a_failed_url_makes_the_exit_code_1_and_the_others_are_written(server, capsys):
    a = server.add("/a", html_page("Page A"))
    missing = server.url("/missing")
    code, out = run(lines(missing, a), settings(output_format="tsv"))
    assert code == EXIT_FAILED
    assert out.splitlines()[1].split("\t")[:3] == [a, "Page A", "200"]
    assert "1 ok, 1 failed" in capsys.readouterr().err


def test_fail_fast_starts_nothing_after_the_first_failure(server):
    missing = server.url("/missing")
    later = [server.add(f"/p{n}", html_page(f"P{n}")) for n in range(20)]
    code, out = run(lines(missing, *later), settings(fail_fast=True))
    assert code == EXIT_FAILED
    assert sum(server.hits[f"/p{n}"] for n in range(20)) < 20
    assert len(out.splitlines()) == 1 + sum(server.hits[f"/p{n}"] for n in range(20))


def test_quiet_leaves_no_summary_and_answered_urls_are_skipped(server, capsys):
    a = server.add("/a", html_page("Page A"))
    b = server.add("/b", html_page("Page B"))
    code, out = run(lines(a, b), settings(quiet=True), answered=(a,))
    assert code == EXIT_OK
    assert [json.loads(line)["url"] for line in out.splitlines()] == [b]
    assert server.hits["/a"] == 0
    assert capsys.readouterr().err == ""


def test_csv_output_starts_with_its_header(server):
    a = server.add("/a", html_page("Page A"))
    _, out = run(lines(a), settings(output_format="csv"))
    header, row = out.split("\r\n")[:2]
    assert header.startswith("url,") and row.startswith(f"{a},")


@pytest.mark.parametrize(("wanted", "shown"), [(False, False), (True, True)])
def test_progress_is_shown_when_asked_with_the_number_of_lines(tmp_path, wanted, shown):
    source = tmp_path / "urls.txt"
    source.write_text("https://a.test/\nhttps://b.test/\nhttps://c.test/\n", encoding="utf-8")
    progress = progress_for([str(source)], wanted, io.StringIO())
    assert progress.shown is shown
    assert progress.total == (3 if shown else None)
