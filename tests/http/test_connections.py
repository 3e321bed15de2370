"""connections: opening (TCP, TLS) within the deadline, and keeping idle sockets per origin."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator

import pytest
import trustme
from urllib3.exceptions import ConnectTimeoutError

from tests import fault_server as fs
from titlefetch.http import connections, deadline
from titlefetch.http.connections import Connections, tls_context
from titlefetch.http.origin import Origin


def unused_context() -> ssl.SSLContext:
    raise AssertionError("a plain HTTP connection asked for TLS settings")


@pytest.fixture
def listener() -> Iterator[Origin]:
    """A port on 127.0.0.1 that accepts connections (into its backlog) and does nothing more."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as sock:
        yield Origin("http", "127.0.0.1", sock.getsockname()[1])


def test_a_new_connection_is_blocking_without_nagle_and_watched(listener):
    pool = Connections(per_host=2, tls_context=unused_context)
    with deadline.attempt(5.0):
        sock = pool.open(listener, connect_timeout=1.0)
    with sock:
        assert sock.getpeername()[1] == listener.port
        assert sock.gettimeout() is None  # the deadline's watchdog bounds reads, not a timeout
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_idle_sockets_come_back_newest_first_and_at_most_per_host_are_kept(listener):
    pool = Connections(per_host=2, tls_context=unused_context)
    opened = [pool.open(listener, connect_timeout=1.0) for _ in range(3)]
    for sock in opened:
        pool.give_back(listener, sock, reusable=True)
    assert opened[2].fileno() == -1  # no room: closed
    assert pool.take_idle(listener) is opened[1]
    assert pool.take_idle(listener) is opened[0]
    assert pool.take_idle(listener) is None
    for sock in opened:
        sock.close()


def test_a_socket_that_is_not_reusable_is_closed_not_kept(listener):
    pool = Connections(per_host=2, tls_context=unused_context)
    sock = pool.open(listener, connect_timeout=1.0)
    pool.give_back(listener, sock, reusable=False)
    assert sock.fileno() == -1
    assert pool.take_idle(listener) is None


def test_the_least_recently_used_origins_lose_their_idle_sockets(listener, monkeypatch):
    monkeypatch.setattr(connections, "MAX_ORIGINS", 2)
    pool = Connections(per_host=2, tls_context=unused_context)
    origins = [
        Origin("http", "127.0.0.1", listener.port),
        *(Origin("http", f"h{n}.test", 80) for n in range(2)),
    ]
    kept = []
    for origin in origins:  # one real socket each, filed under three origins
        sock = pool.open(listener, connect_timeout=1.0)
        pool.give_back(origin, sock, reusable=True)
        kept.append(sock)
    assert kept[0].fileno() == -1
    assert pool.take_idle(origins[0]) is None
    assert pool.take_idle(origins[2]) is kept[2]
    pool.close()
    assert kept[1].fileno() == -1
    kept[2].close()


def test_nothing_listening_is_refused():
    pool = Connections(per_host=1, tls_context=unused_context)
    with pytest.raises(ConnectionRefusedError):
        pool.open(Origin("http", "127.0.0.1", fs.closed_port()), connect_timeout=1.0)


def test_a_connect_that_never_completes_ends_at_the_connect_timeout():
    pool = Connections(per_host=1, tls_context=unused_context)
    with fs.full_listen_queue() as port:
        started = time.monotonic()
        with pytest.raises(ConnectTimeoutError, match="within 0.3s"):
            pool.open(Origin("http", "127.0.0.1", port), connect_timeout=0.3)
    assert 0.25 < time.monotonic() - started < 2.0


def test_the_connect_timeout_never_outlasts_the_attempts_deadline():
    pool = Connections(per_host=1, tls_context=unused_context)
    with fs.full_listen_queue() as port, deadline.attempt(0.3):
        started = time.monotonic()
        with pytest.raises(ConnectTimeoutError):
            pool.open(Origin("http", "127.0.0.1", port), connect_timeout=5.0)
    assert time.monotonic() - started < 2.0


@contextlib.contextmanager
def tls_server(ca: trustme.CA) -> Iterator[Origin]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with fs.FaultServer(tls=context) as server:
        server.add("/", fs.title_page("Secure"))
        yield Origin("https", "localhost", server.port)


def test_https_connections_verify_the_certificate_against_the_given_bundle(tmp_path):
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    pool = Connections(per_host=1, tls_context=lambda: tls_context(str(bundle)))
    with tls_server(ca) as origin, pool.open(origin, connect_timeout=2.0) as sock:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.gettimeout() is None
        certificate = sock.getpeercert()
        assert certificate is not None
        assert certificate["subjectAltName"] == (("DNS", "localhost"),)


def test_an_untrusted_certificate_fails_the_handshake():
    pool = Connections(per_host=1, tls_context=lambda: tls_context(True))
    with tls_server(trustme.CA()) as origin, pytest.raises(ssl.SSLCertVerificationError):
        pool.open(origin, connect_timeout=2.0)


def test_certificates_are_loaded_once_per_setting_and_only_for_https(listener):
    loads = []

    def counting() -> ssl.SSLContext:
        loads.append(1)
        return tls_context(False)

    pool = Connections(per_host=1, tls_context=counting)
    pool.open(listener, connect_timeout=1.0).close()
    assert loads == []
    tls_context.cache_clear()
    assert tls_context(True) is tls_context(True)
    assert tls_context.cache_info().misses == 1
    assert tls_context(False).verify_mode == ssl.CERT_NONE
    assert tls_context(True).verify_mode == ssl.CERT_REQUIRED
