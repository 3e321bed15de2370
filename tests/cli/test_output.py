"""Formatters: every format round-trips and no control character reaches a terminal raw; text
output shows bidirectional controls escaped, the data formats keep them (issue 18)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import pytest
from click.testing import CliRunner

from tests.page_server import PageServer, html_page
from tests.test_entry_point import TITLEFETCH
from titlefetch._options import OUTPUT_FORMATS
from titlefetch._results import Failure, TitleResult
from titlefetch.cli.command import main
from titlefetch.cli.output import (
    FORMATTERS,
    csv_header,
    format_csv,
    format_jsonl,
    format_text,
    format_text_in_color,
    format_tsv,
    summary_line,
    trace_lines,
)

OK = TitleResult(url="http://a.test/", status=200, title="Plain title", pid=1, thread="t")
TRICKY = TitleResult(
    url='http://a.test/?q="x"',
    status=200,
    title='tab\there, "quotes", new\nline \\ \x1b[31mred\x7f\x9b',
)
FAILED = TitleResult(url="http://b.test/", status=404, error=Failure("http_4xx", "HTTP 404"))
RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (FAILED, "http://b.test/  ! http_4xx: HTTP 404"),
        (
            TitleResult("http://b.test/", status=404, title="Gone", error=FAILED.error),
            "http://b.test/  ! http_4xx: HTTP 404 (title: Gone)",
        ),
        (  # the mismatch's message quotes the title already
            TitleResult(
                "http://b.test/",
                status=200,
                title="About",
                error=Failure("title_mismatch", "expected title matching 'Home', got 'About'"),
            ),
            "http://b.test/  ! title_mismatch: expected title matching 'Home', got 'About'",
        ),
    ],
)
def test_text_shows_an_error_pages_title_beside_its_error(result, expected):
    # #23: jsonl, csv and Python had a 404 page's title; text, the format for people, did not.
    assert format_text(result) == expected


def test_every_format_of_the_option_has_a_formatter_or_is_the_report():
    assert [*FORMATTERS, "junit"] == list(OUTPUT_FORMATS)


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


# Bidi_Control (embeddings, overrides, isolates, marks) and the Unicode line breaks.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
TERMINAL_UNSAFE = BIDI_CONTROLS + "\u2028\u2029"
SPOOF_TITLE = "abc\u202egnp.exe"  # a terminal shows it as "abcexe.png"
SPOOF = TitleResult(url="http://a.test/x\u202egnp.exe", status=200, title=SPOOF_TITLE)


def escaped(char: str) -> str:
    return f"\\u{ord(char):04x}"


@pytest.mark.parametrize("char", TERMINAL_UNSAFE)
def test_text_shows_bidi_controls_escaped_in_url_and_title(char):
    result = TitleResult(url=f"http://a.test/{char}", status=200, title=f"abc{char}gnp.exe")
    expected = f"http://a.test/{escaped(char)}  abc{escaped(char)}gnp.exe"
    assert format_text(result) == expected
    assert format_text_in_color(result) == expected


@pytest.mark.parametrize("formatter", [format_text, format_text_in_color])
def test_text_shows_bidi_controls_escaped_in_error_messages(formatter):
    failure = Failure("invalid_url", "urls.txt:3: no host in 'http://\u2067x'")
    line = formatter(TitleResult(url="http://\u2067x", error=failure))
    assert "\\u2067" in line
    assert not set(TERMINAL_UNSAFE) & set(line)


def test_text_keeps_right_to_left_letters_joiners_and_variation_selectors():
    # Hebrew and Persian words (ZWNJ inside), a family emoji (ZWJ) and a red heart (VS16)
    # are what real titles hold: none of them is escaped.
    title = "\u05e9\u05dc\u05d5\u05dd \u0645\u06cc\u200c\u062e\u0648\u0627\u0645 "
    title += "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f"
    assert format_text(TitleResult(url="http://a.test/", title=title)) == f"http://a.test/  {title}"


@pytest.mark.parametrize("name", ["tsv", "csv", "jsonl"])
def test_data_formats_keep_bidi_controls_intact(name):
    line = FORMATTERS[name](SPOOF)
    assert parse_row(name, line)[:2] == [SPOOF.url, SPOOF_TITLE]


def parse_row(name: str, line: str) -> list[str]:
    """The url and title columns of one formatted line, parsed back."""
    if name == "jsonl":
        record = json.loads(line)
        return [record["url"], record["title"]]
    if name == "csv":
        return next(csv.reader(io.StringIO(line, newline="")))
    return line.split("\t")


def test_trace_lines_show_bidi_controls_in_the_url_escaped():
    result = TitleResult(url="http://a.test/\u202e", started=1.0, pid=1, process="P", thread="T")
    for line in trace_lines(result, run_started=1.0):
        assert "http://a.test/\\u202e " in line


@pytest.fixture
def spoofing_site(server: PageServer) -> list[str]:
    page = html_page(SPOOF_TITLE)
    # The URL holds U+202E raw (sent percent-encoded); the second page's title holds every
    # character text output escapes.
    return [
        server.add("/x%E2%80%AEgnp.exe", page).replace("%E2%80%AE", "\u202e"),
        server.add("/all", html_page(f"[{TERMINAL_UNSAFE}]")),
    ]


def expected_text_lines(urls: list[str]) -> list[str]:
    unsafe = "".join(escaped(char) for char in TERMINAL_UNSAFE)
    return [
        f"{urls[0].replace(chr(0x202E), escaped(chr(0x202E)))}  abc\\u202egnp.exe",
        f"{urls[1]}  [{unsafe}]",
    ]


def test_text_output_through_the_command_escapes_bidi_controls(spoofing_site):
    result = CliRunner().invoke(main, ["-q", *spoofing_site], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == expected_text_lines(spoofing_site)
    assert result.stderr == ""


def lines_of(stdout: str) -> list[str]:
    # Not str.splitlines(): it also splits at U+2028 and U+2029, which tsv and csv keep raw.
    return [line.removesuffix("\r") for line in stdout.split("\n")[:-1]]


def test_jsonl_writes_unicode_line_breaks_escaped_and_reads_them_back():
    result = TitleResult(url="http://a.test/", title="one\u2028two\u2029three")
    line = format_jsonl(result)
    assert line.splitlines() == [line]
    assert "\\u2028two\\u2029" in line
    assert json.loads(line)["title"] == result.title


@pytest.mark.parametrize("name", ["tsv", "csv", "jsonl"])
def test_data_formats_through_the_command_keep_bidi_controls(spoofing_site, name):
    result = CliRunner().invoke(main, ["-q", "-f", name, *spoofing_site], catch_exceptions=False)
    assert result.exit_code == 0
    lines = lines_of(result.stdout)[1:] if name == "csv" else lines_of(result.stdout)
    rows = [parse_row(name, line)[:2] for line in lines]
    assert rows == [[spoofing_site[0], SPOOF_TITLE], [spoofing_site[1], f"[{TERMINAL_UNSAFE}]"]]


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_installed_command_escapes_bidi_controls_in_text_only(spoofing_site, backend):
    def run(*args: str) -> list[str]:
        command = [TITLEFETCH, "-q", "--backend", backend, "-w", "2", *args, *spoofing_site]
        done = subprocess.run(command, capture_output=True, encoding="utf-8", timeout=60)
        assert (done.returncode, done.stderr) == (0, "")
        return lines_of(done.stdout)

    assert run("-f", "text") == expected_text_lines(spoofing_site)
    titles = [json.loads(line)["title"] for line in run("-f", "jsonl")]
    assert titles == [SPOOF_TITLE, f"[{TERMINAL_UNSAFE}]"]
