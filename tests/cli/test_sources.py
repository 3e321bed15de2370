"""Reading URLs: stripping, comments, CRLF, BOM, invalid lines and unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from titlefetch.cli.sources import count_lines, read_source, read_sources
from titlefetch.errors import SourceError
from titlefetch.run.lines import parse_lines, url_problem


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["http://a.test/\n"], [("http://a.test/", 1)]),
        (["  https://a.test/x  \r\n"], [("https://a.test/x", 1)]),
        (["\n", "# comment\n", "   \n", "http://b.test/\n"], [("http://b.test/", 4)]),
        (
            ["\ufeffhttp://bom.test/\n", "http://c.test/"],
            [("http://bom.test/", 1), ("http://c.test/", 2)],
        ),
        (["   # indented comment\n"], []),
    ],
)
def test_parse_lines_keeps_urls_with_their_line_numbers(lines, expected):
    parsed = [(line.url, line.line) for line in parse_lines(lines, "f.txt")]
    assert parsed == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://example.test/", None),
        ("HTTPS://EXAMPLE.TEST/a?b=c", None),
        ("ftp://example.test/", "scheme ftp: only http and https are fetched"),
        ("example.test", None),  # a host line (tests/run/test_lines.py)
        ("example", "not an http(s) URL or a host name"),
        ("http://", "no host name"),
        ("http://exa mple.test/", "contains whitespace or control characters"),
        ("http://example.test:99999/", "malformed URL"),
        ("http://\x1b[31m.test/", "contains whitespace or control characters"),
    ],
)
def test_url_problem_explains_what_is_wrong(url, problem):
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_invalid_line_is_kept_with_its_problem():
    [line] = parse_lines(["\n", "<not-a-url>\n"], "list.txt")
    assert (line.source, line.line) == ("list.txt", 2)
    assert line.problem == "not an http(s) URL or a host name"


def test_read_source_reads_crlf_file_with_bom(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_bytes(b"\xef\xbb\xbfhttp://a.test/\r\n# c\r\nhttp://b.test/\r\n")
    assert [line.url for line in read_source(str(path))] == ["http://a.test/", "http://b.test/"]


def test_a_url_argument_is_its_own_source():
    [line] = read_source("https://example.test/")
    assert (line.url, line.source, line.problem) == ("https://example.test/", "argument", None)


def test_missing_file_fails_before_any_line_is_read(tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text("http://a.test/\n")
    with pytest.raises(SourceError, match="cannot read .*missing.txt"):
        read_sources([str(good), str(tmp_path / "missing.txt")])


def test_count_lines_counts_urls_and_gives_up_on_stdin(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("http://a.test/\n\n# x\nhttp://b.test/\n")
    assert count_lines([str(path), "http://c.test/"]) == 3
    assert count_lines([str(path), "-"]) is None


def test_a_url_whose_host_idna_cannot_encode_is_an_invalid_line():
    # It used to pass, and Origin.of raised in the scheduler: a traceback ended the run (#18).
    found = url_problem("https://" + "\u00e4" * 64 + ".de/")
    assert found is not None and found.startswith("malformed host name (")
