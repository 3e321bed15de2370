"""Host slots: oldest job first, --per-host and in-flight caps, redirects moving a slot, --rate."""

from __future__ import annotations

from dataclasses import dataclass

from titlefetch.run._slots import HostSlots


@dataclass
class FakeJob:
    host: str
    seq: int


def jobs(*hosts: str) -> list[FakeJob]:
    return [FakeJob(host, seq) for seq, host in enumerate(hosts)]


class ManualClock:
    """A clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_slots(
    *, per_host: int = 1, in_flight: int = 10, rate: float | None = None, clock=None
) -> HostSlots[FakeJob]:
    return HostSlots(
        per_host=per_host, in_flight=in_flight, rate=rate, clock=clock or ManualClock()
    )


def test_the_oldest_job_of_any_host_with_a_free_slot_goes_first():
    a1, b1, a2, c1 = jobs("a", "b", "a", "c")
    slots = make_slots(per_host=1)
    for job in (a1, b1, a2, c1):
        slots.add(job)
    assert slots.take_ready() == [a1, b1, c1]  # a2 waits for a1's slot
    assert slots.take_ready() == []
    assert slots.finish(a1, take_next=True) == [a2]


def test_in_flight_caps_started_jobs_across_hosts():
    a1, b1, c1 = jobs("a", "b", "c")
    slots = make_slots(per_host=5, in_flight=2)
    for job in (a1, b1, c1):
        slots.add(job)
    assert slots.take_ready() == [a1, b1]
    assert slots.finish(b1, take_next=False) == []
    assert slots.take_ready() == [c1]


def test_a_job_redirected_to_a_full_host_gets_its_next_freed_slot_before_waiting_jobs():
    a1, b1, b2 = jobs("a", "b", "b")
    slots = make_slots(per_host=1)
    for job in (a1, b1, b2):
        slots.add(job)
    assert slots.take_ready() == [a1, b1]
    ready, arrived = slots.move(a1, "b", take_next=True)
    assert ready == []
    assert arrived is not None and not arrived.is_set()
    assert a1.host == "a"  # not moved until it has a slot on b
    assert slots.finish(b1, take_next=True) == []  # b1's slot went to a1, not b2
    assert arrived.is_set()
    assert a1.host == "b"
    assert slots.finish(a1, take_next=True) == [b2]


def test_a_job_redirected_to_a_host_with_a_free_slot_takes_it_at_once():
    x1, a1, b1 = jobs("x", "a", "b")
    slots = make_slots(per_host=1)
    slots.add(x1)
    assert slots.take_ready() == [x1]
    slots.add(a1)
    slots.add(b1)
    # x1 takes a's free slot: a's offer of that slot is stale and skipped, b1 starts instead.
    assert slots.move(x1, "a", take_next=True) == ([b1], None)
    assert x1.host == "a"
    assert slots.finish(x1, take_next=True) == [a1]


def test_a_redirect_to_the_same_host_changes_nothing():
    a1, a2 = jobs("a", "a")
    slots = make_slots(per_host=1)
    slots.add(a1)
    slots.add(a2)
    assert slots.take_ready() == [a1]
    assert slots.move(a1, "a", take_next=True) == ([], None)
    assert slots.take_ready() == []


def test_a_retaken_slot_counts_against_the_host_again():
    a1, a2 = jobs("a", "a")
    slots = make_slots(per_host=1)
    slots.add(a1)
    slots.add(a2)
    assert slots.take_ready() == [a1]
    assert slots.finish(a1, take_next=False) == []  # a crashed pool: a1 is submitted again
    slots.retake(a1)
    assert slots.take_ready() == []  # a2's offer is stale: a1 holds the slot
    assert slots.finish(a1, take_next=True) == [a2]


def test_dropped_waiting_jobs_never_start():
    a1, a2, b1 = jobs("a", "a", "b")
    slots = make_slots(per_host=1, in_flight=1)
    for job in (a1, a2, b1):
        slots.add(job)
    assert slots.take_ready() == [a1]
    assert slots.drop_waiting() == [a2, b1]
    assert slots.finish(a1, take_next=True) == []


def test_rate_holds_the_next_start_back_and_says_until_when():
    a1, b1, c1 = jobs("a", "b", "c")
    clock = ManualClock()
    slots = make_slots(per_host=1, rate=4, clock=clock)
    assert slots.next_start() is None  # nothing waits
    for job in (a1, b1, c1):
        slots.add(job)
    assert slots.take_ready() == [a1]
    assert slots.take_ready() == []
    assert slots.next_start() == 100.25
    clock.now = 100.2
    assert slots.take_ready() == []
    clock.now = 100.25
    assert slots.take_ready() == [b1]
    clock.now = 101.0  # a late look starts one job, not the ones it could have started before
    assert slots.take_ready() == [c1]
    assert slots.next_start() is None


def test_without_rate_there_is_no_start_to_wait_for():
    slots = make_slots(per_host=1, in_flight=1)
    for job in jobs("a", "b"):
        slots.add(job)
    assert slots.take_ready() != []
    assert slots.next_start() is None
