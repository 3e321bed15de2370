"""The asyncio API: afetch_titles(), the results of a run delivered to an event loop.

The run is the one fetch_titles() makes (same executors, same scheduler), driven by a thread
of its own: that thread iterates the TitleRun, which blocks, and hands each result to the loop
through a small bounded buffer. The loop never waits on the thread (no lock is shared): it
awaits a future that the thread resolves (call_soon_threadsafe) only when the loop is
already waiting, so a burst of results costs one wake-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Executor
from types import TracebackType
from typing import Unpack

from titlefetch._api import TitleRun, prepare_run
from titlefetch._options import PLAN, Order, RunOptions
from titlefetch._results import TitleResult
from titlefetch.run import UrlLine

# Results the run's thread may hand over before the loop takes them: a slow consumer holds
# the run back (as it does fetch_titles()'s) instead of letting results pile up in memory.
_BUFFER = 256


def afetch_titles(
    urls: Iterable[str | UrlLine],
    *,
    backend: str = PLAN.backend,
    scheduler_address: str | None = PLAN.scheduler_address,
    workers: int | None = PLAN.workers,
    order: Order = PLAN.order,
    executor: Executor | None = None,
    **options: Unpack[RunOptions],
) -> AsyncTitleRun:
    """fetch_titles() for asyncio: the same arguments, results and order, without blocking
    the event loop. `async for result in afetch_titles(urls)`, or for the list
    `await afetch_titles(urls).collect()`.

    Arguments are checked at once (TypeError, ValueError); the run starts at the first step of
    the iteration, in a thread of its own, so that starting a pool or reaching a Dask cluster
    does not block the loop either. Leaving an `async with` block, aclose(), or cancelling the
    task that waits for a result abandons the run: nothing new starts, and once the fetches
    already running have ended (each within its timeout), the executor the run made is shut
    down and its thread is gone. The callbacks in `options` (on_fetched, before_waiting) run in
    the run's thread, not in the loop. A failed URL is a result with `error` set; an exception
    from `urls` itself, or ClusterError, is raised where the results are awaited.

    Example:
        >>> async def main(urls):  # doctest: +SKIP
        ...     async with afetch_titles(urls, timeout=5) as run:
        ...         async for result in run:
        ...             print(result.url, result.title, result.error)
    """
    start = prepare_run(
        urls,
        backend=backend,
        scheduler_address=scheduler_address,
        workers=workers,
        order=order,
        executor=executor,
        **options,
    )
    return AsyncTitleRun(start)


class AsyncTitleRun(AsyncIterator[TitleResult]):
    """The results of one run for an event loop; it can also be stopped, closed or collected.

    It belongs to the loop that first iterates it.
    """

    def __init__(self, start: Callable[[], TitleRun]) -> None:
        self._start = start
        self._handoff: _Handoff | None = None
        self._thread: threading.Thread | None = None
        self._stop_asked = False
        self._closed = False

    def __aiter__(self) -> AsyncTitleRun:
        return self

    async def __anext__(self) -> TitleResult:
        if self._closed and self._handoff is None:
            raise StopAsyncIteration
        handoff = self._started()
        try:
            result = await handoff.get()
        except asyncio.CancelledError:
            await self.aclose()
            raise
        if result is not None:
            return result
        await self._thread_gone()
        error, handoff.error = handoff.error, None  # raised once, then the iteration is over
        if error is not None:
            raise error
        raise StopAsyncIteration

    async def collect(self) -> list[TitleResult]:
        """Every result, in the run's order, as a list: `await afetch_titles(urls).collect()`.

        Example:
            >>> results = await afetch_titles(urls, timeout=5).collect()  # doctest: +SKIP
        """
        async with self:
            return [result async for result in self]

    def stop(self) -> None:
        """Finish gracefully: start nothing new; running fetches still yield their results.

        Safe to call from any thread.
        """
        self._stop_asked = True
        if self._handoff is not None:
            self._handoff.stop()

    @property
    def stopped(self) -> bool:
        """Whether stop() or aclose() was called."""
        return self._stop_asked or self._closed

    async def aclose(self) -> None:
        """Abandon the run: cancel what has not started, and return once the fetches already
        running have ended and the run's executor (if it made one) and thread are gone."""
        self._closed = True
        if self._handoff is None:
            return
        self._handoff.abandon()
        while await self._handoff.get() is not None:
            pass  # nothing: abandon() emptied the buffer and put() hands over nothing more
        await self._thread_gone()

    async def __aenter__(self) -> AsyncTitleRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _started(self) -> _Handoff:
        if self._handoff is None:
            handoff = self._handoff = _Handoff(asyncio.get_running_loop(), _BUFFER)
            if self._stop_asked:
                handoff.stop()
            # A daemon: a run nobody iterates any more must not keep the interpreter alive.
            self._thread = threading.Thread(
                target=_drive, args=(self._start, handoff), name="titlefetch-run", daemon=True
            )
            self._thread.start()
            # Dropped without aclose() (a `break` out of `async for`): the run is abandoned.
            weakref.finalize(self, handoff.abandon)
        return self._handoff

    async def _thread_gone(self) -> None:
        # The thread's last act was to report the end; it is gone a moment later.
        while self._thread is not None and self._thread.is_alive():
            await asyncio.sleep(0.001)


def _drive(start: Callable[[], TitleRun], handoff: _Handoff) -> None:
    """The run's thread: start the run, hand its results over, close it, report the end."""
    error: BaseException | None = None
    try:
        with start() as run:  # leaving it shuts down the executor the run made
            if handoff.attach(run):
                for result in run:
                    if not handoff.put(result):
                        break
    except BaseException as exc:  # raised again in the loop, where the results are awaited
        error = exc
    handoff.end(error)


class _Handoff:
    """Results from the run's thread to the event loop: a bounded buffer, then the end.

    No lock: every step is one operation on a deque, a SimpleQueue or an attribute, atomic
    under the GIL, so the loop never waits for the thread, and abandon() may run anywhere (a
    finalizer can run in either thread, in the middle of put() or get()). The ordering that
    makes it work: the loop says it waits before it looks for results a last time, the thread
    adds a result before it looks whether the loop waits.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int) -> None:
        self._loop = loop
        self._results: deque[TitleResult] = deque()
        self._room: queue.SimpleQueue[None] = queue.SimpleQueue()  # one item per free place
        for _ in range(capacity):
            self._room.put(None)
        self._waiters: list[asyncio.Future[None]] = []  # the loop's only
        self._loop_waits = False  # a waiter may be pending: the next put() or end() wakes it
        self._run: TitleRun | None = None
        self._stopping = False
        self._abandoned = False
        self._ended = False
        self.error: BaseException | None = None  # what the run's thread raised

    # -- the run's thread ------------------------------------------------------------------

    def attach(self, run: TitleRun) -> bool:
        """Make `run` the one stop() reaches; False if the loop has abandoned it already."""
        self._run = run
        if self._stopping:
            run.stop()
        return not self._abandoned

    def put(self, result: TitleResult) -> bool:
        """Hand `result` over, waiting while the buffer is full; False once abandoned."""
        self._room.get()
        if self._abandoned:
            return False
        self._results.append(result)
        self._wake_loop()
        return True

    def end(self, error: BaseException | None) -> None:
        """The run is over and closed: no result follows."""
        self.error = error
        self._ended = True
        self._wake_loop()

    def _wake_loop(self) -> None:
        if self._loop_waits:
            self._loop_waits = False
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self._loop.call_soon_threadsafe(self._resolve_waiters)

    # -- any thread ----------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping = True
        run = self._run
        if run is not None:
            run.stop()  # a flag, and a wake-up for the scheduler: safe from any thread

    def abandon(self) -> None:
        """Drop what is buffered, take nothing more, and stop the run."""
        self._abandoned = True
        self._results.clear()
        self._room.put(None)  # frees a put() that waits for room
        self.stop()

    # -- the loop ------------------------------------------------------------------------

    async def get(self) -> TitleResult | None:
        """The next result, or None once the run has ended."""
        while True:
            ended = self._ended  # read first: every result came before the end
            if self._results:
                with contextlib.suppress(IndexError):  # unless abandon() just emptied it
                    result = self._results.popleft()
                    self._room.put(None)
                    return result
                continue
            if ended:
                return None
            await self._wait()

    async def _wait(self) -> None:
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        self._loop_waits = True
        try:
            if not (self._results or self._ended):  # a last look, now that put() will wake us
                await waiter
        finally:
            self._waiters.remove(waiter)

    def _resolve_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():  # it may have been cancelled with the task awaiting it
                waiter.set_result(None)
