"""Smoke-check expectations: parsing `URL<TAB>REGEX` lines and judging results (issue 8)."""

from __future__ import annotations

import pytest

from titlefetch._results import Failure, TitleResult
from titlefetch.run._checks import check_result, parse_statuses
from titlefetch.run._lines import UrlLine, parse_lines

URL = "https://example.test/"


@pytest.mark.parametrize(
    ("text", "url", "expect"),
    [
        (f"{URL}\tExample", URL, "Example"),
        (f"{URL}\t^Home page$", URL, "^Home page$"),
        (f"{URL}\ta\tb", URL, "a\tb"),  # only the first tab separates
        (f"{URL} \t Example ", URL, "Example"),
        (f"{URL}\t", URL, None),
        (URL, URL, None),
    ],
)
def test_a_tab_separates_the_url_from_its_title_pattern(text, url, expect):
    [line] = parse_lines([text], "urls.txt")
    assert (line.url, line.expect, line.problem) == (url, expect, None)


def test_an_invalid_pattern_makes_the_line_an_error_with_its_place():
    [line] = parse_lines(["# checks", f"{URL}\tHome (page"], "urls.txt")
    assert line.line == 2
    assert line.problem is not None
    assert line.problem.startswith("invalid title pattern 'Home (page' (missing )")


def test_an_invalid_url_is_reported_before_its_pattern():
    [line] = parse_lines(["<not-a-url>\t("], "urls.txt")
    assert line.problem == "not an http(s) URL or a host name"


@pytest.mark.parametrize(
    ("text", "codes"),
    [("200", {200}), ("200,301", {200, 301}), (" 404 , 200 ", {200, 404})],
)
def test_parse_statuses(text, codes):
    assert parse_statuses(text) == codes


@pytest.mark.parametrize("text", ["", "20x", "200,,301", "99", "600", "-200"])
def test_parse_statuses_rejects_what_is_not_a_status(text):
    with pytest.raises(ValueError, match="is not an HTTP status code"):
        parse_statuses(text)


OK = TitleResult(URL, status=200, title="Home page")
NOT_FOUND = TitleResult(URL, status=404, error=Failure("http_4xx", "HTTP 404"))
NO_TITLE = TitleResult(URL, status=200, error=Failure("no_title", "the page has no <title>"))
REFUSED = TitleResult(URL, error=Failure("refused", "connection failed"))


@pytest.mark.parametrize(
    ("result", "expect", "statuses", "error"),
    [
        (OK, None, None, None),
        (OK, "Home", None, None),
        (OK, "page$", None, None),
        (
            OK,
            "^home",
            None,
            Failure("title_mismatch", "expected title matching '^home', got 'Home page'"),
        ),
        (OK, None, {200, 301}, None),
        (OK, None, {301}, Failure("status_mismatch", "expected status 301, got 200")),
        (OK, "Nope", {404}, Failure("status_mismatch", "expected status 404, got 200")),
        (NOT_FOUND, None, None, Failure("http_4xx", "HTTP 404")),
        (NOT_FOUND, None, {404}, None),
        (
            NOT_FOUND,
            None,
            {200, 301},
            Failure("status_mismatch", "expected status 200 or 301, got 404"),
        ),
        (
            NOT_FOUND,
            "Gone",
            {404},
            Failure("title_mismatch", "expected title matching 'Gone', got no title"),
        ),
        (NO_TITLE, "Home", None, NO_TITLE.error),
        (REFUSED, "Home", {200}, REFUSED.error),
    ],
)
def test_check_result(result, expect, statuses, error):
    checked = check_result(result, expect, statuses)
    assert checked.error == error
    assert (checked.status, checked.title) == (result.status, result.title)


def test_check_result_shows_control_characters_escaped_by_repr():
    result = TitleResult(URL, status=200, title="a\x1bb")
    checked = check_result(result, "^z", None)
    assert checked.error == Failure("title_mismatch", "expected title matching '^z', got 'a\\x1bb'")


def test_url_lines_from_code_can_carry_an_expectation():
    line = UrlLine(URL, "checks", 1, expect="Home")
    assert line.expect == "Home"
    assert line.problem is None
