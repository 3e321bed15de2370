"""Lanes: a host's calls cut into groups whose allowances keep --per-host and --workers."""

from __future__ import annotations

import pytest

from titlefetch.run.executors.dask._lanes import Lanes


def lanes(per_host: int, workers: int, waves: int = 4) -> Lanes[str]:
    return Lanes(per_host=per_host, workers=workers, waves=waves)


def add(lanes: Lanes[str], host: str, count: int) -> list[str]:
    calls = [f"{host}/{n}" for n in range(count)]
    for call in calls:
        lanes.add(host, call)
    return calls


def test_a_busy_hosts_per_host_is_shared_out_over_groups_of_several_waves():
    queue = lanes(per_host=16, workers=64, waves=4)
    calls = add(queue, "a", 100)
    groups = queue.take()
    assert [(g.host, g.allowance, len(g.calls)) for g in groups] == [("a", 2, 8)] * 8
    assert [call for group in groups for call in group.calls] == calls[:64]
    assert queue.take() == []  # a's --per-host is all held
    queue.finish(groups[0])
    assert [(g.allowance, g.calls[0]) for g in queue.take()] == [(2, "a/64")]


def test_a_small_per_host_makes_groups_that_run_one_call_at_a_time():
    queue = lanes(per_host=8, workers=64, waves=4)
    add(queue, "a", 100)
    assert [(g.allowance, len(g.calls)) for g in queue.take()] == [(1, 4)] * 8


def test_a_short_list_is_shared_out_over_every_group_that_may_run():
    queue = lanes(per_host=16, workers=64, waves=8)
    add(queue, "a", 24)
    assert [(g.allowance, len(g.calls)) for g in queue.take()] == [(2, 3)] * 8


def test_the_end_of_a_long_list_is_shared_out_over_the_hosts_groups():
    queue = lanes(per_host=4, workers=4, waves=8)
    add(queue, "a", 40)
    groups = queue.take()
    assert [len(g.calls) for g in groups] == [8] * 4
    queue.finish(groups[0])  # 8 wait, and three groups still run: this one takes a quarter
    assert [len(g.calls) for g in queue.take()] == [2]


def test_workers_cap_the_allowances_of_all_hosts_together():
    queue = lanes(per_host=16, workers=5, waves=1)
    add(queue, "a", 10)
    add(queue, "b", 10)
    groups = queue.take()
    assert [(g.host, g.allowance) for g in groups] == [("a", 2), ("b", 2), ("a", 1)]
    assert sum(g.allowance for g in groups) == 5
    assert queue.take() == []  # all five held
    queue.finish(groups[1])  # b: 8 wait, nothing held; a: 7 wait, 3 held
    assert [(g.host, g.allowance) for g in queue.take()] == [("b", 2)]


def test_the_host_with_the_most_calls_waiting_for_its_allowance_goes_first():
    # The busiest host bounds the run: it gets allowance before hosts that came earlier,
    # and gets it back when one of its groups ends, ahead of the others waiting.
    queue = lanes(per_host=2, workers=3, waves=1)
    add(queue, "a", 2)
    add(queue, "b", 9)
    first = queue.take()
    assert [g.host for g in first] == ["b", "b", "a"]  # b: 9 calls, a: 2
    queue.finish(first[0])
    assert [g.calls for g in queue.take()] == [("b/2",)]  # b: 7 for 1 held, a: 1 for 1 held


def test_the_host_with_the_oldest_waiting_call_goes_first():
    queue = lanes(per_host=1, workers=2, waves=1)
    queue.add("b", "b/0")
    queue.add("a", "a/0")
    queue.add("b", "b/1")
    first = queue.take()
    assert [g.calls for g in first] == [("b/0",), ("a/0",)]
    queue.finish(first[1])  # a's slot frees, but b's call is older: b is full, nothing goes
    assert queue.take() == []
    queue.finish(first[0])
    assert [g.calls for g in queue.take()] == [("b/1",)]


def test_calls_that_must_run_alone_go_first_each_in_a_group_of_one():
    queue = lanes(per_host=4, workers=8, waves=4)  # groups of one call at a time
    add(queue, "a", 3)
    queue.add_alone("a", ["a/lost-1", "a/lost-2"])
    groups = queue.take()
    assert [(g.allowance, g.calls) for g in groups] == [
        (1, ("a/lost-1",)),
        (1, ("a/lost-2",)),
        (1, ("a/0", "a/1")),  # the other three over the two slots left
        (1, ("a/2",)),
    ]
    assert [g.alone for g in groups] == [True, True, False, False]


@pytest.mark.parametrize(("per_host", "workers"), [(1, 4), (3, 7), (8, 64), (64, 64)])
def test_held_allowances_never_pass_per_host_or_workers(per_host, workers):
    import random

    rng = random.Random(per_host * 100 + workers)
    queue = lanes(per_host, workers)
    running = []
    for host in "abcde":
        add(queue, host, 40)
    taken = 0
    while taken < 200:
        groups = queue.take()
        running += groups
        taken += sum(len(g.calls) for g in groups)
        held: dict[str, int] = {}
        for group in running:
            held[group.host] = held.get(group.host, 0) + group.allowance
        assert max(held.values()) <= per_host
        assert sum(held.values()) <= workers
        queue.finish(running.pop(rng.randrange(len(running))))
    assert len(queue) == 0


def test_dropped_calls_never_run():
    queue = lanes(per_host=1, workers=1, waves=2)
    add(queue, "a", 4)
    [group] = queue.take()
    assert group.calls == ("a/0", "a/1")
    assert queue.drop_waiting() == ["a/2", "a/3"]
    queue.finish(group)
    assert queue.take() == []


def test_a_running_group_takes_more_of_its_hosts_calls_as_a_new_group_would():
    # Issue 25: a group that has started all its calls is topped up, keeping its allowance.
    queue = lanes(per_host=2, workers=2, waves=2)
    add(queue, "a", 10)
    first, second = queue.take()
    assert (first.calls, second.calls) == (("a/0", "a/1"), ("a/2", "a/3"))
    assert queue.more(first) == ("a/4", "a/5")
    assert queue.take() == []  # nothing given back: both allowances still held
    queue.finish(second)
    assert [g.calls for g in queue.take()] == [("a/6", "a/7")]


def test_a_running_group_takes_nothing_when_another_hosts_calls_come_first():
    queue = lanes(per_host=1, workers=1, waves=1)
    add(queue, "a", 3)
    add(queue, "b", 5)
    [group] = queue.take()
    assert group.calls == ("b/0",)  # b has the most calls waiting
    assert queue.more(group) == ("b/1",)  # b: 4 waiting, a: 3
    assert queue.more(group) == ()  # b: 3 waiting, a: 3 with the older call
    queue.finish(group)
    assert [g.calls for g in queue.take()] == [("a/0",)]


def test_a_running_group_takes_no_calls_that_must_run_alone_nor_from_an_empty_queue():
    queue = lanes(per_host=2, workers=2, waves=1)
    add(queue, "a", 1)
    [group] = queue.take()
    assert queue.more(group) == ()
    queue.add_alone("a", ["a/lost"])
    queue.add("a", "a/1")
    assert queue.more(group) == ()
    assert [(g.calls, g.alone) for g in queue.take()] == [(("a/lost",), True)]


@pytest.mark.parametrize(("per_host", "workers"), [(1, 4), (3, 7), (8, 64)])
def test_topped_up_groups_keep_per_host_and_workers_and_every_call_runs_once(per_host, workers):
    import random

    rng = random.Random(per_host * 10 + workers)
    queue = lanes(per_host, workers)
    calls = [call for host in "abcde" for call in add(queue, host, 40)]
    running: list = []
    ran: list[str] = []
    while len(queue) or running:
        groups = queue.take()
        running += groups
        ran += [call for group in groups for call in group.calls]
        held: dict[str, int] = {}
        for group in running:
            held[group.host] = held.get(group.host, 0) + group.allowance
        assert max(held.values(), default=0) <= per_host
        assert sum(held.values()) <= workers
        group = running[rng.randrange(len(running))]
        more = queue.more(group) if rng.random() < 0.5 else ()
        ran += more
        if not more:
            running.remove(group)
            queue.finish(group)
    assert sorted(ran) == sorted(calls)
