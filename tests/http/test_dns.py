"""Name lookups bounded by a timeout, and the fetch that relies on them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http import dns
from titlefetch.http.fetch import fetch_page


def stalled_resolver(seconds: float):
    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        time.sleep(seconds)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    return getaddrinfo


def test_address_literals_are_not_looked_up(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", stalled_resolver(10))
    assert dns.resolve("127.0.0.1", 80, 0.1) == ["127.0.0.1"]
    assert dns.resolve("[::1]", 80, 0.1) == ["::1"]


def test_addresses_keep_resolver_order_without_repeats(monkeypatch):
    infos = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args: infos)
    assert dns.resolve("two.test", 80, 1) == ["192.0.2.2", "192.0.2.1"]


def test_unknown_name_raises_gaierror():
    with pytest.raises(socket.gaierror):
        dns.resolve("something.invalid", 80, 5)


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
        dns.resolve("slow.test", 80, 0.1)


def test_stalled_resolver_cannot_hold_a_fetch_past_its_deadline(monkeypatch, release):
    monkeypatch.setattr(socket, "getaddrinfo", blocked_resolver(release))
    options = FetchOptions(timeout=0.2, connect_timeout=30, retries=0)
    with pytest.raises(FetchError) as caught:
        fetch_page("http://slow.test/", options, is_enough=lambda body, types: True)
    assert (caught.value.kind, caught.value.stage) == ("timeout", "connect")
    assert "--timeout" in caught.value.message
