"""Where a redirect leads and what goes along with it (redirects.py), without a network."""

from __future__ import annotations

import re

import pytest

from titlefetch.http._parser import Headers
from titlefetch.http._redirects import (
    BadRedirect,
    ChainCookies,
    headers_for,
    is_fetchable,
    location_of,
    redirect_target,
    refresh_target,
    resolve,
)

HERE = "http://a.test/dir/page?x=1"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/other", "http://a.test/other"),
        ("next", "http://a.test/dir/next"),
        ("?y=2", "http://a.test/dir/page?y=2"),
        ("//b.test/p", "http://b.test/p"),
        ("https://b.test/p", "https://b.test/p"),
        ("/a b", "http://a.test/a%20b"),
        ("/caf\u00c3\u00a9", "http://a.test/caf%C3%A9"),  # UTF-8 read as Latin-1 by http.client
    ],
)
def test_location_resolves_against_the_current_url(location, expected):
    assert resolve(location, HERE) == expected


def test_a_redirect_keeps_the_fragment_unless_it_brings_its_own():
    assert resolve("/b", "http://a.test/a#top") == "http://a.test/b#top"
    assert resolve("/b#end", "http://a.test/a#top") == "http://a.test/b#end"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(301, "/x"), (302, "/x"), (303, "/x"), (307, "/x"), (308, "/x"), (200, None), (304, None)],
)
def test_only_redirect_statuses_have_a_location(status, expected):
    assert location_of(status, Headers([("Location", "/x")])) == expected


@pytest.mark.parametrize(
    ("url", "fetchable"),
    [
        ("http://a.test/", True),
        ("https://a.test/", True),
        ("ftp://a.test/f", False),
        ("http:///p", False),
    ],
)
def test_only_http_urls_with_a_host_are_followed(url, fetchable):
    assert is_fetchable(url) is fetchable


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("ftp://a.test/file", "not an http(s) URL"),
        ("mailto:someone@a.test", "not an http(s) URL"),
        ("http://[::1/x", "not a valid URL"),
        ("http://a.test:99999/", "not a valid URL"),
        ("http://a.test:port/", "not a valid URL"),
        ("http://a.test:0/", "port cannot be connected to"),
    ],
)
def test_a_location_that_cannot_be_followed_is_a_bad_redirect(location, problem):
    with pytest.raises(BadRedirect, match=re.escape(problem)):
        redirect_target(location, HERE)


def test_a_good_location_is_followed_to_its_absolute_url():
    assert redirect_target("/x", HERE) == "http://a.test/x"
    assert redirect_target("https://b.test:8443/y", HERE) == "https://b.test:8443/y"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/other", "http://a.test/other"),
        ("next", "http://a.test/dir/next"),
        ("//b.test/p", "http://b.test/p"),
        ("/a b", "http://a.test/a%20b"),
        ("/caf\u00e9", "http://a.test/caf%C3%A9"),  # text from the page, not a Latin-1 header
        ("/caf\u00c3\u00a9", "http://a.test/caf%C3%83%C2%A9"),  # so it is not "undone"
        ("/x\n/y\t", "http://a.test/x/y"),  # the URL parser drops tabs and line breaks
        ("/b", "http://a.test/b"),  # a new navigation: the current fragment stays behind
        ("/b#end", "http://a.test/b#end"),
    ],
)
def test_a_refresh_url_resolves_as_a_link_does(url, expected):
    assert refresh_target(url, HERE + "#top") == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://a.test/file", "meta refresh to 'ftp://a.test/file', which is not an http(s) URL"),
        ("javascript:go()", "meta refresh to 'javascript:go()', which is not an http(s) URL"),
        ("http://[::1/x", "meta refresh to 'http://[::1/x', which is not a valid URL"),
        ("http://a.test:0/", "meta refresh to 'http://a.test:0/', whose port cannot be"),
    ],
)
def test_a_refresh_that_cannot_be_followed_is_a_bad_redirect(url, problem):
    with pytest.raises(BadRedirect, match=re.escape(problem)):
        refresh_target(url, HERE)


CREDENTIALS = {"Authorization": "Bearer s", "cookie": "a=1", "Proxy-Authorization": "Basic x"}
HEADERS = {"User-Agent": "t", "X-Keep": "1", **CREDENTIALS}
PLAIN = {"User-Agent": "t", "X-Keep": "1"}


@pytest.mark.parametrize(
    ("current", "target", "kept"),
    [
        ("http://a.test/", "http://a.test/elsewhere", HEADERS),
        ("http://a.test/", "http://a.test:80/x", HEADERS),  # the default port, spelled out
        ("http://a.test/", "https://a.test/", HEADERS),  # an upgrade on the default ports
        ("http://a.test:8080/", "https://a.test/", PLAIN),  # not from the default port
        ("http://a.test/", "https://a.test:8443/", PLAIN),  # not to the default port
        ("https://a.test/", "http://a.test/", PLAIN),  # a downgrade: never in clear text
        ("http://a.test/", "http://a.test:8080/", PLAIN),  # another port
        ("http://a.test/", "http://b.test/", PLAIN),  # another host
        ("http://a.test/", "http://A.TEST/", HEADERS),  # host names ignore case
    ],
)
def test_credentials_follow_a_redirect_only_within_their_origin_as_requests_does(
    current, target, kept
):
    """Issue 14: requests' should_strip_auth, for Authorization, Cookie, Proxy-Authorization."""
    assert headers_for(HEADERS, current, target) == kept


def test_chain_cookies_go_to_the_hosts_that_set_them_only():
    cookies = ChainCookies()
    base = {"User-Agent": "t"}
    assert cookies.with_cookies(base, "http://a.test/") is base  # nothing set: nothing added
    cookies.take("http://a.test/login", Headers([("Set-Cookie", "consent=yes; Path=/")]))
    assert cookies.with_cookies(base, "http://a.test/home")["Cookie"] == "consent=yes"
    assert "Cookie" not in cookies.with_cookies(base, "http://b.test/home")
    assert base == {"User-Agent": "t"}
