"""The transport: retries as counted at the server, where requests go, kept-alive connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._deadline import Deadline
from titlefetch.http._origins import Origin
from titlefetch.http._transport import (
    BACKOFF_FACTOR,
    BACKOFF_JITTER,
    BACKOFF_MAX,
    RETRY_AFTER_CEILING,
    RetryPolicy,
    Transport,
    new_transport,
    seconds_asked,
)
from titlefetch.http._transport import _Target as Target
from titlefetch.http._trust import Trust

LIMITS = FetchOptions(timeout=5.0, connect_timeout=2.0)

UNVERIFIED = Trust("none", "nothing", "")  # the transports here speak plain HTTP


Make = Callable[..., Transport]


@pytest.fixture
def make() -> Iterator[Make]:
    """Transports of the test's own (they sleep into a list, if given one), whose idle
    connections are closed afterwards."""
    made: list[Transport] = []

    def make_transport(retries: int, sleeps: list[float] | None = None) -> Transport:
        new = new_transport(2, UNVERIFIED, RetryPolicy(retries, random=lambda: 0.0), LIMITS)
        if sleeps is not None:
            new = Transport(new.connections, new.proxies, new.policy, new.limits, sleeps.append)
        made.append(new)
        return new

    yield make_transport
    for transport in made:
        transport.connections.close()


@pytest.fixture
def transport(make: Make) -> Transport:
    return make(0)


@pytest.fixture
def deadline() -> Iterator[Deadline]:
    with Deadline(30.0) as running:
        yield running


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


@pytest.mark.parametrize(
    "url", ["http:///page", "http://exa mple.test:99999/", "http://h.test:0/", "http://[::1/"]
)
def test_a_url_without_a_usable_host_or_port_is_invalid_and_permanent(url):
    with pytest.raises(FetchError) as caught:
        Target.of(url)
    assert (caught.value.kind, caught.value.permanent) == ("invalid_url", True)


def closing_after_answer(title: str) -> fs.Handler:
    """A keep-alive answer (Content-Length, no Connection: close), then the server hangs up:
    what a server does when its keep-alive timeout passes between two requests."""
    send = fs.page(fs.html(title))

    def handle(exchange: fs.Exchange) -> bool:
        send(exchange)
        return False

    return handle


def read_to_end(transport: Transport, url: str, deadline: Deadline) -> bytes:
    response = transport.get(url, {}, deadline)
    body = b""
    while chunk := response.read1(4096):
        body += chunk
    response.release()
    return body


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry(transport, deadline):
    with FaultServer() as server:
        for n in range(3):
            url = server.add(f"/{n}", closing_after_answer(f"Page {n}"))
            assert f"Page {n}".encode() in read_to_end(transport, url, deadline)
    assert server.connections == 3
    assert dict(server.hits) == {"/0": 1, "/1": 1, "/2": 1}


def test_a_kept_connection_carries_the_next_request(transport, deadline):
    with FaultServer() as server:
        for n in range(3):
            url = server.add(f"/{n}", fs.title_page(f"Page {n}"))
            response = transport.get(url, {"X-Probe": str(n)}, deadline)
            while response.read1(4096):
                pass
            response.release()
        assert server.request_headers["/2"]["x-probe"] == "2"
    assert server.connections == 1


def test_a_response_sent_while_the_connection_was_idle_never_answers_the_next_request(
    transport, deadline
):
    """Issue 14: bytes that arrive on an idle kept-alive connection (a second response nobody
    asked for) must not be taken for the answer to the next request sent on it."""
    stray_sent = threading.Event()
    stray = fs.response_head("200 OK", "Content-Length: 20") + b"<title>Stray</title>"

    def answer_then_stray(exchange: fs.Exchange) -> bool:
        fs.title_page("First")(exchange)
        exchange.send(stray)  # after the response, while the client holds it idle
        stray_sent.set()
        return True

    with FaultServer() as server:
        first = server.add("/first", answer_then_stray)
        second = server.add("/second", fs.title_page("Second"))
        assert b"First" in read_to_end(transport, first, deadline)
        assert stray_sent.wait(5)
        assert b"<title>Second</title>" in read_to_end(transport, second, deadline)
    assert server.connections == 2


def test_retries_are_spent_on_a_dropped_connection_then_its_error_stands(make, deadline):
    sleeps: list[float] = []
    transport = make(2, sleeps)
    with FaultServer() as server:
        url = server.add("/page", fs.close_before_answering)
        with pytest.raises(FetchError) as caught:
            transport.get(url, {}, deadline)
    assert (caught.value.kind, caught.value.stage) == ("reset", "response")
    assert server.hits["/page"] == 3
    assert sleeps == [0.0, 0.5]
    # #23: the message says the time went on tries, as many as the server counted.
    assert caught.value.message.startswith("after 3 tries, ")


def test_a_503_is_retried_after_its_retry_after_and_the_last_one_stands(make, deadline):
    sleeps: list[float] = []
    transport = make(2, sleeps)
    busy = fs.page(b"", "503 Service Unavailable", "Retry-After: 3")
    with FaultServer() as server:
        url = server.add("/busy", busy)
        response = transport.get(url, {}, deadline)
        response.release()
    assert response.status == 503
    assert server.hits["/busy"] == 3
    assert sleeps == [3.0, 3.0]


def test_a_503_with_a_retry_after_that_does_not_parse_is_retried_as_usual(make, deadline):
    """Issue 14: `Retry-After: soon` was `reset` instead of the 503."""
    sleeps: list[float] = []
    transport = make(1, sleeps)
    busy = fs.page(b"<title>Busy</title>", "503 Service Unavailable", "Retry-After: soon")
    with FaultServer() as server:
        url = server.add("/busy", busy)
        response = transport.get(url, {}, deadline)
        response.release()
    assert response.status == 503
    assert (server.hits["/busy"], sleeps) == (2, [0.0])
    assert server.connections == 1  # the retried response was read and its connection kept


def test_a_permanent_failure_is_not_retried(make, deadline):
    sleeps: list[float] = []
    transport = make(2, sleeps)
    with FaultServer() as server:
        url = server.add("/headers", fs.huge_headers)
        with pytest.raises(FetchError) as caught:
            transport.get(url, {}, deadline)
    assert (caught.value.kind, caught.value.permanent) == ("too_large", True)
    assert (server.hits["/headers"], sleeps) == (1, [])
    assert "tries" not in caught.value.message  # tried once: nothing to tell


def test_nothing_listening_fails_at_the_connect_stage(transport, deadline):
    with pytest.raises(FetchError) as caught:
        transport.get(f"http://127.0.0.1:{fs.closed_port()}/", {}, deadline)
    assert (caught.value.kind, caught.value.stage) == ("refused", "connect")


def test_no_proxy_environment_means_no_proxy_pools(make, monkeypatch):
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    assert make(0).proxies is None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert make(0).proxies is not None


# Retries: which responses and failures are tried again, and the pause before each try.

NOW = 1_700_000_000.0  # seconds since the epoch: 2023-11-14 22:13:20 UTC


def policy(retries: int = 2, jitter: float = 0.0) -> RetryPolicy:
    return RetryPolicy(retries, random=lambda: jitter)


def test_backoff_is_0_then_doubles_from_twice_the_factor_up_to_the_maximum():
    waits = [policy().backoff(retry) for retry in range(1, 9)]
    assert waits == [0, 0.5, 1, 2, 4, 8, 8, 8]
    assert BACKOFF_FACTOR * 2 == 0.5 and BACKOFF_MAX == 8


def test_jitter_is_added_from_the_second_retry_on():
    jittery = policy(jitter=1.0)  # random() at its top
    assert jittery.backoff(1) == 0
    assert jittery.backoff(2) == 0.5 + BACKOFF_JITTER


@pytest.mark.parametrize(
    ("status", "retry_after", "pause"),
    [
        (503, None, 0.0),
        (429, "1", 1.0),
        (408, None, 0.0),
        (502, "", 0.0),
        (504, None, 0.0),
        (500, None, None),
        (404, None, None),
        (200, "5", None),
        (429, str(int(RETRY_AFTER_CEILING)), RETRY_AFTER_CEILING),
        (429, str(int(RETRY_AFTER_CEILING) + 1), None),  # too long a pause: the 429 is final
        (503, "Tue, 14 Nov 2023 22:13:25 GMT", 5.0),  # a date 5 s ahead
        (503, "Fri, 31 Dec 1999 23:59:59 GMT", 0.0),  # a date in the past: at once
        (503, "Fri, 31 Dec 9999 23:59:59 GMT", None),  # far ahead: the 503 is final
        (503, "soon", 0.0),  # unparsable: ignored, the usual backoff
        (503, "Fri, 31 Dec 99999 23:59:59 GMT", 0.0),  # a year Python cannot hold: ignored
        (503, "99999999999999999999999", None),
    ],
)
def test_which_statuses_are_retried_and_after_how_long(status, retry_after, pause):
    assert policy().pause_after_status(status, retry_after, 1, NOW) == pause


def test_retries_are_spent_then_the_last_status_stands():
    assert policy(retries=2).pause_after_status(503, None, 2, NOW) is not None
    assert policy(retries=2).pause_after_status(503, None, 3, NOW) is None
    assert policy(retries=0).pause_after_status(503, None, 1, NOW) is None


@pytest.mark.parametrize(
    ("failure", "retried"),
    [
        (FetchError("reset", "closed"), True),
        (FetchError("timeout", "late"), True),
        (FetchError("tls", "untrusted", permanent=True), False),
        (FetchError("dns", "unknown name", permanent=True), False),
    ],
)
def test_a_failure_is_retried_unless_it_is_permanent(failure, retried):
    assert (policy().pause_after_failure(failure, 1) is not None) is retried
    assert policy(retries=1).pause_after_failure(failure, 2) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("-1", None),
        ("1.5", None),
        ("Tue, 14 Nov 2023 22:14:20 GMT", 60.0),
        ("Tuesday, 14-Nov-23 22:14:20 GMT", 60.0),  # RFC 850, still allowed
        ("Tue Nov 14 22:14:20 2023", 60.0),  # asctime
        ("²", None),
        ("", None),
    ],
)
def test_retry_after_is_seconds_or_a_date_or_nothing(value, seconds):
    assert seconds_asked(value, NOW) == seconds
