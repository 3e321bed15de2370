"""What a line of a URL list means: URLs, host lines (#18), comments, problems, URL arguments,
callers' URLs."""

from __future__ import annotations

import pytest

from titlefetch._results import Failure, TitleResult
from titlefetch.run._lines import (
    UrlLine,
    as_lines,
    check_result,
    is_host_line,
    is_url_argument,
    parse_lines,
    parse_statuses,
    url_problem,
    urls_to_try,
)


@pytest.mark.parametrize(
    ("line", "first"),
    [
        ("example.com", "https://example.com"),
        ("shop.example.org:8443", "https://shop.example.org:8443"),
        ("example.net/path?q=1#top", "https://example.net/path?q=1#top"),
        ("example.com?q=1", "https://example.com?q=1"),
        ("Example.COM.", "https://Example.COM."),
        ("a_b.example.com", "https://a_b.example.com"),
        ("bücher.de/straße", "https://bücher.de/straße"),
        ("例え.テスト", "https://例え.テスト"),
        ("localhost:3000", "https://localhost:3000"),
        ("127.0.0.1", "https://127.0.0.1"),
        ("127.0.0.1:8080/x", "https://127.0.0.1:8080/x"),
        ("[::1]", "https://[::1]"),
        ("[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("::1", "https://[::1]"),
        ("2001:db8::1", "https://[2001:db8::1]"),
    ],
)
def test_a_host_line_is_fetched_as_https_then_http(line, first):
    assert url_problem(line) is None
    assert is_host_line(line)
    assert urls_to_try(line, "auto") == (first, "http" + first.removeprefix("https"))
    assert urls_to_try(line, "https") == (first,)
    assert urls_to_try(line, "http") == ("http" + first.removeprefix("https"),)


@pytest.mark.parametrize("url", ["http://example.com/", "HTTPS://EXAMPLE.COM/a"])
@pytest.mark.parametrize("scheme", ["auto", "https", "http"])
def test_a_url_with_a_scheme_is_fetched_as_it_is_whatever_the_scheme_option(url, scheme):
    assert not is_host_line(url)
    assert urls_to_try(url, scheme) == (url,)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ftp://example.com/file", "scheme ftp: only http and https are fetched"),
        ("file:///etc/passwd", "scheme file: only http and https are fetched"),
        ("mailto:someone@example.com", "scheme mailto: only http and https are fetched"),
        ("javascript:alert(1)", "scheme javascript: only http and https are fetched"),
        ("//example.com/", "no scheme before //: write https://… or the host alone"),
        ("http:/example.com", "malformed http URL: write http://HOST/…"),
        ("https//example.com", "malformed https URL: write https://HOST/…"),
        ("example .com", "contains whitespace or control characters"),
        ("example.com/a b", "contains whitespace or control characters"),
        ("not a url", "contains whitespace or control characters"),
        ("nope", "not an http(s) URL or a host name (a name without a dot needs http://)"),
        ("intranet:8080", "not an http(s) URL or a host name (a name without a dot needs"),
        ("<title>", "not an http(s) URL or a host name"),
        ("*.example.com", "not an http(s) URL or a host name"),
        ("user@example.com", "not an http(s) URL or a host name"),
        ("[::1]x", "not an http(s) URL or a host name"),
        (":8080", "no host name"),
        ("/index.html", "no host name"),
        ("example.com:", "no port after ':'"),
        ("example.com:http", "port 'http' is not a number"),
        ("example.com:0", "port 0 is not in 1-65535"),
        ("example.com:65536", "port 65536 is not in 1-65535"),
        ("999.1.1.1", "999.1.1.1 is not an IPv4 address"),
        ("[1.2.3.4]", "[1.2.3.4] is not an IPv6 address"),
        ("fe80::1%eth0", "an IPv6 address with a zone (%…) cannot be fetched"),
        ("ä" * 64 + ".de", "malformed host name ("),
    ],
)
def test_a_line_that_is_neither_url_nor_host_says_why(line, problem):
    found = url_problem(line)
    assert found is not None and found.startswith(problem)


def test_a_host_line_keeps_its_pattern_and_its_place():
    [check, bad] = parse_lines(["example.com\t^Example\n", "ftp://example.com/\tx\n"], "l.txt")
    assert (check.url, check.expect, check.problem, check.line) == (
        "example.com",
        "^Example",
        None,
        1,
    )
    assert (bad.url, bad.problem) == (
        "ftp://example.com/",
        "scheme ftp: only http and https are fetched",
    )


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
    assert (
        lines[1].problem == "not an http(s) URL or a host name (a name without a dot needs http://)"
    )
    assert lines[2] is given


def test_a_url_whose_host_idna_cannot_encode_is_an_invalid_line():
    # It used to pass, and Origin.of raised in the scheduler: a traceback ended the run (#18).
    found = url_problem("https://" + "\u00e4" * 64 + ".de/")
    assert found is not None and found.startswith("malformed host name (")


# Smoke-check expectations: parsing `URL<TAB>REGEX` lines and judging results (issue 8).

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
