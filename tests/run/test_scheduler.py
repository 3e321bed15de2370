"""The scheduler: order, dedupe, per-host caps, the read-ahead window, stop and crashes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from titlefetch._errors import WorkerLost
from titlefetch._options import FetchOptions
from titlefetch._results import Failure, TitleResult
from titlefetch.http._fetch import RunHooks
from titlefetch.run._dispatch import ExecutorWork
from titlefetch.run._jobs import Job
from titlefetch.run._lines import UrlLine, url_problem
from titlefetch.run._scheduler import Listeners, OutputOrder, Schedule, Scheduler

OPTIONS = FetchOptions()


def lines(*urls: str) -> list[UrlLine]:
    return [UrlLine(url, "t.txt", n, url_problem(url)) for n, url in enumerate(urls, start=1)]


class FakeWork:
    """A work function that records calls and concurrency per host. A URL in `after` ends
    only once the run has taken in the results of the URLs it names (its `fetched` is the
    run's on_fetched): no sleeps, the order is the test's."""

    def __init__(
        self,
        after: dict[str, set[str]] | None = None,
        delays: dict[str, float] | None = None,
    ) -> None:
        self.after = after or {}
        self.delays = delays or {}
        self.calls: list[str] = []
        self.finished: set[str] = set()
        self.fetched_urls: set[str] = set()  # results the run took in
        self.running: dict[str, int] = {}
        self.most_running: dict[str, int] = {}
        self.changed = threading.Condition()

    def __call__(
        self, url: str, options: FetchOptions, hooks: RunHooks | None = None
    ) -> TitleResult:
        host = url.split("/")[2]
        with self.changed:
            self.calls.append(url)
            self.running[host] = self.running.get(host, 0) + 1
            self.most_running[host] = max(self.most_running.get(host, 0), self.running[host])
            waits_for = self.after.get(url, set())
            assert self.changed.wait_for(lambda: waits_for <= self.fetched_urls, timeout=10)
        time.sleep(self.delays.get(url, 0))
        with self.changed:
            self.running[host] -= 1
            self.finished.add(url)
            self.changed.notify_all()
        return TitleResult(url=url, status=200, title=f"title of {url}")

    def fetched(self, result: TitleResult) -> None:
        with self.changed:
            self.fetched_urls.add(result.url)
            self.changed.notify_all()


DEFAULT_SCHEDULE = Schedule()


def run(urls, work, schedule=DEFAULT_SCHEDULE, executor: Executor | None = None, renew=None):
    pool = executor or ThreadPoolExecutor(max_workers=8)
    listeners = Listeners(on_fetched=getattr(work, "fetched", None))
    try:
        return list(
            Scheduler(
                urls, ExecutorWork(pool, work, OPTIONS, renew=renew), schedule, listeners=listeners
            )
        )
    finally:
        pool.shutdown()


SLOW_FIRST = {"http://a.test/slow": {"http://b.test/fast", "http://c.test/fast"}}


def test_input_order_is_kept_even_when_later_urls_finish_first():
    urls = lines("http://a.test/slow", "http://b.test/fast", "http://c.test/fast")
    work = FakeWork(after=SLOW_FIRST)
    assert [r.url for r in run(urls, work)] == [line.url for line in urls]


def test_completed_order_hands_out_fast_results_first():
    urls = lines("http://a.test/slow", "http://b.test/fast", "http://c.test/fast")
    work = FakeWork(after=SLOW_FIRST)
    results = [r.url for r in run(urls, work, Schedule(order="completed"))]
    assert set(results[:2]) == {"http://b.test/fast", "http://c.test/fast"}
    assert results[2] == "http://a.test/slow"


def test_repeated_url_is_fetched_once_and_reported_on_every_line():
    urls = lines("http://a.test/x", "http://b.test/", "http://a.test/x", "http://a.test/x")
    work = FakeWork()
    results = run(urls, work)
    assert work.calls.count("http://a.test/x") == 1
    assert [(r.url, r.line) for r in results] == [(u.url, u.line) for u in urls]
    assert all(r.title == f"title of {r.url}" for r in results)


def test_invalid_lines_become_results_with_their_line_numbers():
    results = run(lines("http://a.test/", "nonsense"), FakeWork())
    assert results[1].error is not None
    assert results[1].error.kind == "invalid_url"
    assert results[1].error.message.startswith("t.txt:2: ")


def test_per_host_cap_limits_concurrency_for_one_host_only():
    pairs = threading.Barrier(2)  # one.test's fetches can only finish two at a time

    class Paired(FakeWork):
        def __call__(self, url, options, hooks=None):
            if "one.test" in url:
                pairs.wait(timeout=10)
            return super().__call__(url, options, hooks)

    urls = lines(*[f"http://one.test/{n}" for n in range(12)], "http://other.test/")
    work = Paired()
    results = run(urls, work, Schedule(per_host=2, in_flight=8))
    assert work.most_running["one.test"] == 2
    assert [r.title for r in results] == [f"title of {line.url}" for line in urls]


def test_window_bounds_how_far_reading_runs_ahead_of_a_slow_line():
    read = []

    def source():
        for n, line in enumerate(lines(*[f"http://h{n}.test/" for n in range(50)])):
            read.append(n)
            yield line

    # h0 finishes last of the first ten: reading may not run more than the window ahead of it
    work = FakeWork(after={"http://h0.test/": {f"http://h{n}.test/" for n in range(1, 10)}})
    pool = ThreadPoolExecutor(10)
    listeners = Listeners(on_fetched=work.fetched)
    scheduler = Scheduler(
        source(), ExecutorWork(pool, work, OPTIONS), Schedule(window=10), listeners=listeners
    )
    first = next(scheduler)
    assert first.url == "http://h0.test/"
    assert len(read) <= 11
    assert len(list(scheduler)) == 49
    pool.shutdown()


def test_the_first_fetches_start_before_the_whole_window_is_read():
    read_when_first_started: list[int] = []
    read = []

    def source():
        for n, line in enumerate(lines(*[f"http://h{n}.test/" for n in range(300)])):
            read.append(n)
            yield line

    class Recording(FakeWork):
        def __call__(
            self, url: str, options: FetchOptions, hooks: RunHooks | None = None
        ) -> TitleResult:
            if not read_when_first_started:
                read_when_first_started.append(len(read))
            return super().__call__(url, options, hooks)

    schedule = Schedule(in_flight=4, window=256)
    pool = ThreadPoolExecutor(4)
    scheduler = Scheduler(source(), ExecutorWork(pool, Recording(), OPTIONS), schedule)
    assert len(list(scheduler)) == 300
    pool.shutdown()
    assert read_when_first_started[0] <= 5  # not 256


def test_a_thread_pools_fetch_learns_whether_more_urls_wait_for_its_host():
    answers: dict[str, bool] = {}
    all_read = threading.Event()

    def source():
        yield from lines("http://a.test/1", "http://a.test/2", "http://b.test/1")
        all_read.set()

    def work(url: str, options: FetchOptions, hooks: RunHooks | None = None) -> TitleResult:
        assert all_read.wait(timeout=10)  # the answer comes after the next lines are read
        assert hooks is not None  # a thread pool's scheduler always gives its fetches hooks
        answers[url] = hooks.is_wanted(url)
        return TitleResult(url=url, title="t")

    run(source(), work, Schedule(in_flight=1, window=10), ThreadPoolExecutor(1))
    assert answers == {"http://a.test/1": True, "http://a.test/2": False, "http://b.test/1": False}


def test_stop_cancels_unstarted_work_and_flushes_finished_results():
    urls = lines(*[f"http://h{n}.test/" for n in range(40)])
    stopped = threading.Event()

    class Gated(FakeWork):  # the first URL finishes at once, the others once the run stopped
        def __call__(self, url, options, hooks=None):
            if url != urls[0].url:
                assert stopped.wait(timeout=10)
            return super().__call__(url, options, hooks)

    work = Gated()
    pool = ThreadPoolExecutor(max_workers=2)
    scheduler = Scheduler(urls, ExecutorWork(pool, work, OPTIONS), Schedule(in_flight=4, window=8))
    results = [next(scheduler)]
    scheduler.stop()
    stopped.set()
    results += list(scheduler)
    pool.shutdown()
    # At most the first URL, three more in flight with it, and the one its end let start.
    assert len(work.calls) <= 5
    assert {r.url for r in results} <= set(work.calls)
    assert [r.url for r in results] == sorted((r.url for r in results), key=urls_index(urls))


def urls_index(urls):
    order = {line.url: n for n, line in enumerate(urls)}
    return order.__getitem__


class BreakingExecutor(Executor):
    """Fails every future of its first `broken` submissions as a crashed process pool does."""

    def __init__(self, broken: int) -> None:
        self.broken = broken
        self.pool = ThreadPoolExecutor(2)

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        if self.broken > 0:
            self.broken -= 1
            future: Future[TitleResult] = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@pytest.mark.parametrize(("renew", "crashed"), [(True, 0), (False, 3)])
def test_a_broken_pool_loses_no_url(renew, crashed):
    urls = lines("http://a.test/", "http://b.test/", "http://c.test/")
    fresh = []

    def renew_executor():
        fresh.append(ThreadPoolExecutor(2))
        return fresh[-1]

    results = run(
        urls,
        FakeWork(),
        executor=BreakingExecutor(broken=3),
        renew=renew_executor if renew else None,
    )
    assert [r.url for r in results] == [line.url for line in urls]
    kinds = [r.error.kind for r in results if r.error]
    assert kinds == ["worker_crashed"] * crashed
    for pool in fresh:
        pool.shutdown()


class TickingClock:
    """A clock that moves on by `step` each time it is read, whatever the real time."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.now += self.step
            return self.now


def test_rate_spaces_submissions_by_the_runs_clock():
    urls = lines(*[f"http://h{n}.test/" for n in range(6)])
    # Fast in real time: the scheduler waits as long as the clock says the next start is away.
    clock = TickingClock(step=0.0002)
    starts: list[float] = []

    def work(url, options, hooks=None):
        starts.append(clock())
        return TitleResult(url=url, title="t")

    # One at a time, so that the starts are read in the order they were allowed.
    run(urls, work, Schedule(rate=1000, in_flight=1, clock=clock), ThreadPoolExecutor(1))
    # The k-th start was allowed at k / rate at the earliest (the clock started at 0); without
    # --rate, start k would read the clock at (k + 1) * step.
    assert len(starts) == 6
    assert all(start >= n / 1000 for n, start in enumerate(starts))


def test_before_waiting_runs_only_when_no_result_is_ready():
    # Handed-out results are flushed when the scheduler has to wait, not after each one: a
    # consumer that writes a result per iteration sees every result flushed before a wait.
    urls = lines("http://a.test/slow", "http://b.test/1", "http://b.test/2", "http://b.test/3")
    work = FakeWork(after={"http://a.test/slow": {line.url for line in urls[1:]}})
    events: list[str] = []
    pool = ThreadPoolExecutor(max_workers=4)
    schedule = Schedule(order="input")
    listeners = Listeners(on_fetched=work.fetched, before_waiting=lambda: events.append("wait"))
    scheduler = Scheduler(urls, ExecutorWork(pool, work, OPTIONS), schedule, listeners=listeners)
    try:
        for result in scheduler:
            events.append(result.url)
    finally:
        pool.shutdown()
    # The slow first line holds the others back: the scheduler waits for it, then hands out
    # all four without waiting in between.
    assert events[-4:] == [url.url for url in urls]
    assert events[:-4] and set(events[:-4]) == {"wait"}


def test_the_oldest_waiting_url_of_any_host_with_a_free_slot_starts_first():
    urls = lines("http://a.test/1", "http://b.test/1", "http://a.test/2", "http://c.test/1")
    work = FakeWork()
    run(urls, work, Schedule(in_flight=1, per_host=1), ThreadPoolExecutor(max_workers=1))
    assert work.calls == [url.url for url in urls]  # not a.test/2 before b.test/1


def test_host_caps_hold_and_every_url_runs_once_under_random_load():
    import random

    rng = random.Random(7)
    hosts = [f"h{n}.test" for n in range(7)]
    urls = [f"http://{rng.choice(hosts)}/{n}" for n in range(300)]
    urls += rng.sample(urls, 30)  # repeats join the running or finished job
    work = FakeWork(delays={url: rng.choice((0.0, 0.001, 0.005)) for url in urls})
    schedule = Schedule(in_flight=6, per_host=2, window=40)
    results = run(lines(*urls), work, schedule, ThreadPoolExecutor(max_workers=6))
    assert [result.url for result in results] == urls
    assert sorted(work.calls) == sorted(set(urls))
    assert max(work.most_running.values()) <= 2


def test_a_thread_pool_worker_starts_the_next_url_without_the_scheduling_thread():
    urls = lines("http://a.test/1", "http://a.test/2", "http://a.test/3")
    work = FakeWork()
    pool = ThreadPoolExecutor(max_workers=1)
    schedule = Schedule(in_flight=1, per_host=1)
    scheduler = Scheduler(urls, ExecutorWork(pool, work, OPTIONS), schedule)
    try:
        assert next(scheduler).url == "http://a.test/1"
        # This thread does not iterate now: only the pool's worker can start the others.
        with work.changed:
            assert work.changed.wait_for(lambda: len(work.finished) == 3, timeout=10)
        assert work.calls == [url.url for url in urls]
        assert [result.url for result in scheduler] == [url.url for url in urls[1:]]
    finally:
        pool.shutdown()


def test_finished_jobs_leave_no_reference_cycles_behind():
    # Without cycles, a job, its future and its result are freed as soon as they are
    # delivered, without waiting for the cyclic collector (which the CLI runs rarely).
    import gc

    urls = lines(*(f"http://h{n % 5}.test/{n}" for n in range(50)))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert len(run(urls, FakeWork(), Schedule(in_flight=4, per_host=2))) == 50
        gc.collect()
        kinds = {type(thing) for thing in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    # By class, not name: garbage that earlier tests left (a Dask client's) may hold others.
    assert not kinds & {Job, Future, TitleResult}


class LosingExecutor(Executor):
    """Every task fails as a cluster reports a task whose workers all died."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future[TitleResult] = Future()
        future.set_exception(WorkerLost("the workers running it died"))
        return future


def test_a_task_the_cluster_gave_up_on_is_reported_as_worker_crashed():
    urls = lines("http://a.test/1", "http://a.test/2")
    results = run(urls, FakeWork(), executor=LosingExecutor())
    assert [(r.url, r.error) for r in results] == [
        (line.url, Failure("worker_crashed", "the workers running it died")) for line in urls
    ]
    assert results[0].line == 1


# Output order: input order reassembled from results that arrive in any order, or as they come.


def result(n: int) -> TitleResult:
    return TitleResult(f"https://h{n}.test/")


def handed(output: OutputOrder) -> list[str]:
    urls = []
    while (next_result := output.pop()) is not None:
        urls.append(next_result.url)
    return urls


def test_input_order_holds_later_results_until_the_earlier_ones_arrive():
    output = OutputOrder("input")
    output.put(2, result(2))
    output.put(1, result(1))
    assert not output
    assert handed(output) == []
    assert output.settled == 0
    output.put(0, result(0))
    assert output
    assert handed(output) == [result(n).url for n in range(3)]
    assert output.settled == 3


def test_completed_order_hands_each_result_out_at_once():
    output = OutputOrder("completed")
    output.put(2, result(2))
    assert handed(output) == [result(2).url]
    output.put(0, result(0))
    assert handed(output) == [result(0).url]
    assert output.settled == 2


@pytest.mark.parametrize("order", ["input", "completed"])
def test_a_dropped_line_counts_as_settled_and_never_blocks_the_next(order):
    output = OutputOrder(order)
    output.put(1, result(1))
    output.drop(0)
    output.drop(3)
    output.put(2, result(2))
    assert sorted(handed(output)) == [result(1).url, result(2).url]
    assert output.settled == 4


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_comes_out_in_input_order(seed):
    import random

    seqs = list(range(50))
    random.Random(seed).shuffle(seqs)
    output = OutputOrder("input")
    out: list[str] = []
    for seq in seqs:
        if seq % 7 == 3:
            output.drop(seq)
        else:
            output.put(seq, result(seq))
        out += handed(output)
    assert out == [result(n).url for n in range(50) if n % 7 != 3]
    assert output.settled == 50
