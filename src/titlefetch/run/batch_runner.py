"""run_batch(): what a cluster worker runs for one batch: groups of calls, each group's
`allowance` at a time; start_groups(): the same, reporting each outcome as its call ends.

For each group, `allowance` threads (for run_batch, the task's own thread among them) each take
the group's next call until none is left, so one slow call holds one of them, not the group's
others. Each runs in a copy of the caller's context, so a call sees the cluster worker it runs
in (get_title records its address). No import of distributed here: the batch is plain data.
"""

from __future__ import annotations

import contextvars
import pickle
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from titlefetch.run.executors.process import Outcome, encode_outcomes

BatchCall = tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
Groups = list[tuple[int, list[BatchCall]]]  # (allowance, calls) for each group
Report = Callable[[Outcome], object]
# Threads shared by the batches running in this process; made on demand, kept while idle.
_THREADS = ThreadPoolExecutor(max_workers=4096, thread_name_prefix="titlefetch-batch")


def run_batch(payload: bytes) -> bytes:
    """Run the pickled list of groups `(allowance, calls)`; returns the pickled list of the
    calls' outcomes."""
    outcomes: list[Outcome] = []
    queues = _queues(pickle.loads(payload))
    helpers = _start_queues(queues[1:], outcomes.append)
    _run_calls(queues[0], outcomes.append)
    for helper in helpers:
        helper.result()
    return encode_outcomes(outcomes)


def start_groups(groups: Groups, report: Report) -> list[Future[None]]:
    """Start the groups' calls on threads of this process; `report` gets each outcome as its
    call ends. Returns the threads' futures, done when their calls are."""
    return _start_queues(_queues(groups), report)


def _start_queues(queues: list[deque[BatchCall]], report: Report) -> list[Future[None]]:
    return [
        _THREADS.submit(contextvars.copy_context().run, _run_calls, waiting, report)
        for waiting in queues
    ]


def _queues(groups: Groups) -> list[deque[BatchCall]]:
    """A queue for each thread that runs calls: a group's `allowance` threads share one."""
    queues: list[deque[BatchCall]] = []
    for allowance, calls in groups:
        queues += [deque(calls)] * min(allowance, len(calls))
    return queues


def _run_calls(waiting: deque[BatchCall], report: Report) -> None:
    while True:
        try:
            call_id, fn, args, kwargs = waiting.popleft()
        except IndexError:
            return
        try:
            report((call_id, True, fn(*args, **kwargs)))
        except Exception as exc:  # the call's own error, for its future alone
            report((call_id, False, exc))
