"""Host slots: which waiting job may start next under --per-host, the in-flight cap and --rate.

The scheduler adds each new job here and starts the jobs this hands back, each holding a slot
on its host and one of the in-flight budget. Nothing here knows about executors or futures:
the caller submits the jobs, outside the lock, because an executor shutting down runs the
callbacks of the futures it cancels, and those callbacks come back here for the lock.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class SlotHolder(Protocol):
    """What the slots need of a job: its host (a redirect changes it) and its input order."""

    host: str

    @property
    def seq(self) -> int: ...


JobT = TypeVar("JobT", bound=SlotHolder)


class HostSlots(Generic[JobT]):
    """Waiting jobs by host, and the slots the started ones hold.

    Shared with the threads that run and complete futures: a thread pool's worker that
    finishes a fetch starts the next one itself, without waiting for the scheduler's thread
    to wake up, and a worker whose fetch follows a redirect moves its slot (move).
    """

    def __init__(
        self,
        *,
        per_host: int,
        in_flight: int,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_host = per_host
        self._in_flight = in_flight
        self._rate = rate
        self._clock = clock  # monotonic seconds: what --rate spaces starts by
        self._waiting: defaultdict[str, deque[JobT]] = defaultdict(deque)  # host -> jobs
        self._running: Counter[str] = Counter()  # host -> slots taken
        # Hosts with waiting jobs and a free slot, by their oldest waiting job: the oldest job
        # any host may start goes first, as from one queue in input order.
        self._startable: list[tuple[int, str]] = []
        # Fetches of a thread pool that follow a redirect to a full host wait here for a slot.
        self._movers: dict[str, deque[tuple[JobT, threading.Event]]] = {}
        self._submitted = 0  # jobs that took a slot and have not finished
        self._next_slot = 0.0  # with --rate, the clock's time the next start is allowed
        self._lock = threading.Lock()  # guards all of the above

    def add(self, job: JobT) -> None:
        """Queue a new job behind the others waiting for its host."""
        with self._lock:
            self._waiting[job.host].append(job)
            if len(self._waiting[job.host]) == 1:
                self._offer(job.host)

    def take_ready(self) -> list[JobT]:
        """Take a slot for each job that may start now, oldest first: the caller starts them."""
        with self._lock:
            return self._take_ready()

    def finish(self, job: JobT, *, take_next: bool) -> list[JobT]:
        """Free the slot of a finished `job`; with `take_next`, take slots for the jobs that
        may start now, which the caller starts."""
        with self._lock:
            self._release(job.host)
            self._submitted -= 1
            return self._take_ready() if take_next else []

    def move(
        self, job: JobT, host: str, *, take_next: bool
    ) -> tuple[list[JobT], threading.Event | None]:
        """For the worker whose fetch of `job` follows a redirect to `host`: give back the slot
        of the host it leaves, then take one on `host`.

        Returns the jobs the freed slot lets start (with `take_next`), which the caller starts,
        and, if `host` is full, an Event to wait on (outside the lock) until a slot there is
        this job's.
        """
        if host == job.host:
            return [], None
        arrived = None
        with self._lock:
            self._release(job.host)
            if self._running[host] < self._per_host:
                self._running[host] += 1
                job.host = host
            else:  # the next slot _release frees on `host` is this job's
                arrived = threading.Event()
                self._movers.setdefault(host, deque()).append((job, arrived))
            return (self._take_ready() if take_next else []), arrived

    def retake(self, job: JobT) -> None:
        """Take a slot again for a started `job` that is submitted once more (a crashed pool)."""
        with self._lock:
            self._running[job.host] += 1
            self._submitted += 1

    def drop_waiting(self) -> list[JobT]:
        """Forget every job still waiting for a slot, and return them."""
        with self._lock:
            waiting = [job for jobs in self._waiting.values() for job in jobs]
            self._waiting.clear()
            self._startable.clear()
        return waiting

    def is_waiting(self, host: str) -> bool:
        """Whether jobs wait for `host`."""
        # Read without the lock: a stale answer only keeps or closes one connection that the
        # other answer would not have.
        return bool(self._waiting.get(host))

    def next_start(self) -> float | None:
        """With --rate and jobs waiting, the clock's time the next one may start; else None."""
        # Read without the lock: a stale answer only makes one wait of the scheduler's thread
        # shorter or longer, and that thread looks again when it wakes.
        if self._rate is None or not self._waiting:
            return None
        return self._next_slot

    # -- holding the lock ----------------------------------------------------------------

    def _take_ready(self) -> list[JobT]:
        ready = []
        while self._startable:
            _, host = self._startable[0]
            jobs = self._waiting.get(host)
            if not jobs or self._running[host] >= self._per_host:
                heapq.heappop(self._startable)  # a redirect took the slot it was offered for
                continue
            if not self._may_start_now():
                break
            heapq.heappop(self._startable)
            job = jobs.popleft()
            self._running[host] += 1
            self._submitted += 1
            ready.append(job)
            if jobs:
                self._offer(host)
            else:
                del self._waiting[host]
        return ready

    def _offer(self, host: str) -> None:
        """Queue `host` for a start, if it has a waiting job and a free slot."""
        jobs = self._waiting.get(host)
        if jobs and self._running[host] < self._per_host:
            heapq.heappush(self._startable, (jobs[0].seq, host))

    def _may_start_now(self) -> bool:
        if self._submitted >= self._in_flight:
            return False
        if self._rate is None:
            return True
        now = self._clock()
        if now < self._next_slot:
            return False
        self._next_slot = max(now, self._next_slot) + 1 / self._rate
        return True

    def _release(self, host: str) -> None:
        """Free a slot on `host`: to a fetch redirected there, else to all."""
        movers = self._movers.get(host)
        if movers:
            job, arrived = movers.popleft()
            if not movers:
                del self._movers[host]
            job.host = host
            arrived.set()
            return
        self._running[host] -= 1
        if self._running[host] == self._per_host - 1:  # it was full
            self._offer(host)
