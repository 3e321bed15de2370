"""What a line of a URL list means: URLs, host lines (#18), comments, problems, URL arguments,
callers' URLs."""

from __future__ import annotations

import pytest

from titlefetch.run._lines import (
    UrlLine,
    as_lines,
    is_host_line,
    is_url_argument,
    parse_lines,
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
