"""_connections: opening (TCP, TLS) within the deadline, and keeping idle sockets per origin."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import certifi
import pytest
import trustme
from urllib3.exceptions import ConnectTimeoutError

from tests import fault_server as fs
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http import _connections as connections
from titlefetch.http._connections import Connections, is_quiet
from titlefetch.http._deadline import Deadline
from titlefetch.http._fetch import fetch_page
from titlefetch.http._origins import Origin
from titlefetch.http._trust import Trust, tls_context


def unused_context() -> ssl.SSLContext:
    raise AssertionError("a plain HTTP connection asked for TLS settings")


@pytest.fixture
def deadline() -> Iterator[Deadline]:
    with Deadline(30.0) as running:
        yield running


@pytest.fixture
def listener() -> Iterator[Origin]:
    """A port on 127.0.0.1 that accepts connections (into its backlog) and does nothing more."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as sock:
        yield Origin("http", "127.0.0.1", sock.getsockname()[1])


def test_a_new_connection_is_blocking_without_nagle_and_watched(listener, deadline):
    pool = Connections(per_host=2, tls_context=unused_context)
    sock = pool.open(listener, 1.0, deadline)
    assert id(sock) in deadline.sockets
    with sock:
        assert sock.getpeername()[1] == listener.port
        assert sock.gettimeout() is None  # the deadline's watchdog bounds reads, not a timeout
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_idle_sockets_come_back_newest_first_and_at_most_per_host_are_kept(listener, deadline):
    pool = Connections(per_host=2, tls_context=unused_context)
    opened = [pool.open(listener, 1.0, deadline) for _ in range(3)]
    for sock in opened:
        pool.give_back(listener, sock, reusable=True)
    assert opened[2].fileno() == -1  # no room: closed
    assert pool.take_idle(listener, deadline) is opened[1]
    assert pool.take_idle(listener, deadline) is opened[0]
    assert pool.take_idle(listener, deadline) is None
    for sock in opened:
        sock.close()


def test_a_socket_that_is_not_reusable_is_closed_not_kept(listener, deadline):
    pool = Connections(per_host=2, tls_context=unused_context)
    sock = pool.open(listener, 1.0, deadline)
    pool.give_back(listener, sock, reusable=False)
    assert sock.fileno() == -1
    assert pool.take_idle(listener, deadline) is None


@pytest.mark.parametrize(
    ("arrival", "stray"),
    [(b"HTTP/1.1 200 OK\r\n\r\n", True), (b"\r\n", True), (None, False)],
)
def test_an_idle_socket_on_which_anything_arrived_is_closed_not_reused(deadline, arrival, stray):
    """Issue 14: bytes on an idle connection are a response nobody asked for; None: the
    server closed it. Issue 22: after bytes, no connection to that origin is reused."""
    origin = Origin("http", "pool.test", 80)
    pool = Connections(per_host=2, tls_context=unused_context)
    quiet, quiet_peer = socket.socketpair()
    noisy, noisy_peer = socket.socketpair()
    with quiet, quiet_peer, noisy, noisy_peer:
        pool.give_back(origin, quiet, reusable=True)
        pool.give_back(origin, noisy, reusable=True)  # the newest: handed out first
        if arrival is None:
            noisy_peer.shutdown(socket.SHUT_WR)
        else:
            noisy_peer.sendall(arrival)
        assert not is_quiet(noisy)
        assert pool.take_idle(origin, deadline) is (None if stray else quiet)
        assert noisy.fileno() == -1
        assert (quiet.fileno() == -1) is stray
        assert (origin in pool.strays) is stray
        assert pool.take_idle(origin, deadline) is None


def test_no_connection_to_an_origin_that_sent_bytes_past_a_response_is_kept(deadline):
    """Issue 22: once bytes came past a response's end, every connection is closed after use."""
    origin, other = Origin("http", "pool.test", 80), Origin("http", "other.test", 80)
    pool = Connections(per_host=2, tls_context=unused_context)
    first, second, third = (socket.socketpair() for _ in range(3))
    with first[0], first[1], second[0], second[1], third[0], third[1]:
        pool.give_back(origin, first[0], reusable=False, stray=True)
        pool.give_back(origin, second[0], reusable=True)
        pool.give_back(other, third[0], reusable=True)
        assert second[0].fileno() == -1
        assert pool.take_idle(origin, deadline) is None
        assert pool.take_idle(other, deadline) is third[0]


def test_checking_that_a_socket_is_quiet_only_peeks():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert is_quiet(ours)
        theirs.sendall(b"x")
        assert not is_quiet(ours)
        assert ours.recv(1) == b"x"  # the check only peeked


def test_the_least_recently_used_origins_lose_their_idle_sockets(listener, deadline, monkeypatch):
    monkeypatch.setattr(connections, "MAX_ORIGINS", 2)
    pool = Connections(per_host=2, tls_context=unused_context)
    origins = [
        Origin("http", "127.0.0.1", listener.port),
        *(Origin("http", f"h{n}.test", 80) for n in range(2)),
    ]
    kept = []
    for origin in origins:  # one real socket each, filed under three origins
        sock = pool.open(listener, 1.0, deadline)
        pool.give_back(origin, sock, reusable=True)
        kept.append(sock)
    assert kept[0].fileno() == -1
    assert pool.take_idle(origins[0], deadline) is None
    assert pool.take_idle(origins[2], deadline) is kept[2]
    pool.close()
    assert kept[1].fileno() == -1
    kept[2].close()


def test_nothing_listening_is_refused(deadline):
    pool = Connections(per_host=1, tls_context=unused_context)
    with pytest.raises(ConnectionRefusedError):
        pool.open(Origin("http", "127.0.0.1", fs.closed_port()), 1.0, deadline)


def test_a_connect_that_never_completes_ends_at_the_connect_timeout(deadline):
    pool = Connections(per_host=1, tls_context=unused_context)
    with fs.full_listen_queue() as port, pytest.raises(ConnectTimeoutError, match="within 0.2s"):
        pool.open(Origin("http", "127.0.0.1", port), 0.2, deadline)


def test_the_connect_timeout_never_outlasts_the_attempts_deadline():
    pool = Connections(per_host=1, tls_context=unused_context)
    with (
        fs.full_listen_queue() as port,
        Deadline(0.2) as deadline,
        pytest.raises(ConnectTimeoutError, match="within") as caught,
    ):
        pool.open(Origin("http", "127.0.0.1", port), 30.0, deadline)
    used = float(str(caught.value).rsplit("within ", 1)[1].rstrip("s"))
    assert 0 < used <= 0.2  # the attempt's rest, not the 30 s connect timeout


@contextlib.contextmanager
def tls_server(ca: trustme.CA) -> Iterator[Origin]:
    with fs.FaultServer(tls=fs.server_tls(ca, "localhost")) as server:
        server.add("/", fs.title_page("Secure"))
        yield Origin("https", "localhost", server.port)


def test_https_connections_verify_the_certificate_against_the_given_bundle(tmp_path, deadline):
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    trust = Trust("openssl", "the test's CA", "", cafile=str(bundle))
    pool = Connections(per_host=1, tls_context=lambda: tls_context(trust))
    with tls_server(ca) as origin, pool.open(origin, 2.0, deadline) as sock:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.gettimeout() is None
        certificate = sock.getpeercert()
        assert certificate is not None
        assert certificate["subjectAltName"] == (("DNS", "localhost"),)


def test_an_untrusted_certificate_fails_the_handshake(deadline):
    trust = Trust("openssl", "certifi", "", cafile=certifi.where())
    pool = Connections(per_host=1, tls_context=lambda: tls_context(trust))
    with tls_server(trustme.CA()) as origin, pytest.raises(ssl.SSLCertVerificationError):
        pool.open(origin, 2.0, deadline)


def test_certificates_are_loaded_only_for_https(listener, deadline):
    loads = []

    def counting() -> ssl.SSLContext:
        loads.append(1)
        return tls_context(Trust("none", "nothing", ""))

    pool = Connections(per_host=1, tls_context=counting)
    pool.open(listener, 1.0, deadline).close()
    assert loads == []


# Name lookups bounded by a timeout, and the fetch that relies on them.


def stalled_resolver(seconds: float):
    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        time.sleep(seconds)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    return getaddrinfo


def test_address_literals_are_not_looked_up(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", stalled_resolver(10))
    assert connections.resolve("127.0.0.1", 80, 0.1) == ["127.0.0.1"]
    assert connections.resolve("[::1]", 80, 0.1) == ["::1"]


def test_addresses_keep_resolver_order_without_repeats(monkeypatch):
    infos = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args: infos)
    assert connections.resolve("two.test", 80, 1) == ["192.0.2.2", "192.0.2.1"]


def test_unknown_name_raises_gaierror():
    with pytest.raises(socket.gaierror):
        connections.resolve("something.invalid", 80, 5)


def blocked_resolver(release: threading.Event):
    """A resolver that answers only once `release` is set (the test sets it at its end)."""

    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    return getaddrinfo


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_stalled_resolver_gives_up_at_the_timeout(monkeypatch, release):
    monkeypatch.setattr(socket, "getaddrinfo", blocked_resolver(release))
    with pytest.raises(TimeoutError, match="within 0.1s"):
        connections.resolve("slow.test", 80, 0.1)


def test_stalled_resolver_cannot_hold_a_fetch_past_its_deadline(monkeypatch, release):
    monkeypatch.setattr(socket, "getaddrinfo", blocked_resolver(release))
    options = FetchOptions(timeout=0.2, connect_timeout=30, retries=0)
    with pytest.raises(FetchError) as caught:
        fetch_page("http://slow.test/", options, is_enough=lambda body, types: True)
    assert (caught.value.kind, caught.value.stage) == ("timeout", "connect")
    assert "--timeout" in caught.value.message
