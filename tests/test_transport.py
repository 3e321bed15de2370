"""The transport's retry policy and pools, without a network."""

from __future__ import annotations

import ssl

import pytest
from urllib3 import HTTPResponse, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, ProtocolError, SSLError
from urllib3.util.retry import Retry

from titlefetch.transport import (
    BACKOFF_FACTOR,
    BACKOFF_JITTER,
    RETRY_AFTER_CEILING,
    ProxyPools,
    new_pools,
    new_retry,
)

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


def test_pools_keep_per_host_idle_connections_and_never_block():
    manager = new_pools(per_host=3, verify=True)
    pool = manager.connection_from_url(URL)
    assert pool.pool is not None
    assert (pool.pool.maxsize, pool.block) == (3, False)
    assert type(pool).__name__ == "_WatchedPool"
    assert type(manager.connection_from_url("https://x.test/")).__name__ == "_WatchedHTTPSPool"


@pytest.mark.parametrize(("verify", "mode"), [(True, ssl.CERT_REQUIRED), (False, ssl.CERT_NONE)])
def test_pools_verify_certificates_unless_told_not_to(verify, mode):
    pool = new_pools(per_host=1, verify=verify).connection_from_url("https://x.test/")
    assert isinstance(pool, HTTPSConnectionPool)
    context = pool.conn_kw["ssl_context"]  # one context for every connection: one bundle load
    assert context.verify_mode == mode
    assert context.check_hostname is (mode == ssl.CERT_REQUIRED)
    assert pool.cert_reqs == mode.name


def test_http_proxy_pools_are_watched_too():
    manager = ProxyPools(per_host=3, verify=True).manager_for("http://127.0.0.1:3128")
    pool = manager.connection_from_url(URL)
    assert type(pool).__name__ == "_WatchedPool"
    assert pool.pool is not None and pool.pool.maxsize == 3


def test_certificates_are_loaded_once_and_only_for_https():
    from titlefetch.transport import _tls_context

    _tls_context.cache_clear()
    manager = new_pools(per_host=2, verify=True)
    manager.connection_from_url("http://plain.test/")
    assert _tls_context.cache_info().currsize == 0
    first = manager.connection_from_url("https://a.test/").conn_kw["ssl_context"]
    second = manager.connection_from_url("https://b.test/").conn_kw["ssl_context"]
    proxy = ProxyPools(per_host=2, verify=True)
    assert proxy.manager_for("http://127.0.0.1:3128") is proxy.manager_for("http://127.0.0.1:3128")
    assert first is second
    assert _tls_context.cache_info().misses == 1


@pytest.mark.parametrize(
    ("proxy", "watched"),
    [("http://127.0.0.1:3128", True), ("SOCKS5://127.0.0.1:1080", False), ("socks5h://p", False)],
)
def test_only_socks_proxies_go_unwatched(proxy, watched):
    assert ProxyPools.watches(proxy) is watched
