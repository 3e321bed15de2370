"""Smoke-check expectations: the statuses and title pattern a result must satisfy.

Pure functions over a TitleResult; the scheduler applies them where a result meets its input
line, so every line is judged against its own expectation, even for a URL fetched once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import replace

from titlefetch._results import Failure, TitleResult

# The kinds a worker reports for a final status outside 2xx: an explicit --expect-status
# replaces them with its own verdict.
_STATUS_KINDS = frozenset({"http_4xx", "http_5xx", "http_status"})


def parse_statuses(text: str) -> frozenset[int]:
    """The status codes in a comma-separated list such as `200,301`.

    >>> sorted(parse_statuses("200, 301"))
    [200, 301]

    Raises:
        ValueError: an item is not a status code from 100 to 599.
    """
    codes = set()
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or not 100 <= int(item) <= 599:
            raise ValueError(f"{item!r} is not an HTTP status code (100-599)")
        codes.add(int(item))
    return frozenset(codes)


def check_result(
    result: TitleResult, expect: str | None, statuses: Collection[int] | None
) -> TitleResult:
    """`result`, failed with `status_mismatch` or `title_mismatch` when it misses an expectation.

    `statuses` are the final statuses (after redirects) that count as success; None keeps the
    default, any 2xx. `expect` is a regex the title must contain (re.search). A result that
    failed before any response (no status) is returned unchanged.

    >>> ok = TitleResult("https://example.com/", status=200, title="Example Domain")
    >>> check_result(ok, "Example", None).ok
    True
    >>> check_result(ok, None, {301}).error
    Failure(kind='status_mismatch', message='expected status 301, got 200')
    """
    if result.status is None:
        return result
    if statuses is not None:
        if result.status not in statuses:
            return _failed(result, "status_mismatch", _status_message(statuses, result.status))
        if result.error is not None and result.error.kind in _STATUS_KINDS:
            result = replace(result, error=None)
    if expect is None or result.error is not None:
        return result
    if result.title is None or not _compiled(expect).search(result.title):
        got = "no title" if result.title is None else repr(result.title)
        return _failed(result, "title_mismatch", f"expected title matching {expect!r}, got {got}")
    return result


def _status_message(statuses: Collection[int], got: int) -> str:
    expected = " or ".join(str(code) for code in sorted(statuses))
    return f"expected status {expected}, got {got}"


def _failed(result: TitleResult, kind: str, message: str) -> TitleResult:
    return replace(result, error=Failure(kind, message))


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
