"""Name lookups bounded by a timeout, and the fetch that relies on them."""

from __future__ import annotations

import socket
import time

import pytest

from titlefetch.errors import FetchError
from titlefetch.http import dns
from titlefetch.http.fetch import FetchOptions, fetch_page


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


def test_stalled_resolver_gives_up_at_the_timeout(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", stalled_resolver(5))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        dns.resolve("slow.test", 80, 0.3)
    assert time.monotonic() - started < 1.5


def test_stalled_resolver_cannot_hold_a_fetch_past_its_deadline(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", stalled_resolver(5))
    options = FetchOptions(timeout=0.5, connect_timeout=5, retries=0)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_page("http://slow.test/", options, is_enough=lambda body, types: True)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 2
