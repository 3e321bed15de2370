"""The CLI as a CI smoke check: `URL<TAB>REGEX` lines and --expect-status (issue 8)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.smoke_site import serve_site
from titlefetch.cli import main


@pytest.fixture(scope="module")
def site():
    with serve_site() as base:
        yield base


def run(*args, stdin=None):
    return CliRunner().invoke(main, ["--quiet", "--timeout", "2", *args], input=stdin)


def records(output):
    return [json.loads(line) for line in output.splitlines()]


def test_matching_titles_pass_with_exit_0(site, tmp_path):
    checks = tmp_path / "checks.txt"
    checks.write_text(f"{site}/\t^Home page$\n{site}/about\tAbout\n{site}/moved\tus$\n")
    result = run("-f", "jsonl", str(checks))
    assert result.exit_code == 0, result.output
    assert [r["error"] for r in records(result.stdout)] == [None, None, None]
    assert result.stderr == ""


def test_a_title_mismatch_fails_with_expected_and_got(site, tmp_path):
    checks = tmp_path / "checks.txt"
    checks.write_text(f"{site}/\tWelcome\n{site}/about\tAbout\n")
    result = run("-f", "jsonl", str(checks))
    assert result.exit_code == 1
    first, second = records(result.stdout)
    assert first["error"] == {
        "kind": "title_mismatch",
        "message": "expected title matching 'Welcome', got 'Home page'",
    }
    assert first["title"] == "Home page"
    assert (first["source"], first["line"]) == (str(checks), 1)
    assert second["error"] is None


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_a_repeated_url_is_judged_against_each_line(site, tmp_path, backend):
    checks = tmp_path / "checks.txt"
    checks.write_text(f"{site}/\tHome\n{site}/\tAway\n{site}/\n")
    result = run("-f", "jsonl", "--backend", backend, "-w", "2", str(checks))
    kinds = [r["error"] and r["error"]["kind"] for r in records(result.stdout)]
    assert kinds == [None, "title_mismatch", None]
    assert result.exit_code == 1


def test_an_invalid_pattern_is_an_error_for_its_line_only(site, tmp_path):
    checks = tmp_path / "checks.txt"
    checks.write_text(f"{site}/\t(unclosed\n{site}/about\tAbout\n")
    result = run("-f", "tsv", str(checks))
    assert result.exit_code == 1
    bad, good = result.stdout.splitlines()
    assert f"invalid_url: {checks}:1: invalid title pattern '(unclosed'" in bad
    assert good.split("\t")[:3] == [f"{site}/about", "About us", "200"]


@pytest.mark.parametrize(
    ("codes", "path", "kind", "message"),
    [
        ("404", "/missing", None, None),
        ("200,404", "/missing", None, None),
        ("200", "/missing", "status_mismatch", "expected status 200, got 404"),
        ("201,204", "/", "status_mismatch", "expected status 201 or 204, got 200"),
        # the status is the final one, after redirects are followed
        ("200", "/moved", None, None),
        ("301", "/moved", "status_mismatch", "expected status 301, got 200"),
    ],
)
def test_expect_status_sets_the_statuses_that_succeed(site, codes, path, kind, message):
    result = run("-f", "jsonl", "--expect-status", codes, f"{site}{path}")
    [record] = records(result.stdout)
    expected_error = None if kind is None else {"kind": kind, "message": message}
    assert record["error"] == expected_error
    assert result.exit_code == (0 if kind is None else 1)


def test_without_expect_status_a_404_keeps_its_http_kind(site):
    result = run("-f", "jsonl", f"{site}/missing")
    [record] = records(result.stdout)
    assert record["error"] == {"kind": "http_4xx", "message": "HTTP 404"}
    assert record["title"] == "Not found"  # the error page's own title (#17)
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("^Not found$", None),
        (
            "Gone",
            {
                "kind": "title_mismatch",
                "message": "expected title matching 'Gone', got 'Not found'",
            },
        ),
    ],
)
def test_expect_status_and_a_pattern_combine(site, pattern, error):
    # An error page's title is read (#17), so an expected 404 can check which page answered.
    stdin = f"{site}/missing\t{pattern}\n"
    result = run("-f", "jsonl", "--expect-status", "404", "-", stdin=stdin)
    [record] = records(result.stdout)
    assert record["error"] == error
    assert record["title"] == "Not found"
    assert result.exit_code == (0 if error is None else 1)


@pytest.mark.parametrize("codes", ["abc", "200,", "99", "2000"])
def test_a_bad_expect_status_is_a_usage_error(codes):
    result = run("--expect-status", codes, "http://127.0.0.1:9/")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Invalid value for '--expect-status'" in result.stderr
    assert "is not an HTTP status code" in result.stderr


def test_fail_fast_stops_at_the_first_mismatch(site, tmp_path):
    checks = tmp_path / "checks.txt"
    checks.write_text(f"{site}/\tNope\n" + "".join(f"{site}/slow?{n}\n" for n in range(3)))
    result = run("-f", "jsonl", "--workers", "1", "--fail-fast", str(checks))
    assert result.exit_code == 1
    kinds = [r["error"] and r["error"]["kind"] for r in records(result.stdout)]
    assert kinds[0] == "title_mismatch"
    assert len(kinds) < 4
