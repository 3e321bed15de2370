"""What each way of talking to a running Dask task costs the scheduler and the client, per message.

The dask backend needs two channels beside its tasks: outcomes from a running batch back to
titlefetch as each fetch ends, and new calls into a batch while it runs. This measures the
candidates on a running cluster (dask_cluster.py: a scheduler and two workers), each sending
`--messages` messages of `--bytes` bytes at `--rate` a second (about a fetch's outcome, at
the pace of a list of many hosts), and prints the CPU per message at the client (this
process), the scheduler and the workers:

- `idle`: nothing sent, for as long as the others run (the floor the others include);
- `task`: a task per message (`client.submit`, results through `as_completed`);
- `queue-in`: the client puts into a `distributed.Queue`, a running task gets;
- `queue-out`: a running task puts into a Queue, the client gets;
- `event-out`: a running task's worker logs an event (`Worker.log_event`), the client is
  subscribed to the topic (`Client.subscribe_topic`);
- `actor-in`: the client calls an actor's method (directly on its worker), which keeps it;
- `feed-in`: titlefetch's feeds (the dask backend's _feeds.py), started beforehand: a batch of
  one call per message, sent over the feed's own socket; the outcomes come back the same way;
- `feed-out`: one batch whose calls end at the pace (each sleeps a message's time), each
  outcome sent back as it ends.

    .venv/bin/python benchmarks/dask_channels.py --messages 2000 --rate 400
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from dask_cluster import Cluster, running_cluster
from distributed import Client, Queue, as_completed, get_worker

from titlefetch.run.executors.dask._batching import Batch, Call
from titlefetch.run.executors.dask._feeds import Feeds
from titlefetch.run.executors.dask._lanes import Group


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _paced(count: int, rate: float, send: Callable[[int], object]) -> None:
    start = time.perf_counter()
    for n in range(count):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(n)


def _echo(payload: bytes) -> int:
    return len(payload)


def _get_all(name: str, count: int) -> int:
    queue = Queue(name)
    return sum(len(queue.get()) for _ in range(count))


def _put_all(name: str, count: int, rate: float, size: int) -> int:
    queue = Queue(name)
    _paced(count, rate, lambda n: queue.put(bytes(size)))
    return count


def _log_all(topic: str, count: int, rate: float, size: int) -> int:
    worker = get_worker()
    _paced(count, rate, lambda n: worker.log_event(topic, bytes(size)))
    return count


class Inbox:
    """An actor that keeps what it is sent."""

    def __init__(self) -> None:
        self.count = 0

    async def put(self, payload: bytes) -> None:
        self.count += 1


def _batch(calls: list[tuple[int, Callable[..., object], tuple[object, ...]]]) -> Batch:
    made = tuple(Call(n, fn, args, {}, Future()) for n, fn, args in calls)
    return Batch.of((Group("bench", 1, made),))


class OneFeed:
    """A feed started and connected before the measurement; counts the outcomes it gets."""

    def __init__(self, client: Client) -> None:
        self.got = self.target = 0
        self.enough = threading.Condition()
        self.feeds = Feeds(client, self._count, self._lost)
        [(_, self.task)] = self.feeds.start(1)
        self.expect(1)
        self.feeds.send(_batch([(-1, abs, (-1,))]))
        self.wait()  # connected, and a call ran

    def _count(self, outcomes: list[tuple[int, bool, object]]) -> None:
        with self.enough:
            self.got += len(outcomes)
            if self.got >= self.target:  # wake the waiting thread once, not per outcome
                self.enough.notify()

    def _lost(self, calls: list[Call]) -> None:
        print(f"dask_channels.py: the feed lost {len(calls)} calls", file=sys.stderr)

    def expect(self, count: int) -> None:
        with self.enough:
            self.got, self.target = 0, count

    def wait(self) -> None:
        with self.enough:
            self.enough.wait_for(lambda: self.got >= self.target)

    def close(self) -> None:
        self.feeds.close()
        self.task.result()


def run_feed_in(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    assert feed is not None
    payload = bytes(args.bytes)
    batches = [_batch([(n, len, (payload,))]) for n in range(args.messages)]
    feed.expect(args.messages)
    _paced(args.messages, args.rate, lambda n: feed.feeds.send(batches[n]))
    feed.wait()


def run_feed_out(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    assert feed is not None
    # One call after the other, each sleeping a message's time: a function the workers can
    # import, so its outcome (None) is a few bytes, not --bytes.
    feed.expect(args.messages)
    feed.feeds.send(_batch([(n, time.sleep, (1 / args.rate,)) for n in range(args.messages)]))
    feed.wait()


def run_idle(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    time.sleep(args.messages / args.rate)


def run_task(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    finished = as_completed()
    _paced(
        args.messages,
        args.rate,
        lambda n: finished.add(client.submit(_echo, bytes(args.bytes), pure=False)),
    )
    for _ in finished:
        pass


def run_queue_in(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    name = f"in-{time.time_ns()}"
    queue = Queue(name, client=client)
    reader = client.submit(_get_all, name, args.messages, pure=False)
    _paced(args.messages, args.rate, lambda n: queue.put(bytes(args.bytes)))
    reader.result()


def run_queue_out(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    name = f"out-{time.time_ns()}"
    queue = Queue(name, client=client)
    writer = client.submit(_put_all, name, args.messages, args.rate, args.bytes, pure=False)
    for _ in range(args.messages):
        queue.get()
    writer.result()


def run_event_out(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    topic = f"out-{time.time_ns()}"
    got = threading.Semaphore(0)
    client.subscribe_topic(topic, lambda event: got.release())
    time.sleep(0.2)  # the subscription reaches the scheduler
    writer = client.submit(_log_all, topic, args.messages, args.rate, args.bytes, pure=False)
    for _ in range(args.messages):
        got.acquire()
    writer.result()
    client.unsubscribe_topic(topic)


def run_actor_in(client: Client, args: argparse.Namespace, feed: OneFeed | None) -> None:
    inbox = client.submit(Inbox, actor=True).result()
    calls: list[object] = []
    _paced(args.messages, args.rate, lambda n: calls.append(inbox.put(bytes(args.bytes))))
    for call in calls:
        call.result()  # type: ignore[attr-defined]


CHANNELS: dict[str, Callable[[Client, argparse.Namespace, OneFeed | None], None]] = {
    "idle": run_idle,
    "task": run_task,
    "queue-in": run_queue_in,
    "queue-out": run_queue_out,
    "event-out": run_event_out,
    "actor-in": run_actor_in,
    "feed-in": run_feed_in,
    "feed-out": run_feed_out,
}


def measure(cluster: Cluster, client: Client, name: str, args: argparse.Namespace) -> str:
    feed = OneFeed(client) if name.startswith("feed") else None
    time.sleep(0.5)
    before = (_client_cpu(), *cluster.cpu_seconds())
    started = time.perf_counter()
    CHANNELS[name](client, args, feed)
    wall = time.perf_counter() - started
    after = (_client_cpu(), *cluster.cpu_seconds())
    if feed is not None:
        feed.close()
    ms = [1000 * (a - b) / args.messages for a, b in zip(after, before, strict=True)]
    return f"{name:<10} {wall:>7.2f} {ms[0]:>10.3f} {ms[1]:>10.3f} {ms[2]:>10.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=400.0, help="messages a second")
    parser.add_argument("--bytes", type=int, default=500, help="payload of a message")
    parser.add_argument("--channels", default=",".join(CHANNELS))
    args = parser.parse_args()
    print(f"{args.messages} messages of {args.bytes} bytes at {args.rate:g}/s, 2 workers")
    print(f"{'channel':<10} {'wall s':>7} {'client ms':>10} {'sched ms':>10} {'worker ms':>10}")
    with (
        running_cluster(2, 8) as cluster,
        Client(cluster.address, direct_to_workers=True) as client,  # as titlefetch's is
    ):
        for name in args.channels.split(","):
            print(measure(cluster, client, name, args), flush=True)


if __name__ == "__main__":
    main()
