"""--format junit: one JUnit XML report per run, parsed back with xml.etree (issue 8)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.smoke_site import serve_site
from titlefetch._results import Failure, TitleResult
from titlefetch.cli.command import main
from titlefetch.cli.junit import junit_report, xml_safe


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
