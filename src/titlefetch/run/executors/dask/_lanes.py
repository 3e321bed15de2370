"""Lanes: calls waiting by host, cut into groups that each run as one batch on a cluster.

A group is some of one host's waiting calls and an allowance: how many of them its batch may
run at once. The allowances of the running groups add up to at most `per_host` for a host and
`workers` in all, so --per-host and --workers hold across the whole cluster however the
batches are spread over its workers. A group holds `waves` times its allowance in calls, so
that a batch carries many calls while its allowance stays busy (each group ending costs a trip
to titlefetch and back while its allowance waits), but no more than its part of what waits
for the host, so that a short list, and the end of a long one, is shared out evenly.
Allowance goes first to the host with the most calls waiting for each unit it holds: the host
with the most URLs bounds the run, as the longest job bounds a schedule, and must not lose its
allowance to others each time one of its batches ends; for the same reason a running group
may take more of its host's calls (`more`) unless another host would get its allowance first.
Pure bookkeeping: no threads, no cluster.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

CallT = TypeVar("CallT")
WAVES = 32  # calls in a group per unit of its allowance
PARTS = 8  # a host's --per-host is shared out over up to this many groups at once


@dataclass(slots=True, eq=False)  # not frozen: made for nearly every URL of a list of many hosts
class Group(Generic[CallT]):
    """Calls of one host that run as one batch, `allowance` of them at once."""

    host: str
    allowance: int
    calls: tuple[CallT, ...]
    alone: bool = False  # a call of a lost batch: it runs in a batch of its own
    last: bool = False  # it took the last calls waiting for its host


class Lanes(Generic[CallT]):
    """The waiting calls by host, oldest host first, and the allowances the groups hold."""

    def __init__(self, *, per_host: int, workers: int, waves: int = WAVES) -> None:
        self._per_host = per_host
        self._share = max(1, math.ceil(per_host / PARTS))  # a group's allowance, at most
        self._waves = waves
        self._workers = workers
        self._free = workers  # allowance not held by any group
        self._held: dict[str, int] = {}  # host -> allowance its groups hold (none: absent)
        self._waiting: dict[str, deque[tuple[int, CallT, bool]]] = {}  # (seq, call, alone)
        # Hosts with waiting calls and room, by priority (see _priority); an entry is current
        # while it matches `_offered` (calls come and go, allowance is taken and given back).
        self._startable: list[tuple[tuple[int, float, int], str]] = []
        # Offers of hosts' first calls, in the order of the heap (see add).
        self._fresh: deque[tuple[tuple[int, float, int], str]] = deque()
        self._offered: dict[str, tuple[int, float, int]] = {}
        self._seq = 0

    @property
    def workers(self) -> int:
        """The allowance of all groups together, at most (--workers)."""
        return self._workers

    @property
    def free(self) -> int:
        """The allowance no group holds."""
        return self._free

    def __len__(self) -> int:
        """How many calls wait."""
        return sum(len(calls) for calls in self._waiting.values())

    def add(self, host: str, call: CallT) -> None:
        """Queue `call` behind the others waiting for `host`."""
        self._seq += 1
        queue = self._waiting.get(host)
        if queue is None and host not in self._held:
            # The usual call on a list of many hosts: the first of a host that holds nothing.
            # Its priority is the same as every such call's but for its place in the list,
            # which comes after all of theirs: it joins the end of `_fresh`, not the heap.
            queue = self._waiting[host] = deque([(self._seq, call, False)])
            priority = self._offered[host] = self._priority(queue, held=0)
            self._fresh.append((priority, host))
            return
        if queue is None:
            queue = self._waiting[host] = deque()
        queue.append((self._seq, call, False))
        self._offer(host)  # one more call waiting: a higher priority

    def add_alone(self, host: str, calls: list[CallT]) -> None:
        """Queue calls that must each run in a group of its own (their batch was lost), ahead
        of the host's other calls."""
        queue = self._queue(host)
        for call in reversed(calls):
            queue.appendleft((-1, call, True))
        self._offer(host)

    def take(self) -> list[Group[CallT]]:
        """The groups that may start now, in the order of _priority; their allowances are held."""
        groups: list[Group[CallT]] = []
        cut_now: dict[str, int] = {}  # host -> allowance of the groups cut here
        startable, fresh = self._startable, self._fresh
        while (startable or fresh) and self._free > 0:
            if fresh and (not startable or fresh[0] < startable[0]):
                priority, host = fresh.popleft()
            else:
                priority, host = heapq.heappop(startable)
            if self._offered.get(host) != priority:
                continue  # an old offer: a newer one of this host is in the heap
            del self._offered[host]
            queue = self._waiting.get(host)
            held = self._held.get(host, 0)
            if not queue or held >= self._per_host:
                continue  # served meanwhile, or full: finish() offers it again
            if len(queue) == 1 and not queue[0][2]:  # the usual group on a list of many hosts
                self._held[host] = held + 1
                self._free -= 1
                groups.append(Group(host, 1, (queue[0][1],), last=True))
                del self._waiting[host]
                continue
            groups.append(self._cut(host, queue, cut_now))
            if queue:
                self._offer(host)
            else:
                del self._waiting[host]
        return groups

    def more(self, group: Group[CallT]) -> tuple[CallT, ...]:
        """More calls for `group`, which runs and has no call left to start: as many as a new
        group of its host would take, if no other host would get the group's allowance first
        were it given back; none otherwise, or if none wait. Its allowance stays held: a
        running group topped up keeps it busy, where a new group would cost a round trip."""
        host = group.host
        self._offered.pop(host, None)  # its own offers are old now; made anew below
        queue = self._waiting.get(host)
        if not queue:
            return ()
        calls: list[CallT] = []
        held = self._held[host]
        mine = self._priority(queue, held=held - group.allowance)  # were the group's given back
        first = self._first_offer()
        if not queue[0][2] and (first is None or mine <= first):  # lost calls go alone
            lanes = min(self._per_host, held + self._free)  # as _cut shares out what waits
            size = self._size(len(queue), group.allowance, lanes)
            calls = [queue.popleft()[1] for _ in range(size)]  # lost calls wait only in front
        if queue:
            self._offer(host)
        else:
            del self._waiting[host]
        return tuple(calls)

    def finish(self, group: Group[CallT]) -> None:
        """Give back the allowance of a group that ended."""
        host = group.host
        held = self._held[host] - group.allowance
        if held:
            self._held[host] = held
        else:
            del self._held[host]
        self._free += group.allowance
        if host in self._waiting:
            self._offer(host)

    def drop_waiting(self) -> list[CallT]:
        """Forget every waiting call, and return them."""
        calls = [call for queue in self._waiting.values() for _, call, _ in queue]
        self._waiting.clear()
        self._startable.clear()
        self._fresh.clear()
        self._offered.clear()
        return calls

    def _queue(self, host: str) -> deque[tuple[int, CallT, bool]]:
        queue = self._waiting.get(host)
        if queue is None:
            queue = self._waiting[host] = deque()
        return queue

    def _cut(
        self, host: str, queue: deque[tuple[int, CallT, bool]], cut_now: dict[str, int]
    ) -> Group[CallT]:
        alone = queue[0][2]
        held = self._held.get(host, 0)
        if alone:  # a call of a lost batch
            allowance, size = 1, 1
        else:
            room = self._per_host - held
            allowance = min(self._share, room, self._free, len(queue))
            # What waits is shared over all the allowance the host may hold but for groups
            # cut in this take, which took their parts already.
            lanes = min(self._per_host, held + self._free) - cut_now.get(host, 0)
            size = self._size(len(queue), allowance, lanes)
        calls: list[CallT] = []
        while len(calls) < size and queue and not (calls and queue[0][2]):
            calls.append(queue.popleft()[1])
        self._held[host] = held + allowance
        self._free -= allowance
        cut_now[host] = cut_now.get(host, 0) + allowance
        return Group(host, allowance, tuple(calls), alone, last=not queue)

    def _size(self, waiting: int, allowance: int, lanes: int) -> int:
        """How many of `waiting` calls a group of `allowance` takes: up to `waves` rounds of
        its allowance, but no more than its part of what waits shared over `lanes` units of
        allowance, so that a short list, and the end of a long one, is spread evenly over
        the host's groups, and they end together instead of one running on alone."""
        part = math.ceil(waiting * allowance / lanes)
        return min(waiting, allowance * self._waves, max(allowance, part))

    def _offer(self, host: str) -> None:
        """Look at `host` again at the next take, if it has waiting calls and room."""
        queue = self._waiting.get(host)
        if queue and self._held.get(host, 0) < self._per_host:
            priority = self._priority(queue, held=self._held.get(host, 0))
            if self._offered.get(host) != priority:
                self._offered[host] = priority
                heapq.heappush(self._startable, (priority, host))
                if len(self._startable) > 2 * len(self._offered) + 1024:  # mostly old offers
                    self._startable = [(p, h) for h, p in self._offered.items()]
                    heapq.heapify(self._startable)

    def _first_offer(self) -> tuple[int, float, int] | None:
        """The priority of the first current offer (old offers are cleared off the top)."""
        startable, fresh, offered = self._startable, self._fresh, self._offered
        while startable and offered.get(startable[0][1]) != startable[0][0]:
            heapq.heappop(startable)
        while fresh and offered.get(fresh[0][1]) != fresh[0][0]:
            fresh.popleft()
        firsts = [offers[0][0] for offers in (startable, fresh) if offers]
        return min(firsts) if firsts else None

    def _priority(
        self, queue: deque[tuple[int, CallT, bool]], *, held: int
    ) -> tuple[int, float, int]:
        """A host's, with `queue` waiting and `held` allowance held: calls of lost batches
        first; then the host with the most calls waiting for each unit of allowance it would
        hold; then the host with the oldest waiting call."""
        seq, _, alone = queue[0]
        return (0 if alone else 1, -len(queue) / (held + self._share), seq)
