"""Output order: results handed out in input order (reassembled) or as they complete.

Pure bookkeeping by sequence number, one per input line: no threads, no executors.
"""

from __future__ import annotations

from collections import deque

from titlefetch._options import Order
from titlefetch._results import TitleResult


class OutputOrder:
    """Takes each line's result (or the news that it will never have one) in any order and
    hands results out in `order`: in input order, each once every earlier line is settled,
    or at once.

    >>> output = OutputOrder("input")
    >>> output.put(1, TitleResult("https://b.test/"))
    >>> output.pop() is None  # line 0 is not settled yet
    True
    >>> output.put(0, TitleResult("https://a.test/"))
    >>> [output.pop().url, output.pop().url]
    ['https://a.test/', 'https://b.test/']
    """

    def __init__(self, order: Order) -> None:
        self._in_input_order = order == "input"
        self._ready: dict[int, TitleResult] = {}  # seq -> result, waiting for earlier lines
        self._dropped: set[int] = set()  # seqs that will never have a result (stopped)
        self._out: deque[TitleResult] = deque()
        self._settled = 0  # lines handed out or dropped; in input order also the next seq

    @property
    def settled(self) -> int:
        """How many lines were handed out (or dropped): the rest of those read are pending."""
        return self._settled

    def put(self, seq: int, result: TitleResult) -> None:
        """The result of line `seq`."""
        if self._in_input_order:
            self._ready[seq] = result
            self._collect()
        else:
            self._out.append(result)
            self._settled += 1

    def drop(self, seq: int) -> None:
        """Line `seq` will never have a result (the run stopped before it was fetched)."""
        if self._in_input_order:
            self._dropped.add(seq)
            self._collect()
        else:
            self._settled += 1

    def pop(self) -> TitleResult | None:
        """The next result to hand out, if one is ready."""
        return self._out.popleft() if self._out else None

    def __bool__(self) -> bool:
        """Whether a result is ready to hand out."""
        return bool(self._out)

    def _collect(self) -> None:
        while True:
            if self._settled in self._dropped:
                self._dropped.discard(self._settled)
            elif self._settled in self._ready:
                self._out.append(self._ready.pop(self._settled))
            else:
                return
            self._settled += 1
