"""Feeds: long tasks on a Dask cluster, one per worker, fed batches over sockets of their own.

A task per batch costs the scheduler and the client a millisecond or so, and a batch's
allowance came back only when its slowest call ended. A feed (_on_workers.py) is one task for
the whole run: it announces its address as a Dask event, titlefetch connects to it directly
(as a Dask client reaches its workers) and sends it batches as they are cut, and it sends back
each call's outcome as the call ends. So the scheduler sees one task per worker, and a slot is
free, and a result printed, as soon as its fetch ends.

If a feed's worker dies, its calls that had not ended are lost to it: they run again alone
(_batching.py), and Dask starts the feed again elsewhere, which announces itself anew. A feed
that Dask gives up on is replaced, a few times at most.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any

from distributed import Client, Future, get_worker
from distributed.comm.addressing import get_address_host

from titlefetch.run.executors.dask._batching import Batch, Call
from titlefetch.run.executors.dask._on_workers import KEY_BYTES, Address, serve_feed
from titlefetch.run.executors.process import Outcome

CONNECT_SECONDS = 10  # how long a feed and titlefetch wait for each other
FIRST_FEED_SECONDS = 2  # how long the first batches wait for a feed, before tasks of their own


def run_feed(key: bytes, topic: str, name: str) -> None:
    """The task of one feed: serve on the worker's host, announced as an event on `topic`."""
    worker = get_worker()

    def announce(address: Address) -> None:
        worker.log_event(topic, [name, address[0], address[1]])

    serve_feed(key, get_address_host(worker.address), announce, CONNECT_SECONDS)


class Link:
    """titlefetch's end of one feed, and the calls sent on it that have not ended."""

    def __init__(self, name: str, peer: socket.socket) -> None:
        self.name = name
        self.peer = peer
        self.connection = Connection(os.dup(peer.fileno()))
        self.running: dict[int, Call] = {}
        self.sending = threading.Lock()

    def close(self) -> None:
        """Tell the feed that nothing more comes: it returns once its calls end."""
        with contextlib.suppress(OSError):  # gone already
            self.peer.shutdown(socket.SHUT_WR)


class Feeds:
    """The feeds of a run: started on `client`'s cluster, fed batches, their outcomes passed
    to `deliver`, and the calls of a lost feed to `lose`."""

    def __init__(
        self,
        client: Client,
        deliver: Callable[[list[Outcome]], None],
        lose: Callable[[list[Call]], None],
    ) -> None:
        self._client = client
        self._deliver = deliver
        self._lose = lose
        self._topic = f"titlefetch-feeds-{uuid.uuid4().hex}"
        self._keys: dict[str, bytes] = {}  # feed name -> its key
        self._links: dict[str, Link] = {}  # feeds connected
        self._lock = threading.Lock()
        self._ready = threading.Event()  # the first feeds all connected
        self._first = 0  # how many feeds were started first
        self._closing = False
        self._spares = 0  # feeds that may still replace ones Dask gave up on
        self._first_by = 0.0  # until when batches wait for a first feed to connect
        client.subscribe_topic(self._topic, self._announced)  # type: ignore[no-untyped-call]

    def start(self, count: int) -> list[tuple[None, Future[None]]]:
        """Start `count` feeds, one per worker the cluster has now; their tasks (beside None,
        for the executor's list of tasks and their batches)."""
        workers = list(self._client.scheduler_info().get("workers", ()))
        self._spares = max(self._spares, count)
        if not self._first_by:
            self._first_by = time.monotonic() + FIRST_FEED_SECONDS
            self._first = count
        tasks: list[tuple[None, Future[None]]] = []
        for n in range(count):
            name = f"titlefetch-feed-{uuid.uuid4().hex}"
            self._keys[name] = secrets.token_bytes(KEY_BYTES)
            where: dict[str, Any] = {}
            if workers:
                where = {"workers": [workers[n % len(workers)]], "allow_other_workers": True}
            task = self._client.submit(
                run_feed, self._keys[name], self._topic, name, key=name, pure=False, **where
            )
            tasks.append((None, task))
        return tasks

    @property
    def connected(self) -> bool:
        """Whether a feed is connected."""
        return bool(self._links)

    def send(self, batch: Batch) -> str | None:
        """Send `batch` to the connected feed with the fewest calls running, and name it; None
        if none is connected (at the start, after waiting a little for the first feeds)."""
        self._ready.wait(max(0.0, self._first_by - time.monotonic()))
        with self._lock:
            if not self._links:
                return None
            link = min(self._links.values(), key=lambda each: len(each.running))
            link.running.update((call.id, call) for call in batch.calls)
        self._send(link, batch.payload)
        return link.name

    def send_to(self, name: str, payload: bytes, calls: Iterable[Call]) -> bool:
        """Send more calls to feed `name`; False if it is gone (its calls were lost)."""
        with self._lock:
            link = self._links.get(name)
            if link is None:
                return False
            link.running.update((call.id, call) for call in calls)
        self._send(link, payload)
        return True

    def _send(self, link: Link, payload: bytes) -> None:
        try:
            with link.sending:
                link.connection.send_bytes(payload)
        except OSError:  # its reader finds the feed gone, and loses the calls
            link.close()

    def ended(self, name: str, *, replace: bool) -> list[tuple[None, Future[None]]]:
        """A feed's task ended: its calls that had not ended are lost; with `replace`, a
        replacement if the run goes on and spares are left."""
        self._drop(name)
        with self._lock:
            if not replace or self._closing or self._spares <= 0:
                return []
            self._spares -= 1
        return self.start(1)

    def calls(self) -> Iterable[Call]:
        with self._lock:
            return [call for link in self._links.values() for call in link.running.values()]

    def close(self) -> None:
        """Tell every feed that nothing more comes."""
        with self._lock:
            self._closing = True
            links = list(self._links.values())
        for link in links:
            link.close()
        if self._client.status == "running":
            self._client.unsubscribe_topic(self._topic)  # type: ignore[no-untyped-call]

    def _announced(self, event: tuple[float, list[Any]]) -> None:
        """A feed (re)started and listens (on the client's event loop: connect elsewhere)."""
        name, host, port = event[1]
        if name in self._keys:
            threading.Thread(
                target=self._link, args=(name, (host, port)), name="titlefetch-feed", daemon=True
            ).start()

    def _link(self, name: str, address: Address) -> None:
        """Connect to a feed, then pass on its outcomes until it is gone."""
        self._drop(name)  # an earlier run of this feed, on a worker that died
        try:
            peer = socket.create_connection(address, timeout=CONNECT_SECONDS)
        except OSError:
            return  # the feed gives up waiting, its task ends, and ended() replaces it
        try:
            peer.sendall(self._keys[name])
            peer.settimeout(None)
        except OSError:
            peer.close()
            return
        link = Link(name, peer)
        with self._lock:
            if self._closing:
                link.close()
            self._links[name] = link
            if len(self._links) >= self._first:
                self._ready.set()
        self._read(link)

    def _read(self, link: Link) -> None:
        """Pass on the feed's outcomes until it is gone. Whatever ends the reading (an error
        too, which still reaches threading.excepthook), the feed is dropped and the calls it
        had whose outcomes were not passed on run again: nothing waits for them forever."""
        try:
            while True:
                try:
                    message = link.connection.recv_bytes()
                except (EOFError, OSError):  # gone
                    break
                outcomes: list[Outcome] = pickle.loads(message)
                self._deliver(outcomes)
                with self._lock:
                    for call_id, _, _ in outcomes:
                        link.running.pop(call_id, None)
        finally:
            self._drop(link.name, link)
            link.connection.close()
            link.peer.close()

    def _drop(self, name: str, link: Link | None = None) -> None:
        """Forget feed `name` (only if it is still `link`), and lose its calls."""
        with self._lock:
            current = self._links.get(name)
            if current is None or (link is not None and current is not link):
                return
            del self._links[name]
            lost = list(current.running.values())
            current.running.clear()
        with contextlib.suppress(OSError):  # its reader, if it still reads, ends and closes it
            current.peer.shutdown(socket.SHUT_RDWR)
        if lost:
            self._lose(lost)
