"""run_batch(): what a cluster worker runs for one batch: groups of calls, each group's
`allowance` at a time.

For each group, `allowance` threads (the task's own thread among them) each take the group's
next call until none is left, so one slow call holds one of them, not the group's others.
Each runs in a copy of the task's context, so a call sees the cluster worker it runs in
(get_title records its address). No import of distributed here: the batch is plain data.
"""

from __future__ import annotations

import contextvars
import pickle
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from titlefetch.run.executors.process import Outcome, encode_outcomes

BatchCall = tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
# Threads shared by the batches running in this process; made on demand, kept while idle.
_THREADS = ThreadPoolExecutor(max_workers=4096, thread_name_prefix="titlefetch-batch")


def run_batch(payload: bytes) -> bytes:
    """Run the pickled list of groups `(allowance, calls)`; returns the pickled list of the
    calls' outcomes."""
    groups: list[tuple[int, list[BatchCall]]] = pickle.loads(payload)
    outcomes: list[Outcome] = []
    queues: list[deque[BatchCall]] = []  # a runner's: its group's calls
    for allowance, calls in groups:
        queues += [deque(calls)] * min(allowance, len(calls))
    helpers = [
        _THREADS.submit(contextvars.copy_context().run, _run_calls, waiting, outcomes)
        for waiting in queues[1:]
    ]
    _run_calls(queues[0], outcomes)
    for helper in helpers:
        helper.result()
    return encode_outcomes(outcomes)


def _run_calls(waiting: deque[BatchCall], outcomes: list[Outcome]) -> None:
    while True:
        try:
            call_id, fn, args, kwargs = waiting.popleft()
        except IndexError:
            return
        try:
            outcomes.append((call_id, True, fn(*args, **kwargs)))
        except Exception as exc:  # the call's own error, for its future alone
            outcomes.append((call_id, False, exc))
