"""Dispatch: jobs -> futures, finished jobs onto the queue, hooks for threads, a renewed pool."""

from __future__ import annotations

import queue
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor

from titlefetch._options import FetchOptions
from titlefetch._results import TitleResult
from titlefetch.http._fetch import RunHooks
from titlefetch.run._dispatch import Dispatcher, ExecutorWork
from titlefetch.run._jobs import Job
from titlefetch.run._slots import HostSlots

OPTIONS = FetchOptions(timeout=3)


class InlineExecutor(Executor):
    """Runs each call as it is submitted; records the calls; may be broken."""

    def __init__(self, broken: bool = False) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.broken = broken
        self.shut = False

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        self.calls.append(args)
        future: Future[TitleResult] = Future()
        if self.broken:
            future.set_exception(BrokenExecutor("a worker died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.shut = True


def title(url: str, options: FetchOptions, hooks: RunHooks | None = None) -> TitleResult:
    return TitleResult(url, title=f"{options.timeout:g} {hooks is not None}")


def setup(executor: Executor, renew=None, per_host: int = 1):
    slots: HostSlots[Job] = HostSlots(per_host=per_host, in_flight=10, rate=None)
    finished: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
    return (
        Dispatcher(ExecutorWork(executor, title, OPTIONS, renew), slots, finished),
        slots,
        finished,
    )


def drain(finished: queue.SimpleQueue[Job | None]) -> list[Job | None]:
    jobs = []
    while not finished.empty():
        jobs.append(finished.get_nowait())
    return jobs


def test_another_executor_gets_the_work_function_with_the_url_and_options():
    executor = InlineExecutor()
    dispatcher, slots, finished = setup(executor)
    jobs = [Job("http://a.test/1", "a.test:80", 0), Job("http://b.test/", "b.test:80", 1)]
    for job in jobs:
        slots.add(job)
    dispatcher.submit_ready()
    assert executor.calls == [(job.url, OPTIONS) for job in jobs]
    assert drain(finished) == jobs
    assert [job.future.result().title for job in jobs if job.future] == ["3 False"] * 2


def test_a_thread_pools_fetch_gets_hooks_and_its_redirect_moves_its_slot():
    def redirected(url, options, hooks=None):
        assert hooks is not None
        wanted = hooks.is_wanted("http://a.test/other")  # a.test/2 waits for the slot
        hooks.entering("http://b.test/moved")  # gives a.test's slot to a.test/2
        return TitleResult(url, title=str(wanted))

    with ThreadPoolExecutor(2) as pool:
        slots: HostSlots[Job] = HostSlots(per_host=1, in_flight=10, rate=None)
        finished: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        dispatcher = Dispatcher(ExecutorWork(pool, redirected, OPTIONS), slots, finished)
        first, second = (
            Job("http://a.test/1", "a.test:80", 0),
            Job("http://a.test/2", "a.test:80", 1),
        )
        slots.add(first)
        slots.add(second)
        dispatcher.submit_ready()
        done = [finished.get(timeout=10), finished.get(timeout=10)]
    # The second starts when the first leaves a.test, and waits for b.test until it ends.
    assert done == [first, second]
    assert first.host == "b.test:80"
    assert first.future is not None and first.future.result().title == "True"


def test_a_broken_pool_is_renewed_once_and_the_job_retried_there():
    broken, fresh = InlineExecutor(broken=True), InlineExecutor()
    dispatcher, slots, finished = setup(broken, renew=lambda: fresh)
    job = Job("http://a.test/", "a.test:80", 0)
    slots.add(job)
    dispatcher.submit_ready()
    assert drain(finished) == [job]
    assert dispatcher.retry(job, BrokenExecutor())
    assert broken.shut
    assert fresh.calls == [(job.url, OPTIONS)]
    assert not dispatcher.retry(job, BrokenExecutor())  # once only


def test_without_a_way_to_renew_nothing_is_retried():
    dispatcher, slots, _ = setup(InlineExecutor(broken=True))
    job = Job("http://a.test/", "a.test:80", 0)
    slots.add(job)
    dispatcher.submit_ready()
    assert not dispatcher.retry(job, BrokenExecutor())


def test_a_stopping_dispatcher_starts_nothing_from_a_finishing_thread():
    with ThreadPoolExecutor(1) as pool:
        dispatcher, slots, finished = setup(pool, per_host=1)
        first, second = (
            Job("http://a.test/1", "a.test:80", 0),
            Job("http://a.test/2", "a.test:80", 1),
        )
        slots.add(first)
        slots.add(second)
        dispatcher.stopping = True
        dispatcher.submit_ready()  # the first holds the host's one slot
        assert finished.get(timeout=10) is first
    assert second.future is None
