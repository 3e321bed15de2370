"""The transport: retries as counted at the server, where requests go, kept-alive connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http.deadline import Deadline
from titlefetch.http.origin import Origin
from titlefetch.http.retries import RetryPolicy
from titlefetch.http.transport import Transport, new_transport
from titlefetch.http.transport import _Target as Target
from titlefetch.http.trust import Trust

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
