"""serve_feed(): a batch that runs on as it is fed, sending each call's outcome as it ends.

A feed is one long task on a cluster worker (feeds.py starts one per worker for a run). It
listens on a TCP port of the worker's host for one connection from titlefetch, which must
first send the feed's key (random bytes titlefetch gave the task: nothing from anyone else is
unpickled). Then titlefetch sends batches (the payloads batching.py makes: groups of calls),
and the feed starts each as it arrives, `allowance` of a group's calls at a time, and sends
each call's outcome back as the call ends (those that end while a send is under way go
together). When titlefetch closes its end, the feed lets what runs end and returns. No import
of distributed here: the task in feeds.py passes in the worker's host and how to announce.
"""

from __future__ import annotations

import hmac
import pickle
import socket
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection

from titlefetch.run.batch_runner import start_groups
from titlefetch.run.executors.process import Outbox

KEY_BYTES = 32
Address = tuple[str, int]


def serve_feed(key: bytes, host: str, announce: Callable[[Address], object], wait: float) -> None:
    """Listen on `host`, announce the address, and run what the one connection that sends
    `key` within `wait` seconds feeds in, until it closes."""
    with socket.create_server((host, 0)) as server:
        server.settimeout(wait)
        announce(server.getsockname()[:2])
        try:
            peer = _accepted(server, key, wait)
        except OSError:  # nobody came with the key in time: titlefetch is gone
            return
    connection = Connection(peer.detach())
    outbox = Outbox(connection, gone=_drop)
    running: list[Future[None]] = []
    try:
        while True:
            try:
                payload = connection.recv_bytes()
            except (EOFError, OSError):  # titlefetch closed its end, or is gone
                break
            running = [thread for thread in running if not thread.done()]
            running += start_groups(pickle.loads(payload), outbox.put)
        for thread in running:
            thread.result()
    finally:
        connection.close()


def _accepted(server: socket.socket, key: bytes, wait: float) -> socket.socket:
    """The first connection to send `key`; others are closed unread."""
    while True:
        peer, _ = server.accept()
        peer.settimeout(wait)
        try:
            if hmac.compare_digest(_read_exactly(peer, len(key)), key):
                peer.settimeout(None)
                return peer
        except OSError:
            pass
        peer.close()


def _read_exactly(peer: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = peer.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _drop() -> None:
    """titlefetch is gone: the outcomes of the calls still running have nobody to go to."""
