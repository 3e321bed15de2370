"""BatchingExecutor: one Future per call, the calls run in batches of one host's calls.

The run still submits one call per URL and reads one Future per URL; this executor queues the
calls by host (_lanes.py), cuts them into groups, and launches each group as part of a batch: a
subclass says how (_cluster.py: sent to a feed that runs on as it is fed, or one Dask task per
batch, run by _on_workers.py). Outcomes may come back one by one while a batch runs
(`deliver`) or all at its end (`settle`); a group gives its allowance back as its last call
ends, unless, sent to a feed, it is topped up with more of its host's calls before (`top_up`).
Calls still waiting can be cancelled; calls launched count as running. Calls lost with their
workers are split: each runs again alone, so a call that kills its workers cannot take others
with it.
"""

from __future__ import annotations

import math
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Executor, Future
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from titlefetch._errors import WorkerLost
from titlefetch.run.executors.dask._lanes import Group, Lanes
from titlefetch.run.executors.process import Outcome

P = ParamSpec("P")
T = TypeVar("T")
_GATHER_SECONDS = 0.005  # how long submissions may gather before they are cut into batches
_GATHER_AT_MOST = 0.05  # ... while they keep coming
BATCH_CALLS = 256  # calls in a batch at most, packing several groups
# A packed batch holds at most this share of --workers in groups: as a task of its own, a
# batch gives its allowances back only when its slowest call ends, so the run's fetches in
# flight are spread over this many batches at least.
PACKED_SHARE = 16
# ... or, for a feed, where its groups end one by one, this many groups if that is more: each
# batch sent costs titlefetch microseconds, and a list of many hosts has a group per URL.
FED_PACK = 16


@dataclass(slots=True, eq=False)  # not frozen: made for every URL, and frozen costs 3× as much
class Call:
    """One submitted call and its future."""

    id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any]


@dataclass(frozen=True, slots=True)
class Batch:
    """Groups of calls launched together as one task; `payload` is what run_batch takes."""

    groups: tuple[Group[Call], ...]
    calls: tuple[Call, ...]  # the groups' calls

    @classmethod
    def of(cls, groups: tuple[Group[Call], ...]) -> Batch:
        return cls(groups, tuple(call for group in groups for call in group.calls))

    @property
    def payload(self) -> bytes:
        return _payload([(group, group.calls) for group in self.groups])


def _payload(groups: list[tuple[Group[Call], tuple[Call, ...]]]) -> bytes:
    """What run_batch and a feed take: for each group, its key (its first call's id, which
    the calls sent to it later carry too), its allowance and the calls."""
    return pickle.dumps(
        [
            (group.calls[0].id, group.allowance, [(c.id, c.fn, c.args, c.kwargs) for c in calls])
            for group, calls in groups
        ],
        protocol=pickle.HIGHEST_PROTOCOL,
    )


class _Held:
    """A launched group: its allowance is held until none of its calls runs; sent to a feed
    (`fed`), it may be sent more calls of its host while it runs."""

    __slots__ = ("fed", "group", "left")

    def __init__(self, group: Group[Call]) -> None:
        self.group = group
        self.left = len(group.calls)  # calls sent and not ended
        self.fed: str | None = None  # the feed it went to


class BatchingExecutor(Executor):
    """Runs calls in batches that `launch` starts; `deliver`, `settle` and `lose` end calls."""

    def __init__(self, lanes: Lanes[Call], host_of_call: Callable[[tuple[Any, ...]], str]):
        self._lanes = lanes
        self._host_of_call = host_of_call  # the host of a call, from its arguments
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._dirty = False  # calls came while allowance was free, or closing: for the dispatcher
        self._returned = False  # allowance came back since the last cut
        self._running: dict[int, tuple[Call, _Held]] = {}  # launched calls by id
        self._next_id = 0
        self._closing = False
        self._broken: BrokenExecutor | None = None  # every later submit fails with it
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="titlefetch-batches", daemon=True
        )
        self._dispatcher.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self.submit_to_host(self._host_of_call(args), fn, *args, **kwargs)

    def submit_to_host(
        self, host: str, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """submit(), for a caller that knows the call's host already (finding it in the
        arguments parses the URL again)."""
        future: Future[T] = Future()
        with self._lock:
            if self._broken is not None:
                raise self._broken
            if self._closing:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._next_id += 1
            call = Call(self._next_id, fn, args, kwargs, future)
            self._lanes.add(host, call)
            if self._lanes.free:  # else nothing starts before a group ends, which wakes it
                self._touch()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Launch what waits (or cancel it), let launched calls end, then stop."""
        with self._lock:
            self._closing = True
            waiting = self._lanes.drop_waiting() if cancel_futures else []
            self._touch()
        for call in waiting:
            call.future.cancel()
        if wait:
            self._dispatcher.join()

    # -- for subclasses ------------------------------------------------------------------

    def launch(self, batches: list[Batch]) -> None:
        """Start `batches`; each of their calls must end in deliver(), settle() or lose()
        (from any thread). A batch sent to a feed that runs on may be marked so (`fed`):
        its groups are then sent more calls through `top_up` as they run."""
        raise NotImplementedError

    def feeding(self) -> bool:
        """Whether batches go to feeds now (where each group ends on its own)."""
        return False

    def top_up(self, feed: str, payload: bytes, calls: tuple[Call, ...]) -> bool:
        """Send more calls to running groups on `feed`; False if the feed is gone."""
        return False

    def fed(self, batch: Batch, feed: str) -> None:
        """`batch` went to `feed`, which runs on: its groups may take more calls there."""
        with self._lock:
            for group in batch.groups:
                for call in group.calls:  # the group's _Held, through a call still running
                    entry = self._running.get(call.id)
                    if entry is not None:
                        entry[1].fed = feed
                        break

    def deliver(self, outcomes: list[Outcome]) -> None:
        """Calls ended: set each one's result or exception. An outcome of a call that is not
        running (its batch ran again after a lost worker) is ignored. A group on a feed left
        with no call to start is topped up with more of its host's calls."""
        ended = []
        low: dict[_Held, str] = {}  # groups on feeds with nothing left to start: their feeds
        with self._lock:
            for call_id, ok, value in outcomes:
                entry = self._running.get(call_id)
                if entry is not None:
                    ended.append((self._ended(call_id).future, ok, value))
                    held, feed = entry[1], entry[1].fed
                    if feed and 0 < held.left <= held.group.allowance:
                        low[held] = feed
            # (a group whose last call ended after it was noted gave its allowance back)
            topped = [
                (feed, held, self._topped_up(held)) for held, feed in low.items() if held.left
            ]
        self._start_freed()  # first: the fetches it starts need not wait for the results' callbacks
        for feed, held, calls in topped:
            if calls and not self.top_up(feed, _payload([(held.group, calls)]), calls):
                self.lose_calls(calls, WorkerLost("its Dask worker was lost"), split=True)
        for future, ok, value in ended:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def settle(self, batch: Batch, outcomes: list[Outcome]) -> None:
        """A batch ended: set each call's result or exception."""
        self.deliver(outcomes)
        # never, unless the batch runner has a bug
        self._fail(batch.calls, RuntimeError("the batch ended without this call's outcome"))

    def lose(self, batch: Batch, error: BaseException) -> None:
        """A batch failed as a whole: its workers kept dying (WorkerLost), the cluster is gone
        (a BrokenExecutor: every call still waiting and every later submit fails too), or
        the batch runner raised."""
        self.lose_calls(batch.calls, error, split=len(batch.calls) > 1)

    def lose_calls(self, calls: Iterable[Call], error: BaseException, *, split: bool) -> None:
        """Calls failed with `error` before they ended; with `split`, a WorkerLost error
        runs each of them again alone, ahead of its host's others, instead."""
        if isinstance(error, WorkerLost) and split:
            with self._lock:
                by_host: dict[str, list[Call]] = {}
                for call in calls:
                    if call.id in self._running:
                        host = self._running[call.id][1].group.host
                        self._ended(call.id)
                        by_host.setdefault(host, []).append(call)
                for host, lost in by_host.items():
                    self._lanes.add_alone(host, lost)
            self._start_freed()
            return
        self._fail(calls, error)

    def _fail(self, calls: Iterable[Call], error: BaseException) -> None:
        with self._lock:
            failed = [self._ended(call.id) for call in calls if call.id in self._running]
            if isinstance(error, BrokenExecutor):
                self._broken = error
                failed += self._lanes.drop_waiting()
        self._start_freed()
        for call in failed:
            call.future.set_exception(error)

    # -- starting groups -----------------------------------------------------------------
    #
    # Calls submitted while allowance is free are started by the dispatcher thread, which
    # lets a burst of submissions gather first. Allowance that comes back (a group ended) is
    # cut into new groups at once by the thread that ended it (the one reading outcomes):
    # waking the dispatcher would cost a switch of threads for every message of outcomes.

    def _touch(self) -> None:
        """Wake the dispatcher: there may be groups to cut (holding the lock)."""
        if not self._dirty:  # once: a notify costs microseconds, and submits come in bursts
            self._dirty = True
            self._changed.notify()

    def _ended(self, call_id: int) -> Call:
        """A launched call ended (holding the lock): the last of its group gives the group's
        allowance back."""
        call, held = self._running.pop(call_id)
        held.left -= 1
        if not held.left:
            self._lanes.finish(held.group)
            self._returned = True  # for _start_freed()
            if self._closing:  # the dispatcher stops once nothing runs
                self._touch()
        return call

    def _topped_up(self, held: _Held) -> tuple[Call, ...]:
        """More calls for the running group `held`, now running too (holding the lock)."""
        more = self._lanes.more(held.group)  # never calls of a lost batch
        calls = tuple(call for call in more if call.future.set_running_or_notify_cancel())
        held.left += len(calls)
        for call in calls:
            self._running[call.id] = (call, held)
        return calls

    def _start_freed(self) -> None:
        """Start what the allowance given back since the last cut lets start."""
        with self._lock:
            if not self._returned:
                return
        self._start_waiting()

    def _start_waiting(self) -> None:
        """Cut the groups that may start now and launch them."""
        while True:
            with self._lock:
                self._returned = False
                groups = self._lanes.take() if self._broken is None else []
            started = [group for group in map(self._started, groups) if group]
            share = math.ceil(self._lanes.workers / PACKED_SHARE)
            batches = _packed(started, max(share, FED_PACK) if self.feeding() else share)
            if batches:
                with self._lock:
                    running = self._running
                    for batch in batches:
                        for group in batch.groups:
                            held = _Held(group)
                            for call in group.calls:
                                running[call.id] = (call, held)
                self.launch(batches)
            if len(started) == len(groups):
                return  # else cancelled calls gave allowance back: cut again

    def _dispatch(self) -> None:
        """The dispatcher thread: start calls submitted while allowance is free."""
        while self._wait_for_change():
            self._gather()
            self._start_waiting()

    def _gather(self) -> None:
        """Let a burst of submissions (a window of lines read, a batch's worth of results
        followed by their replacements) end, so that it makes few, larger batches."""
        waited = 0.0
        while waited < _GATHER_AT_MOST:
            before = self._next_id
            time.sleep(_GATHER_SECONDS)
            waited += _GATHER_SECONDS
            if self._next_id == before:
                return

    def _wait_for_change(self) -> bool:
        """Wait until there may be groups to cut; False once shut down with nothing left."""
        with self._lock:
            while not self._dirty:
                if self._closing and not self._running and not len(self._lanes):
                    return False
                self._changed.wait()
            self._dirty = False
            return True

    def _started(self, group: Group[Call]) -> Group[Call] | None:
        """The group's calls not cancelled meanwhile, now running (a call of a lost batch, which
        runs again alone, is running already; every other call waited, not yet running)."""
        if group.alone:
            return group
        if len(group.calls) == 1:  # the usual group on a list of many hosts
            if group.calls[0].future.set_running_or_notify_cancel():
                return group
            calls: tuple[Call, ...] = ()
        else:
            calls = tuple(
                call for call in group.calls if call.future.set_running_or_notify_cancel()
            )
        if len(calls) == len(group.calls):
            return group
        if not calls:
            with self._lock:
                self._lanes.finish(group)
            return None
        return Group(group.host, group.allowance, calls, group.alone, group.last)


def _packed(groups: list[Group[Call]], most: int) -> list[Batch]:
    """The groups cut together, as batches: a task costs the scheduler and the client
    milliseconds however many calls it carries, so the groups that took the last calls
    waiting for their hosts (a list of many hosts with few URLs each) are packed, up to
    `most` groups and BATCH_CALLS calls a batch. A group whose host has more calls waiting
    goes alone: the allowance of a group comes back only when its whole batch ends, and a
    busy host should not wait for another's slow page. So does a call of a lost batch."""
    batches: list[Batch] = []
    packing: list[Group[Call]] = []
    size = 0
    for group in groups:
        if group.alone or not group.last:
            batches.append(Batch(groups=(group,), calls=group.calls))
            continue
        if packing and (len(packing) == most or size + len(group.calls) > BATCH_CALLS):
            batches.append(Batch.of(tuple(packing)))
            packing, size = [], 0
        packing.append(group)
        size += len(group.calls)
    if packing:
        batches.append(Batch.of(tuple(packing)))
    return batches
