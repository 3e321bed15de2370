"""BatchingExecutor: a Future per call, batches of one host's calls, lost batches split."""

from __future__ import annotations

import contextlib
import pickle
import threading
from concurrent.futures import BrokenExecutor, CancelledError

import pytest

from titlefetch._errors import WorkerLost
from titlefetch.run.executors.dask._batching import Batch, BatchingExecutor, Call
from titlefetch.run.executors.dask._lanes import Lanes
from titlefetch.run.executors.dask._on_workers import run_batch
from titlefetch.run.executors.process import Outcome


def host(args: tuple[object, ...]) -> str:
    return str(args[0]).split("/")[0]


def echo(url: str) -> str:
    return f"got {url}"


class InThreads(BatchingExecutor):
    """Runs each batch with run_batch on a thread; records the batches; may lose some."""

    def __init__(self, per_host: int = 2, workers: int = 4, lost: BaseException | None = None):
        self.batches: list[Batch] = []
        self.lost = lost
        self.hold = threading.Event()
        self.hold.set()
        super().__init__(Lanes(per_host=per_host, workers=workers, waves=2), host)

    def launch(self, batches: list[Batch]) -> None:
        self.batches += batches
        for batch in batches:
            threading.Thread(target=self._run, args=(batch,)).start()

    def _run(self, batch: Batch) -> None:
        self.hold.wait(timeout=10)
        if self.lost is not None and len(batch.calls) > 1:
            self.lose(batch, self.lost)
            return
        import pickle

        outcomes: list[Outcome] = pickle.loads(run_batch(batch.payload))
        self.settle(batch, outcomes)


def test_every_call_gets_its_own_result_from_a_batch_of_its_hosts_calls():
    executor = InThreads(per_host=2, workers=4)
    urls = [f"{name}/{n}" for n in range(5) for name in ("a", "b")]
    futures = [executor.submit(echo, url) for url in urls]
    assert [future.result(timeout=10) for future in futures] == [f"got {url}" for url in urls]
    executor.shutdown()
    for batch in executor.batches:
        for group in batch.groups:
            assert {host((call.args[0],)) for call in group.calls} == {group.host}
            assert group.allowance <= 2
    assert len(executor.batches) < len(urls)


def test_the_groups_of_hosts_left_with_nothing_waiting_are_packed_together():
    executor = InThreads(per_host=1, workers=128)  # up to 128 / 16 = 8 groups a batch
    urls = [f"{name}/{n}" for n in range(2) for name in "abcdefgh"]
    urls += [f"z/{n}" for n in range(6)]  # more than a group of z's: z keeps calls waiting
    futures = [executor.submit(echo, url) for url in urls]
    assert [future.result(timeout=10) for future in futures] == [f"got {url}" for url in urls]
    executor.shutdown()
    first, second = executor.batches[:2]
    assert [group.host for group in first.groups] == ["z"]  # z has more waiting: alone
    assert len(second.groups) == 8  # the other hosts' groups, cut at once, in one task
    assert sorted(group.host for group in second.groups) == list("abcdefgh")


def test_a_packed_batch_holds_at_most_a_sixteenth_of_the_workers_in_groups():
    # Its allowances come back when its slowest call ends: many small batches, not one.
    executor = InThreads(per_host=1, workers=32)
    urls = [f"{name}/0" for name in "abcdefgh"]
    futures = [executor.submit(echo, url) for url in urls]
    assert [future.result(timeout=10) for future in futures] == [f"got {url}" for url in urls]
    executor.shutdown()
    assert [len(batch.groups) for batch in executor.batches] == [2, 2, 2, 2]


def test_a_call_still_waiting_can_be_cancelled_and_never_runs():
    executor = InThreads(per_host=1, workers=1)
    executor.hold.clear()  # the first batch is launched and stays running
    first = executor.submit(echo, "a/1")
    while not executor.batches:
        threading.Event().wait(0.01)
    later = executor.submit(echo, "a/2")
    assert later.cancel()
    assert not first.cancel()  # in a launched batch: running
    executor.hold.set()
    assert first.result(timeout=10) == "got a/1"
    executor.shutdown()
    assert [call.args for batch in executor.batches for call in batch.calls] == [("a/1",)]


def test_a_lost_batch_is_split_so_each_call_runs_again_alone():
    executor = InThreads(per_host=4, workers=4, lost=WorkerLost("4 Dask workers died running it"))
    futures = [executor.submit(echo, f"a/{n}") for n in range(6)]
    assert [future.result(timeout=10) for future in futures] == [f"got a/{n}" for n in range(6)]
    executor.shutdown()
    alone = [batch for batch in executor.batches if len(batch.calls) == 1]
    assert sorted(call.args[0] for batch in alone for call in batch.calls) == [
        f"a/{n}" for n in range(6)
    ]


class Dropped(BrokenExecutor):
    pass


def test_a_broken_cluster_fails_the_batch_what_waits_and_every_later_submit():
    executor = InThreads(per_host=1, workers=1, lost=Dropped("the Dask client lost its scheduler"))
    futures = [executor.submit(echo, f"a/{n}") for n in range(8)]
    for future in futures:
        with pytest.raises(Dropped):
            future.result(timeout=10)
    with pytest.raises(Dropped):
        executor.submit(echo, "a/9")
    executor.shutdown()


def test_shutdown_cancels_what_waits_when_asked_and_refuses_new_calls():
    executor = InThreads(per_host=1, workers=1)
    executor.hold.clear()
    running = executor.submit(echo, "a/1")
    while not executor.batches:
        threading.Event().wait(0.01)
    waiting = executor.submit(echo, "a/2")
    stopper = threading.Thread(target=executor.shutdown, kwargs={"cancel_futures": True})
    stopper.start()
    with pytest.raises(CancelledError):
        waiting.result(timeout=10)
    executor.hold.set()
    stopper.join(timeout=10)
    assert running.result() == "got a/1"  # shutdown waited for the launched batch
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(echo, "a/3")


class Forgetful(InThreads):
    """A batch runner with a bug: it reports no outcomes."""

    def _run(self, batch: Batch) -> None:
        self.settle(batch, [])


def test_a_call_missing_from_its_batchs_outcomes_fails_loudly():
    executor = Forgetful()
    future = executor.submit(echo, "a/1")
    with pytest.raises(RuntimeError, match="without this call's outcome"):
        future.result(timeout=10)
    executor.shutdown()


class ByHand(BatchingExecutor):
    """Launched batches wait in a list; the test delivers their outcomes when it likes. With
    `feed`, batches go to a feed of that name, as to a cluster's (their groups may be topped
    up: the calls sent are kept in `topped`; a feed named "gone" takes none)."""

    def __init__(self, per_host: int, workers: int, feed: str | None = None) -> None:
        self.launched = threading.Condition()
        self.batches: list[Batch] = []
        self.feed = feed
        self.topped: list[tuple[str, bytes, tuple[Call, ...]]] = []
        super().__init__(Lanes(per_host=per_host, workers=workers, waves=2), host)

    def launch(self, batches: list[Batch]) -> None:
        with self.launched:
            self.batches += batches
            self.launched.notify_all()
        for batch in batches:
            if self.feed is not None and not any(group.alone for group in batch.groups):
                self.fed(batch, self.feed)

    def top_up(self, feed: str, payload: bytes, calls: tuple[Call, ...]) -> bool:
        with self.launched:
            self.topped.append((feed, payload, calls))
            self.launched.notify_all()
        return feed != "gone"

    def calls_launched(self, count: int) -> list[str]:
        with self.launched:
            assert self.launched.wait_for(lambda: len(self.calls()) >= count, timeout=10)
            return [call.args[0] for call in self.calls()]

    def calls(self) -> list[Call]:
        launched = [call for batch in self.batches for call in batch.calls]
        return launched + [call for _, _, calls in self.topped for call in calls]

    def deliver_for(self, url: str) -> None:
        *_, call = [call for call in self.calls() if call.args[0] == url]  # its last launch
        self.deliver([(call.id, True, f"got {url}")])


def test_a_call_ends_when_its_outcome_comes_and_its_group_frees_its_allowance():
    # Issue 25: outcomes stream back while a batch runs; the last call of a group gives the
    # group's allowance back at once, whatever the other groups of its batch do.
    executor = ByHand(per_host=1, workers=2)
    futures = {url: executor.submit(echo, url) for url in ("a/0", "b/0", "c/0")}
    assert executor.calls_launched(2) == ["a/0", "b/0"]  # --workers 2: c waits
    executor.deliver_for("a/0")
    assert futures["a/0"].result(timeout=10) == "got a/0"
    assert not futures["b/0"].done()
    assert executor.calls_launched(3)[2] == "c/0"  # a's allowance, not b's, came back
    executor.deliver_for("a/0")  # a second outcome (its batch ran again) is ignored
    executor.deliver_for("b/0")
    executor.deliver_for("c/0")
    executor.shutdown()
    assert {url: future.result() for url, future in futures.items()} == {
        url: f"got {url}" for url in futures
    }


def test_calls_lost_before_they_ended_run_again_alone_and_the_others_keep_their_results():
    executor = ByHand(per_host=4, workers=4)
    futures = [executor.submit(echo, f"a/{n}") for n in range(3)]
    executor.calls_launched(3)
    executor.deliver_for("a/0")
    executor.lose_calls(executor.calls(), WorkerLost("a Dask worker died"), split=True)
    again = executor.calls_launched(5)[3:]  # the two that had not ended, each alone
    assert sorted(again) == ["a/1", "a/2"]
    assert all(len(batch.calls) == 1 for batch in executor.batches[-2:])
    executor.deliver_for("a/1")
    executor.deliver_for("a/2")
    executor.shutdown()
    assert [future.result() for future in futures] == ["got a/0", "got a/1", "got a/2"]


def test_a_group_on_a_feed_is_topped_up_with_its_hosts_calls_as_its_last_ones_run():
    # Issue 25: when a group on a feed has started all its calls, the next of its host's go
    # to it, under its key, while its allowance stays held: no new group, no round trip.
    executor = ByHand(per_host=1, workers=1, feed="f1")
    futures = {f"a/{n}": executor.submit(echo, f"a/{n}") for n in range(6)}
    assert executor.calls_launched(2) == ["a/0", "a/1"]  # a group of 2 waves, allowance 1
    executor.deliver_for("a/0")  # a/1 runs, none left to start: a/2 and a/3 join
    assert executor.calls_launched(4)[2:] == ["a/2", "a/3"]
    feed, payload, _ = executor.topped[0]
    [group] = executor.batches[0].groups
    assert feed == "f1"
    [(key, allowance, calls)] = pickle.loads(payload)
    assert (key, allowance) == (group.calls[0].id, 1)  # the running group's key
    assert [args[0] for _, _, args, _ in calls] == ["a/2", "a/3"]
    executor.deliver_for("a/1")
    executor.deliver_for("a/2")  # a/3 runs: a/4 and a/5 join
    assert executor.calls_launched(6)[4:] == ["a/4", "a/5"]
    for url in ("a/3", "a/4", "a/5"):
        executor.deliver_for(url)
    executor.shutdown()
    assert len(executor.batches) == 1
    assert {url: future.result() for url, future in futures.items()} == {
        url: f"got {url}" for url in futures
    }


def test_calls_topped_up_to_a_feed_that_is_gone_run_again_alone():
    executor = ByHand(per_host=1, workers=1, feed="gone")
    futures = {f"a/{n}": executor.submit(echo, f"a/{n}") for n in range(4)}
    executor.calls_launched(2)
    executor.deliver_for("a/0")
    executor.calls_launched(4)  # a/2 and a/3 sent to the gone feed...
    executor.deliver_for("a/1")
    executor.calls_launched(5)  # ... and each launched again alone, in their order
    [group] = executor.batches[-1].groups
    assert (group.calls[0].args[0], group.alone) == ("a/2", True)
    executor.deliver_for("a/2")
    executor.calls_launched(6)
    [group] = executor.batches[-1].groups
    assert (group.calls[0].args[0], group.alone) == ("a/3", True)
    executor.deliver_for("a/3")
    executor.shutdown()
    assert [future.result() for future in futures.values()] == [f"got a/{n}" for n in range(4)]


def test_without_a_feed_a_group_is_not_topped_up():
    executor = ByHand(per_host=1, workers=1)
    futures = [executor.submit(echo, f"a/{n}") for n in range(4)]
    executor.calls_launched(2)
    executor.deliver_for("a/0")
    executor.deliver_for("a/1")
    assert executor.calls_launched(4)[2:] == ["a/2", "a/3"]
    assert executor.topped == [] and len(executor.batches) == 2
    executor.deliver_for("a/2")
    executor.deliver_for("a/3")
    executor.shutdown()
    assert [future.result() for future in futures] == [f"got a/{n}" for n in range(4)]


class Concurrency:
    """Calls that count how many run at once, for each host and in all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.total = 0
        self.most_total = 0

    def __call__(self, url: str) -> str:
        site = host((url,))
        with self.lock:
            self.running[site] = self.running.get(site, 0) + 1
            self.most[site] = max(self.most.get(site, 0), self.running[site])
            self.total += 1
            self.most_total = max(self.most_total, self.total)
        threading.Event().wait(0.0005 * (hash(url) % 4))
        with self.lock:
            self.running[site] -= 1
            self.total -= 1
        return f"got {url}"


COUNTED = Concurrency()


def counted(url: str) -> str:
    return COUNTED(url)


class InFeeds(BatchingExecutor):
    """Batches go to two feeds in this process (FeedGroups, as on a cluster's workers), whose
    outcomes come back gathered, and groups are topped up there."""

    def __init__(self, per_host: int, workers: int) -> None:
        import queue

        from titlefetch.run.executors.dask._on_workers import FeedGroups

        self.outcomes: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.feeds = {name: FeedGroups(self.outcomes.put) for name in ("f0", "f1")}
        self.sent = 0
        super().__init__(Lanes(per_host=per_host, workers=workers), host)
        threading.Thread(target=self._read, daemon=True).start()

    def launch(self, batches: list[Batch]) -> None:
        for batch in batches:
            self.sent += 1
            name = f"f{self.sent % 2}"
            self.feeds[name].add(pickle.loads(batch.payload))
            self.fed(batch, name)

    def top_up(self, feed: str, payload: bytes, calls: tuple[Call, ...]) -> bool:
        self.feeds[feed].add(pickle.loads(payload))
        return True

    def _read(self) -> None:
        import queue

        while True:
            outcomes = [self.outcomes.get()]
            with contextlib.suppress(queue.Empty):
                while len(outcomes) < 8:
                    outcomes.append(self.outcomes.get(timeout=0.001))
            self.deliver(outcomes)


@pytest.mark.parametrize(("hosts", "per_host", "workers"), [(40, 8, 64), (3, 8, 64), (500, 2, 16)])
def test_topped_up_groups_on_feeds_keep_per_host_and_workers_and_end_every_call(
    hosts, per_host, workers
):
    global COUNTED
    COUNTED = Concurrency()
    executor = InFeeds(per_host=per_host, workers=workers)
    urls = [f"h{n % hosts}/{n}" for n in range(2000)]
    futures = [executor.submit(counted, url) for url in urls]
    assert [future.result(timeout=30) for future in futures] == [f"got {url}" for url in urls]
    executor.shutdown()
    assert max(COUNTED.most.values()) <= per_host
    assert COUNTED.most_total <= workers
