"""fetch_page's `refresh`: a hop a final page asks for, followed as a redirect is (#18).

The pages here mark their refresh as `refresh:URL` in the body, read by a callback of the
test's own: which refreshes count is run/_work.py's and html/'s business, not fetch.py's.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests import fault_server as fs
from tests.fault_server import FaultServer
from tests.page_server import Page
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._fetch import Page as FetchedPage
from titlefetch.http._fetch import RunHooks, fetch_page

OPTIONS = FetchOptions(retries=0, timeout=5)
_MARK = re.compile(rb"refresh:(\S*)")


def marked_refresh(page: FetchedPage) -> str | None:
    found = _MARK.search(page.body)
    return found.group(1).decode() if found else None


def read_all(body: bytes, content_types: object) -> bool:
    return False


def refreshing(target: str, *headers: tuple[str, str]) -> Page:
    return Page(f"<title>Wait</title>refresh:{target}".encode(), headers=headers)


def redirect(location: str) -> Page:
    return Page(status=302, headers=(("Location", location),))


def fetch(url: str, options: FetchOptions = OPTIONS, hooks: RunHooks | None = None) -> FetchedPage:
    return fetch_page(url, options, is_enough=read_all, hooks=hooks, refresh=marked_refresh)


def test_a_chain_of_refreshes_and_redirects_counts_each_kind(server):
    server.add("/a", refreshing("/b"))
    server.add("/b", redirect("/c"))
    server.add("/c", refreshing(server.url("/d")))  # relative, then absolute
    server.add("/d", Page(b"<title>Landed</title>"))
    page = fetch(server.url("/a"))
    assert (page.final_url, page.status, page.body) == (
        server.url("/d"),
        200,
        b"<title>Landed</title>",
    )
    assert (page.redirects, page.refreshes) == (1, 2)
    assert [server.hits[path] for path in ("/a", "/b", "/c", "/d")] == [1, 1, 1, 1]


def test_without_the_callback_a_refresh_is_just_a_page(server):
    url = server.add("/a", refreshing("/b"))
    page = fetch_page(url, OPTIONS, is_enough=read_all)
    assert (page.final_url, page.refreshes) == (url, 0)
    assert "/b" not in server.hits


@pytest.mark.parametrize("target", ["", "#top", "/a", "/a#top"])
def test_a_refresh_to_the_page_itself_is_not_followed(server, target):
    url = server.add("/a", refreshing(target))
    page = fetch(url)
    assert (page.final_url, page.refreshes, page.body) == (
        url,
        0,
        f"<title>Wait</title>refresh:{target}".encode(),
    )
    assert server.hits["/a"] == 1


def test_refreshes_and_redirects_count_together_against_max_redirects(server):
    server.add("/a", refreshing("/b"))
    server.add("/b", redirect("/c"))
    server.add("/c", refreshing("/d"))
    server.add("/d", Page(b"<title>Landed</title>"))
    assert fetch(server.url("/a"), replace(OPTIONS, max_redirects=3)).final_url == server.url("/d")
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/a"), replace(OPTIONS, max_redirects=2))
    failure = caught.value
    assert failure.kind == "too_many_redirects"
    assert "more than 2 redirects and meta refreshes" in failure.message
    # how far it got: the page whose refresh was one hop too many
    assert (failure.redirects, failure.refreshes, failure.status) == (1, 1, 200)
    assert failure.final_url == server.url("/c")


def test_a_refresh_loop_is_too_many_redirects(server):
    server.add("/ping", refreshing("/pong"))
    server.add("/pong", refreshing("/ping"))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/ping"), replace(OPTIONS, max_redirects=5))
    failure = caught.value
    assert (failure.kind, failure.redirects, failure.refreshes) == ("too_many_redirects", 0, 5)
    assert (server.hits["/ping"], server.hits["/pong"]) == (3, 3)  # the first request and 5 hops


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "ftp://127.0.0.1/file",
            "meta refresh to 'ftp://127.0.0.1/file', which is not an http(s) URL",
        ),
        (
            "javascript:alert(1)",
            "meta refresh to 'javascript:alert(1)', which is not an http(s) URL",
        ),
        ("http://[::1/x", "meta refresh to 'http://[::1/x', which is not a valid URL"),
    ],
)
def test_a_refresh_to_no_http_url_is_a_bad_redirect_with_its_facts(server, target, message):
    server.add("/a", redirect("/b"))
    server.add("/b", refreshing(target))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/a"))
    failure = caught.value
    assert (failure.kind, failure.message) == ("bad_redirect", message)
    assert (failure.redirects, failure.refreshes, failure.status) == (1, 0, 200)
    assert failure.final_url == server.url("/b")


def test_a_refresh_to_another_host_moves_the_slot_there(server):
    entered: list[str] = []
    hooks = RunHooks(entering=entered.append, is_wanted=lambda url: False)
    with FaultServer() as other:
        target = other.add("/there", fs.title_page("There"))
        url = server.add("/a", refreshing(target))
        page = fetch(url, hooks=hooks)
    assert (page.final_url, entered) == (target, [target])


@pytest.mark.parametrize(("same_origin", "sent"), [(True, True), (False, False)])
def test_credentials_go_along_a_refresh_only_within_its_origin(same_origin, sent):
    """The rule for redirects (requests' should_strip_auth) holds for refreshes too."""
    options = replace(OPTIONS, headers=(("Authorization", "Bearer s3cret"), ("Cookie", "id=7")))
    with FaultServer() as server, FaultServer() as other:
        target = (server if same_origin else other).add("/end", fs.title_page("End"))
        url = server.add("/start", fs.page(f"<title>Wait</title>refresh:{target}".encode()))
        fetch(url, options)
        received = (server if same_origin else other).request_headers["/end"]
    assert ("authorization" in received, "cookie" in received) == (sent, sent)


def test_cookies_set_by_a_refreshing_page_go_to_its_target(server):
    url = server.add("/check", refreshing("/home", ("Set-Cookie", "passed=1; Path=/")))
    server.add("/home", Page(b"<title>Home</title>"))
    assert fetch(url).refreshes == 1
    assert server.request_headers["/home"].get("cookie") == "passed=1"
