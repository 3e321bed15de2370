"""Shared fixtures: a real HTTP server on 127.0.0.1 whose pages each test defines."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.page_server import PageServer

# No test may read proxy settings: every request goes straight to 127.0.0.1.
for _name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"


@pytest.fixture
def server() -> Iterator[PageServer]:
    """A page server on a free port of 127.0.0.1, shut down after the test."""
    with PageServer() as running:
        yield running


@pytest.fixture(autouse=True, scope="session")
def _idle_connections_closed_at_the_end() -> Iterator[None]:
    """Clients live as long as their process; close their sockets before the interpreter does
    (it would warn about each one)."""
    yield
    from titlefetch.http.fetch import close_clients

    close_clients()


@pytest.fixture(autouse=True)
def _no_titlefetch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults from a developer's TITLEFETCH_* variables must not change what tests see."""
    for name in list(os.environ):
        if name.startswith("TITLEFETCH_") or name == "NO_COLOR":
            monkeypatch.delenv(name)
