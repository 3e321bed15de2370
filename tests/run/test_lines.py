"""What a line of a URL list means: URLs, comments, problems, URL arguments, caller's URLs."""

from __future__ import annotations

import pytest

from titlefetch.run.lines import UrlLine, as_lines, is_url_argument, parse_lines, url_problem


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
        ("ftp://example.test/", "not an http(s) URL"),
        ("example.test", "not an http(s) URL"),
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
    [line] = parse_lines(["\n", "not a url\n"], "list.txt")
    assert (line.source, line.line, line.problem) == ("list.txt", 2, "not an http(s) URL")


@pytest.mark.parametrize(
    ("argument", "is_url"),
    [("https://a.test/", True), ("HTTP://A.TEST", True), ("urls.txt", False), ("-", False)],
)
def test_a_source_argument_is_a_url_when_it_starts_like_one(argument, is_url):
    assert is_url_argument(argument) is is_url


def test_a_callers_urls_are_numbered_in_a_source_of_their_own():
    given = UrlLine("http://c.test/", "checks", 7, expect="^C")
    lines = list(as_lines(["http://a.test/", "nonsense", given]))
    assert [(line.url, line.source, line.line) for line in lines[:2]] == [
        ("http://a.test/", "<urls>", 1),
        ("nonsense", "<urls>", 2),
    ]
    assert lines[1].problem == "not an http(s) URL"
    assert lines[2] is given
