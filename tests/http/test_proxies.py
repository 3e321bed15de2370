"""proxies: requests through the proxies the environment names, bounded by the deadline."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import certifi
import pytest

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._fetch import fetch_page
from titlefetch.http._proxies import ProxyPools
from titlefetch.http._trust import Trust

URL = "http://example.test/"
CERTIFI = Trust("openssl", "certifi", "", cafile=certifi.where())


def test_http_proxy_pools_are_watched_too():
    manager = ProxyPools(per_host=3, trust=CERTIFI).manager_for("http://127.0.0.1:3128")
    pool = manager.connection_from_url(URL)
    assert type(pool).__name__ == "_WatchedPool"
    assert pool.pool is not None and pool.pool.maxsize == 3


def test_proxy_pools_are_made_once_per_proxy_with_one_tls_context():
    proxy = ProxyPools(per_host=2, trust=CERTIFI)
    first = proxy.manager_for("http://127.0.0.1:3128")
    assert first is proxy.manager_for("http://127.0.0.1:3128")
    context = first.connection_from_url("https://a.test/").conn_kw["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context is first.connection_from_url("https://b.test/").conn_kw["ssl_context"]


@pytest.mark.parametrize(
    ("proxy", "watched"),
    [("http://127.0.0.1:3128", True), ("SOCKS5://127.0.0.1:1080", False), ("socks5h://p", False)],
)
def test_only_socks_proxies_go_unwatched(proxy, watched):
    assert ProxyPools.watches(proxy) is watched


@pytest.fixture
def proxy(monkeypatch) -> Iterator[FaultServer]:
    """A fault server standing in for a plain HTTP proxy: it gets the absolute URL as path."""
    with FaultServer() as server:
        for name in ("NO_PROXY", "no_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", server.base)
        yield server


def test_a_proxied_page_gets_its_title(proxy):
    proxy.add("http://proxied.invalid/page", fs.title_page("Through the proxy"))
    options = FetchOptions(retries=0, user_agent="proxy/page")  # a new client, with proxies
    page = fetch_page("http://proxied.invalid/page", options, is_enough=lambda body, types: False)
    assert b"Through the proxy" in page.body


def test_a_proxy_that_trickles_ends_at_the_deadline(proxy):
    proxy.add("http://proxied.invalid/slow", fs.trickle)
    options = FetchOptions(retries=0, timeout=0.3, user_agent="proxy/trickle")  # a new client
    with pytest.raises(FetchError) as caught:
        fetch_page("http://proxied.invalid/slow", options, is_enough=lambda body, types: False)
    assert caught.value.kind == "timeout"


def test_a_proxy_that_refuses_is_a_connection_level_failure(monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{fs.closed_port()}")
    options = FetchOptions(retries=0, timeout=5.5, user_agent="proxy/refused")  # a new client
    with pytest.raises(FetchError) as caught:
        fetch_page("http://proxied.invalid/x", options, is_enough=lambda body, types: False)
    assert (caught.value.kind, caught.value.stage) == ("refused", "connect")
