"""Formatters: every format round-trips and no control character reaches a terminal raw; text
output shows bidirectional controls escaped, the data formats keep them (issue 18). --format
junit: one JUnit XML report per run, parsed back with xml.etree (issue 8)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.page_server import PageServer, html_page
from tests.smoke_site import serve_site
from tests.test_entry_point import TITLEFETCH
from titlefetch._options import OUTPUT_FORMATS
from titlefetch._results import Failure, TitleResult
from titlefetch.cli import main
from titlefetch.cli._output import (
    FORMATTERS,
    csv_header,
    format_csv,
    format_jsonl,
    format_text,
    format_text_in_color,
    format_tsv,
    junit_report,
    summary_line,
    trace_lines,
    xml_safe,
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


@pytest.fixture(scope="module")
def site():
    with serve_site() as base:
        yield base


def cases(root):
    return {case.get("name"): case for case in root.iter("testcase")}


def test_a_report_has_one_testcase_per_result_and_counts_failures():
    results = [
        TitleResult("https://a.test/", status=200, title="A", source="urls.txt", line=1),
        TitleResult(
            "https://b.test/",
            status=200,
            title="B",
            error=Failure("title_mismatch", "expected title matching 'X', got 'B'"),
            source="urls.txt",
            line=2,
            elapsed_ms=1500.0,
        ),
    ]
    text = junit_report(results, elapsed=2.25, timestamp="2026-01-02T03:04:05+00:00")
    root = ET.fromstring(text)
    suite = root.find("testsuite")
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "time")} == {
        "tests": "2",
        "failures": "1",
        "errors": "0",
        "time": "2.250",
    }
    assert suite is not None
    assert suite.get("timestamp") == "2026-01-02T03:04:05+00:00"
    ok, bad = cases(root)["https://a.test/"], cases(root)["https://b.test/"]
    assert ok.find("failure") is None
    assert ok.find("system-out").text == "title: A"
    assert (bad.get("classname"), bad.get("line"), bad.get("time")) == ("urls.txt", "2", "1.500")
    failure = bad.find("failure")
    assert failure.get("type") == "title_mismatch"
    assert failure.get("message") == "expected title matching 'X', got 'B'"
    assert failure.text.startswith("urls.txt:2: https://b.test/: title_mismatch: expected")


def test_an_empty_run_is_a_valid_report():
    root = ET.fromstring(junit_report([], elapsed=0.0, timestamp="t"))
    assert root.get("tests") == "0"
    assert list(root.iter("testcase")) == []


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("plain", "plain"),
        ("\u00e9t\u00e9 \u65e5\u672c", "\u00e9t\u00e9 \u65e5\u672c"),
        ("bell\x07", "bell\\x07"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("tab\tnew\nline", "tab\\tnew\\nline"),
        ("nul\x00", "nul\\x00"),
        ("\ufffe\uffff", "\\ufffe\\uffff"),
        ("lone \ud800", "lone \\ud800"),
    ],
)
def test_xml_safe(text, safe):
    assert xml_safe(text) == safe


def test_control_characters_and_non_ascii_still_parse():
    nasty = "Bell\x07 esc\x1b[31m \u00e9t\u00e9 \ud800\x0b"
    result = TitleResult(
        "https://a.test/\x1b", title=nasty, error=Failure("title_mismatch", f"got {nasty}")
    )
    text = junit_report([result], elapsed=0.1, timestamp="t")
    assert text.isascii()
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert case.get("name") == "https://a.test/\\x1b"
    assert failure.get("message") == "got Bell\\x07 esc\\x1b[31m \u00e9t\u00e9 \\ud800\\x0b"


def test_cli_writes_a_junit_report_to_a_file(site, tmp_path):
    checks = tmp_path / "checks.txt"
    checks.write_text(
        f"{site}/\tHome\n{site}/about\tNope\n{site}/missing\n{site}/control\tBell\nnot-a-url\n"
    )
    report = tmp_path / "report.xml"
    args = ["--format", "junit", "-o", str(report), "--timeout", "2", str(checks)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "5 URLs: 2 ok, 3 failed" in result.stderr
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures")) == ("5", "3")
    by_name = cases(root)
    assert list(by_name) == [
        f"{site}/",
        f"{site}/about",
        f"{site}/missing",
        f"{site}/control",
        "not-a-url",
    ]
    kinds = {name: case.find("failure") for name, case in by_name.items()}
    assert {name: f is not None and f.get("type") for name, f in kinds.items()} == {
        f"{site}/": False,
        f"{site}/about": "title_mismatch",
        f"{site}/missing": "http_4xx",
        f"{site}/control": False,
        "not-a-url": "invalid_url",
    }
    # html/_titles.py decides what becomes of the controls; the report must hold the rest intact.
    control_title = by_name[f"{site}/control"].find("system-out").text
    assert control_title.startswith("title: Bell")
    assert control_title.endswith("red \u00e9t\u00e9")
    assert "\x1b" not in control_title
    assert all(case.get("classname") == str(checks) for case in by_name.values())


def test_cli_writes_the_report_to_stdout_in_one_piece(site):
    result = CliRunner().invoke(main, ["-q", "-f", "junit", f"{site}/"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("<?xml version='1.0' encoding='us-ascii'?>\n<testsuites")
    assert ET.fromstring(result.stdout).get("failures") == "0"


def installed():
    command = shutil.which("titlefetch", path=str(Path(sys.executable).parent))
    assert command is not None
    return command


def test_installed_command_writes_a_report(site, tmp_path):
    command = installed()
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TITLEFETCH_")}
    completed = subprocess.run(
        [command, "-f", "junit", "-o", str(report), "--expect-status", "404", f"{site}/missing"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert "1 URL: 1 ok, 0 failed" in completed.stderr
    assert ET.parse(report).getroot().get("failures") == "0"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_ctrl_c_still_writes_a_report_of_what_finished(site, tmp_path):
    report = tmp_path / "report.xml"
    urls = [f"{site}/slow?{n}" for n in range(20)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TITLEFETCH_")}
    command = [installed(), "-f", "junit", "-o", str(report), "-w", "2", "--trace", *urls]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as process:
        assert process.stderr is not None
        for line in process.stderr:  # wait until a fetch has finished
            if line.startswith("trace: end"):
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "(interrupted)" in rest
    root = ET.parse(report).getroot()
    assert 1 <= int(root.get("tests", "0")) < 20
    assert root.get("failures") == "0"
