"""Where a redirect leads and what goes along with it (redirects.py), without a network."""

from __future__ import annotations

import pytest

from titlefetch.http.http1 import Headers
from titlefetch.http.redirects import ChainCookies, headers_for, is_fetchable, location_of, resolve

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


def test_credentials_and_cookies_stay_with_their_host():
    headers = {"User-Agent": "t", "Authorization": "Bearer s", "cookie": "a=1", "X-Keep": "1"}
    assert headers_for(headers, HERE, "http://a.test/elsewhere") == headers
    assert headers_for(headers, HERE, "http://b.test/") == {"User-Agent": "t", "X-Keep": "1"}


def test_chain_cookies_go_to_the_hosts_that_set_them_only():
    cookies = ChainCookies()
    base = {"User-Agent": "t"}
    assert cookies.with_cookies(base, "http://a.test/") is base  # nothing set: nothing added
    cookies.take("http://a.test/login", Headers([("Set-Cookie", "consent=yes; Path=/")]))
    assert cookies.with_cookies(base, "http://a.test/home")["Cookie"] == "consent=yes"
    assert "Cookie" not in cookies.with_cookies(base, "http://b.test/home")
    assert base == {"User-Agent": "t"}
