"""When a GET is tried again, and how long it waits first: the policy transport.py applies.

The numbers are urllib3's Retry with titlefetch's settings (requests' users know them): the
first retry at once, then 0.5, 1, 2, 4, 8 s plus up to 0.25 s of jitter, or what the server's
Retry-After asks when that is at most RETRY_AFTER_CEILING.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from titlefetch._errors import FetchError

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
# A server asking for a longer pause than this gets no retry: its answer (429, 503) is final.
RETRY_AFTER_CEILING = 10.0
BACKOFF_FACTOR = 0.25
BACKOFF_JITTER = 0.25  # up to this many seconds added at random to each backoff
BACKOFF_MAX = 8.0
_SECONDS = re.compile(r"\s*[0-9]+\s*")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retries` retries of a GET after failures that are not permanent and RETRY_STATUSES."""

    retries: int
    random: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        if retry <= 1:
            return 0.0
        wait = BACKOFF_FACTOR * 2.0 ** (retry - 1) + self.random() * BACKOFF_JITTER
        return min(BACKOFF_MAX, wait)

    def pause_after_failure(self, failure: FetchError, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` after `failure`; None: no retry."""
        if failure.permanent or retry > self.retries:
            return None
        return self.backoff(retry)

    def pause_after_status(
        self, status: int, retry_after: str | None, retry: int, now: float
    ) -> float | None:
        """Seconds to wait before retry number `retry` after a response with `status`; None:
        the response is final. An unparsable Retry-After is ignored, as browsers ignore it."""
        if status not in RETRY_STATUSES or retry > self.retries:
            return None
        asked = seconds_asked(retry_after, now)
        if asked is None:
            return self.backoff(retry)
        return asked if asked <= RETRY_AFTER_CEILING else None


def seconds_asked(retry_after: str | None, now: float) -> float | None:
    """The pause a Retry-After value asks for (delay-seconds or an HTTP date, seen at `now`,
    in seconds since the epoch); None when there is none or it does not parse.

    >>> seconds_asked("120", 0.0), seconds_asked("Thu, 01 Jan 1970 00:01:00 GMT", 30.0)
    (120.0, 30.0)
    >>> seconds_asked("soon", 0.0) is None, seconds_asked("Fri, 31 Dec 99999 23:59:59 GMT", 0.0)
    (True, None)
    """
    if retry_after is None:
        return None
    if _SECONDS.fullmatch(retry_after):
        return float(int(retry_after))
    try:
        date = email.utils.parsedate_to_datetime(retry_after)
        when = date.replace(tzinfo=date.tzinfo or datetime.UTC).timestamp()  # HTTP dates are GMT
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(0.0, when - now)
