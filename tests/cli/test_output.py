"""Formatters: every format round-trips and no control character reaches a terminal raw."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from titlefetch.cli.output import (
    FORMATTERS,
    csv_header,
    format_csv,
    format_jsonl,
    format_text,
    format_tsv,
    summary_line,
    trace_lines,
)
from titlefetch.results import Failure, TitleResult

OK = TitleResult(url="http://a.test/", status=200, title="Plain title", pid=1, thread="t")
TRICKY = TitleResult(
    url='http://a.test/?q="x"',
    status=200,
    title='tab\there, "quotes", new\nline \\ \x1b[31mred\x7f\x9b',
)
FAILED = TitleResult(url="http://b.test/", status=404, error=Failure("http_4xx", "HTTP 404"))
RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("result", [OK, TRICKY, FAILED])
@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_no_format_lets_control_characters_through(name, result):
    line = FORMATTERS[name](result)
    assert not RAW_CONTROLS.search(line)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (OK, "http://a.test/\tPlain title\t200\t"),
        (FAILED, "http://b.test/\t\t404\thttp_4xx: HTTP 404"),
        (
            TRICKY,
            'http://a.test/?q="x"\ttab\\there, "quotes", new\\nline \\\\ '
            "\\x1b[31mred\\x7f\\x9b\t200\t",
        ),
    ],
)
def test_tsv_columns_are_url_title_status_error(result, expected):
    assert format_tsv(result) == expected
    assert len(format_tsv(result).split("\t")) == 4


@pytest.mark.parametrize("result", [OK, TRICKY, FAILED])
def test_csv_parses_back_to_the_same_columns(result):
    text = csv_header() + "\r\n" + format_csv(result) + "\r\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["url", "title", "status", "error"]
    expected_title = (result.title or "").replace("\x1b", "\\x1b").replace("\x7f", "\\x7f")
    expected_title = expected_title.replace("\x9b", "\\x9b")
    assert rows[1][0] == result.url
    assert rows[1][1] == expected_title
    assert rows[1][2] == str(result.status)


@pytest.mark.parametrize("result", [OK, TRICKY, FAILED])
def test_jsonl_holds_every_field_and_parses_back(result):
    record = json.loads(format_jsonl(result))
    assert record["url"] == result.url
    assert record["title"] == result.title
    assert record["status"] == result.status
    expected_error = None if result.error is None else {"kind": "http_4xx", "message": "HTTP 404"}
    assert record["error"] == expected_error
    for name in ("final_url", "content_type", "elapsed_ms", "pid", "process", "thread"):
        assert name in record


def test_text_format_shows_title_or_error():
    assert format_text(OK) == "http://a.test/  Plain title"
    assert format_text(FAILED) == "http://b.test/  ! http_4xx: HTTP 404"


def test_trace_lines_name_pid_process_and_thread():
    result = TitleResult(
        url="http://a.test/", started=101.5, elapsed_ms=250.0, pid=42, process="P", thread="T"
    )
    start, end = trace_lines(result, run_started=100.0)
    assert start == "trace: start http://a.test/ pid=42 process=P thread=T at +1.500s"
    assert end == "trace: end   http://a.test/ pid=42 process=P thread=T 0.250s ok"


def test_summary_line_counts_and_flags_interruption():
    assert summary_line(3, 1, 2.0) == "titlefetch: 4 URLs: 3 ok, 1 failed in 2.00s"
    assert summary_line(1, 0, 0.5, interrupted=True).endswith("(interrupted)")
