"""Output order: input order reassembled from results that arrive in any order, or as they come."""

from __future__ import annotations

import pytest

from titlefetch._results import TitleResult
from titlefetch.run._ordering import OutputOrder


def result(n: int) -> TitleResult:
    return TitleResult(f"https://h{n}.test/")


def handed(output: OutputOrder) -> list[str]:
    urls = []
    while (next_result := output.pop()) is not None:
        urls.append(next_result.url)
    return urls


def test_input_order_holds_later_results_until_the_earlier_ones_arrive():
    output = OutputOrder("input")
    output.put(2, result(2))
    output.put(1, result(1))
    assert not output
    assert handed(output) == []
    assert output.settled == 0
    output.put(0, result(0))
    assert output
    assert handed(output) == [result(n).url for n in range(3)]
    assert output.settled == 3


def test_completed_order_hands_each_result_out_at_once():
    output = OutputOrder("completed")
    output.put(2, result(2))
    assert handed(output) == [result(2).url]
    output.put(0, result(0))
    assert handed(output) == [result(0).url]
    assert output.settled == 2


@pytest.mark.parametrize("order", ["input", "completed"])
def test_a_dropped_line_counts_as_settled_and_never_blocks_the_next(order):
    output = OutputOrder(order)
    output.put(1, result(1))
    output.drop(0)
    output.drop(3)
    output.put(2, result(2))
    assert sorted(handed(output)) == [result(1).url, result(2).url]
    assert output.settled == 4


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_comes_out_in_input_order(seed):
    import random

    seqs = list(range(50))
    random.Random(seed).shuffle(seqs)
    output = OutputOrder("input")
    out: list[str] = []
    for seq in seqs:
        if seq % 7 == 3:
            output.drop(seq)
        else:
            output.put(seq, result(seq))
        out += handed(output)
    assert out == [result(n).url for n in range(50) if n % 7 != 3]
    assert output.settled == 50
