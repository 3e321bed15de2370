"""_origins: the origins whose connections are not reused, within a process and across a run's
processes through a shared table (issue 22)."""

from __future__ import annotations

import multiprocessing

from titlefetch.http._origins import (
    MAX_ORIGINS,
    TABLE_SLOTS,
    Origin,
    StrayOrigins,
    StrayTable,
    new_table,
)

A, B = Origin("http", "a.test", 80), Origin("https", "b.test", 8443)


def test_an_origin_added_is_kept_and_no_other():
    strays = StrayOrigins()
    strays.add(A)
    assert A in strays
    assert B not in strays
    strays.clear()
    assert A not in strays


def test_processes_given_one_table_see_each_others_origins():
    table = new_table()
    ours, theirs = StrayOrigins(table), StrayOrigins(table)
    theirs.add(B)
    assert B in ours
    assert A not in ours
    ours.clear()  # a table is the run's: what another process added stays
    assert B in ours


def _add_in_child(table: StrayTable) -> None:
    StrayOrigins(table).add(A)


def test_an_origin_added_in_a_worker_process_is_seen_by_the_parent():
    table = new_table()
    child = multiprocessing.get_context("spawn").Process(target=_add_in_child, args=(table,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert A in StrayOrigins(table)


def test_the_set_and_the_table_are_bounded():
    strays = StrayOrigins(new_table())
    origins = [Origin("http", f"h{n}.test", 80) for n in range(MAX_ORIGINS + TABLE_SLOTS)]
    for origin in origins:
        strays.add(origin)
    assert len(strays._local) == MAX_ORIGINS
    assert sum(1 for slot in strays._table or () if slot) <= TABLE_SLOTS
