"""retries: which responses and failures are tried again, and the pause before each try."""

from __future__ import annotations

import pytest

from titlefetch._errors import FetchError
from titlefetch.http.retries import (
    BACKOFF_FACTOR,
    BACKOFF_JITTER,
    BACKOFF_MAX,
    RETRY_AFTER_CEILING,
    RetryPolicy,
    seconds_asked,
)

NOW = 1_700_000_000.0  # seconds since the epoch: 2023-11-14 22:13:20 UTC


def policy(retries: int = 2, jitter: float = 0.0) -> RetryPolicy:
    return RetryPolicy(retries, random=lambda: jitter)


def test_backoff_is_0_then_doubles_from_twice_the_factor_up_to_the_maximum():
    waits = [policy().backoff(retry) for retry in range(1, 9)]
    assert waits == [0, 0.5, 1, 2, 4, 8, 8, 8]
    assert BACKOFF_FACTOR * 2 == 0.5 and BACKOFF_MAX == 8


def test_jitter_is_added_from_the_second_retry_on():
    jittery = policy(jitter=1.0)  # random() at its top
    assert jittery.backoff(1) == 0
    assert jittery.backoff(2) == 0.5 + BACKOFF_JITTER


@pytest.mark.parametrize(
    ("status", "retry_after", "pause"),
    [
        (503, None, 0.0),
        (429, "1", 1.0),
        (408, None, 0.0),
        (502, "", 0.0),
        (504, None, 0.0),
        (500, None, None),
        (404, None, None),
        (200, "5", None),
        (429, str(int(RETRY_AFTER_CEILING)), RETRY_AFTER_CEILING),
        (429, str(int(RETRY_AFTER_CEILING) + 1), None),  # too long a pause: the 429 is final
        (503, "Tue, 14 Nov 2023 22:13:25 GMT", 5.0),  # a date 5 s ahead
        (503, "Fri, 31 Dec 1999 23:59:59 GMT", 0.0),  # a date in the past: at once
        (503, "Fri, 31 Dec 9999 23:59:59 GMT", None),  # far ahead: the 503 is final
        (503, "soon", 0.0),  # unparsable: ignored, the usual backoff
        (503, "Fri, 31 Dec 99999 23:59:59 GMT", 0.0),  # a year Python cannot hold: ignored
        (503, "99999999999999999999999", None),
    ],
)
def test_which_statuses_are_retried_and_after_how_long(status, retry_after, pause):
    assert policy().pause_after_status(status, retry_after, 1, NOW) == pause


def test_retries_are_spent_then_the_last_status_stands():
    assert policy(retries=2).pause_after_status(503, None, 2, NOW) is not None
    assert policy(retries=2).pause_after_status(503, None, 3, NOW) is None
    assert policy(retries=0).pause_after_status(503, None, 1, NOW) is None


@pytest.mark.parametrize(
    ("failure", "retried"),
    [
        (FetchError("reset", "closed"), True),
        (FetchError("timeout", "late"), True),
        (FetchError("tls", "untrusted", permanent=True), False),
        (FetchError("dns", "unknown name", permanent=True), False),
    ],
)
def test_a_failure_is_retried_unless_it_is_permanent(failure, retried):
    assert (policy().pause_after_failure(failure, 1) is not None) is retried
    assert policy(retries=1).pause_after_failure(failure, 2) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("-1", None),
        ("1.5", None),
        ("Tue, 14 Nov 2023 22:14:20 GMT", 60.0),
        ("Tuesday, 14-Nov-23 22:14:20 GMT", 60.0),  # RFC 850, still allowed
        ("Tue Nov 14 22:14:20 2023", 60.0),  # asctime
        ("²", None),
        ("", None),
    ],
)
def test_retry_after_is_seconds_or_a_date_or_nothing(value, seconds):
    assert seconds_asked(value, NOW) == seconds
