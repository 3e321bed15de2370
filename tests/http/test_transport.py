"""The transport: its retry policy, where requests go, and kept-alive connections."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
from urllib3 import HTTPResponse
from urllib3.exceptions import LocationValueError, MaxRetryError, ProtocolError, SSLError
from urllib3.util.retry import Retry

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch.http import deadline
from titlefetch.http.origin import Origin
from titlefetch.http.proxies import ProxyPools
from titlefetch.http.transport import (
    BACKOFF_FACTOR,
    BACKOFF_JITTER,
    RETRY_AFTER_CEILING,
    Transport,
    new_retry,
    new_transport,
)
from titlefetch.http.transport import _Target as Target

URL = "http://example.test/"


def status_response(status: int, retry_after: str | None = None) -> HTTPResponse:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return HTTPResponse(body=b"", status=status, headers=headers, preload_content=False)


def test_backoff_is_0_then_doubles_from_twice_the_factor_with_jitter():
    retry: Retry = new_retry(4)
    waits = []
    for _ in range(4):
        retry = retry.increment("GET", URL, response=status_response(503))
        waits.append(retry.get_backoff_time())
    assert waits[0] == 0
    for wait, expected in zip(waits[1:], [2, 4, 8], strict=True):
        assert expected * BACKOFF_FACTOR <= wait <= expected * BACKOFF_FACTOR + BACKOFF_JITTER


def test_retries_are_spent_then_the_last_status_stands():
    retry = new_retry(1).increment("GET", URL, response=status_response(503))
    with pytest.raises(MaxRetryError):
        retry.increment("GET", URL, response=status_response(503))


@pytest.mark.parametrize(
    ("status", "retry_after", "retried"),
    [
        (503, None, True),
        (429, "1", True),
        (408, None, True),
        (500, None, False),
        (404, None, False),
        (429, str(int(RETRY_AFTER_CEILING)), True),
        (429, str(int(RETRY_AFTER_CEILING) + 1), False),
        (503, "Fri, 31 Dec 1999 23:59:59 GMT", True),  # a date in the past: retry now
    ],
)
def test_which_statuses_are_retried(status, retry_after, retried):
    retry = new_retry(2)
    response = status_response(status, retry_after)
    if not retry.is_retry("GET", status, retry_after is not None):
        assert not retried
        return
    if retried:
        retry.increment("GET", URL, response=response)
    else:
        with pytest.raises(MaxRetryError):
            retry.increment("GET", URL, response=response)


def test_only_get_is_retried():
    assert not new_retry(2).is_retry("POST", 503)


def test_tls_failure_is_not_retried():
    with pytest.raises(SSLError):
        new_retry(2).increment("GET", URL, error=SSLError("certificate verify failed"))


def test_dropped_connection_is_retried():
    retry = new_retry(2).increment("GET", URL, error=ProtocolError("aborted", OSError()))
    assert retry.total == 1


def test_http_proxy_pools_are_watched_too():
    manager = ProxyPools(per_host=3, verify=True).manager_for("http://127.0.0.1:3128")
    pool = manager.connection_from_url(URL)
    assert type(pool).__name__ == "_WatchedPool"
    assert pool.pool is not None and pool.pool.maxsize == 3


def test_proxy_pools_are_made_once_per_proxy_with_one_tls_context():
    proxy = ProxyPools(per_host=2, verify=True)
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


@pytest.mark.parametrize(
    ("url", "origin", "path", "host_header"),
    [
        ("http://Example.TEST/a?b=1", Origin("http", "example.test", 80), "/a?b=1", "example.test"),
        ("http://example.test", Origin("http", "example.test", 80), "/", "example.test"),
        ("http://example.test:80/", Origin("http", "example.test", 80), "/", "example.test"),
        ("https://example.test/", Origin("https", "example.test", 443), "/", "example.test"),
        ("http://h.test:8080/p", Origin("http", "h.test", 8080), "/p", "h.test:8080"),
        ("https://h.test:80/", Origin("https", "h.test", 80), "/", "h.test:80"),
        ("http://[::1]:8080/x", Origin("http", "::1", 8080), "/x", "[::1]:8080"),
        (
            "http://bücher.test/ä b#top",
            Origin("http", "xn--bcher-kva.test", 80),
            "/%C3%A4%20b",
            "xn--bcher-kva.test",
        ),
    ],
)
def test_a_url_names_its_origin_request_target_and_host_header(url, origin, path, host_header):
    assert Target.of(url) == Target(origin, path, host_header)


@pytest.mark.parametrize("url", ["http:///page", "http://exa mple.test:99999/"])
def test_a_url_without_a_usable_host_is_a_location_error(url):
    with pytest.raises(LocationValueError):
        Target.of(url)


@pytest.fixture
def transport() -> Iterator[Transport]:
    """A transport of its own (no retries), whose idle connections are closed afterwards."""
    made = new_transport(per_host=2, verify=True, retries=0, timeouts=(2.0, 5.0))
    yield made
    made.connections.close()


def closing_after_answer(title: str):
    """A keep-alive answer (Content-Length, no Connection: close), then the server hangs up:
    what a server does when its keep-alive timeout passes between two requests."""
    send = fs.page(fs.html(title))

    def handle(exchange: fs.Exchange) -> bool:
        send(exchange)
        return False

    return handle


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry(transport):
    with FaultServer() as server:
        for n in range(3):
            url = server.add(f"/{n}", closing_after_answer(f"Page {n}"))
            with deadline.attempt(5.0):
                response = transport.get(url, {})
                assert response.status == 200
                assert f"Page {n}".encode() in response.read1(4096)
                response.skip_rest(1024)
                response.release()
    assert server.connections == 3
    assert dict(server.hits) == {"/0": 1, "/1": 1, "/2": 1}


def test_a_kept_connection_carries_the_next_request(transport):
    with FaultServer() as server:
        for n in range(3):
            url = server.add(f"/{n}", fs.title_page(f"Page {n}"))
            with deadline.attempt(5.0):
                response = transport.get(url, {"X-Probe": str(n)})
                while response.read1(4096):
                    pass
                response.release()
        assert server.request_headers["/2"]["x-probe"] == "2"
    assert server.connections == 1


def test_retries_are_spent_on_a_dropped_connection_then_its_error_stands():
    transport = new_transport(per_host=2, verify=True, retries=2, timeouts=(2.0, 5.0))
    with FaultServer() as server:
        url = server.add("/page", fs.close_before_answering)
        with deadline.attempt(5.0), pytest.raises(MaxRetryError) as caught:
            transport.get(url, {})
    assert isinstance(caught.value.reason, ProtocolError)
    assert server.hits["/page"] == 3


def test_no_proxy_environment_means_no_proxy_pools(monkeypatch):
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    assert new_transport(per_host=1, verify=True, retries=0, timeouts=(1.0, 1.0)).proxies is None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert new_transport(per_host=1, verify=True, retries=0, timeouts=(1.0, 1.0)).proxies
