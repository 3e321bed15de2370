"""The HTTP client of a process: one per FetchOptions, built on first use and shared by the
process's threads (its kept-alive connections above all)."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field

from titlefetch._options import FetchOptions
from titlefetch.http._codings import accept_encoding
from titlefetch.http._origins import StrayOrigins, StrayTable, UnreachableOrigins
from titlefetch.http._transport import RetryPolicy, Transport, new_transport
from titlefetch.http._trust import Trust, choose_trust

_clients: dict[FetchOptions, Client] = {}
_clients_lock = threading.Lock()
_strays = StrayOrigins()  # this process's, shared by its clients (and, given a table, the run's)


@dataclass(frozen=True, slots=True)
class Client:
    """What a process needs to fetch with one FetchOptions, built once, shared by its threads."""

    transport: Transport
    headers: dict[str, str]
    # https origins of host lines that could not be reached lately (_fallback.py)
    unreachable: UnreachableOrigins = field(default_factory=UnreachableOrigins)


def _forget_after_fork() -> None:
    # A forked worker must not use the parent's pooled connections: two processes would write
    # requests to one socket and read each other's responses.
    global _clients_lock, _strays
    _clients.clear()
    _clients_lock = threading.Lock()
    _strays = StrayOrigins()


os.register_at_fork(after_in_child=_forget_after_fork)


def client_for(options: FetchOptions) -> Client:
    """This process's client for `options`, built on first use and shared by its threads."""
    client = _clients.get(options)
    if client is None:
        with _clients_lock:
            client = _clients.get(options)
            if client is None:
                client = _clients[options] = _new_client(options)
    return client


def share_strays(table: StrayTable | None) -> None:
    """Share the origins whose connections are not reused with the other processes that
    were given `table` (new_table(); the process backend's workers, at start)."""
    global _strays
    _strays = StrayOrigins(table)


def forget_strays() -> None:
    """Reuse connections to every origin again (a new run in this process)."""
    _strays.clear()


def close_clients() -> None:
    """Close this process's idle kept-alive connections (a long-lived host process, tests)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.transport.connections.close()


def _new_client(options: FetchOptions) -> Client:
    # What requests sends; Accept-Encoding names exactly the codings _codings.py decodes here.
    headers = {
        "User-Agent": options.user_agent,
        "Accept-Encoding": accept_encoding(),
        "Accept": "*/*",
        "Connection": "keep-alive",
    }
    for name, value in options.headers:  # --header replaces a default of any letter case
        for same in [key for key in headers if key.lower() == name.lower()]:
            del headers[same]
        headers[name] = value
    policy = RetryPolicy(options.retries)
    transport = new_transport(options.per_host, _trust(options), policy, options, strays=_strays)
    return Client(transport=transport, headers=headers)


def _trust(options: FetchOptions) -> Trust:
    """What to verify certificates against (_trust.py has the order)."""
    return choose_trust(
        verify=options.verify,
        ca_bundle=options.ca_bundle,
        store=options.trust,
        environ=os.environ,
        platform=sys.platform,
    )
