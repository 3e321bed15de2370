"""Dedupe: a Job per distinct URL being fetched, and the UrlStore of URLs already answered.

UrlStore keeps the results of URLs already fetched, and URLs answered by an earlier run, on
disk: a run over a million distinct URLs must not hold a million results in memory just in
case one repeats, so they live in a temporary SQLite file (the standard library's; nothing to
install) with a small page cache. Only the scheduler's thread uses a store.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import os
import pickle
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from titlefetch._options import FETCH, HostScheme
from titlefetch._results import Failure, TitleResult
from titlefetch.http import Origin
from titlefetch.run._lines import UrlLine, urls_to_try

_SCHEMA = """
CREATE TABLE result (url TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE answered (url TEXT PRIMARY KEY, remaining INTEGER NOT NULL) WITHOUT ROWID;
"""
_BATCH = 512  # results kept in memory before they are written in one transaction
_FIELD_VALUES = operator.attrgetter(*(field.name for field in dataclasses.fields(TitleResult)))
_CACHE_KIB = 4096  # SQLite's page cache: memory stays flat however many URLs are stored


class UrlStore:
    """Remembers results by URL, and how often an earlier run already answered a URL."""

    def __init__(self) -> None:
        descriptor, self._path = tempfile.mkstemp(prefix="titlefetch-", suffix=".sqlite")
        os.close(descriptor)
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._db.executescript(
            f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-{_CACHE_KIB};"
            + _SCHEMA
        )
        self._has_answered = False
        self._unwritten: dict[str, TitleResult] = {}
        self._stored = _SeenFilter()  # most URLs are new: their lookup skips SQLite
        # Delete the file even when a caller drops the run without closing it.
        self._finalizer = weakref.finalize(self, _remove, self._db, self._path)

    def remember(self, result: TitleResult) -> None:
        """Keep `result` for later lines with the same URL."""
        # Written in batches: one transaction per statement was a visible share of the CPU.
        self._unwritten[result.url] = result
        self._stored.add(result.url)
        if len(self._unwritten) >= _BATCH:
            self._write_unwritten()

    def _write_unwritten(self) -> None:
        # Pickled as a tuple of the fields: a fifth of the time of pickling the dataclass.
        rows = [
            (url, pickle.dumps(_FIELD_VALUES(result), protocol=pickle.HIGHEST_PROTOCOL))
            for url, result in self._unwritten.items()
        ]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO result VALUES (?, ?)", rows)
        self._db.execute("COMMIT")
        self._unwritten.clear()

    def recall(self, url: str) -> TitleResult | None:
        """The result remembered for `url`, if any."""
        if url not in self._stored:
            return None
        unwritten = self._unwritten.get(url)
        if unwritten is not None:
            return unwritten
        row = self._db.execute("SELECT record FROM result WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return TitleResult(*pickle.loads(row[0]))

    def add_answered(self, urls: Iterable[str]) -> int:
        """Count URLs an earlier run answered (one per output line); returns how many."""
        total = 0
        self._db.execute("BEGIN")
        for url in urls:
            self._db.execute(
                "INSERT INTO answered VALUES (?, 1) "
                "ON CONFLICT(url) DO UPDATE SET remaining = remaining + 1",
                (url,),
            )
            total += 1
        self._db.execute("COMMIT")
        self._has_answered = total > 0
        return total

    def take_answered(self, url: str) -> bool:
        """Whether an earlier run answered this occurrence of `url` (each answer counts once)."""
        if not self._has_answered:
            return False
        cursor = self._db.execute(
            "UPDATE answered SET remaining = remaining - 1 WHERE url = ? AND remaining > 0",
            (url,),
        )
        return cursor.rowcount > 0

    def close(self) -> None:
        """Delete the store's file (again is fine)."""
        self._finalizer()


class _SeenFilter:
    """A Bloom filter of the URLs stored: "not stored" is certain, "stored" only likely.

    1 MiB of bits and four probes: about 2% false positives after a million URLs (those cost
    one SQLite lookup each, as every lookup did before), nothing wrong ever.
    """

    _BITS = 1 << 23
    _PROBES = 4

    def __init__(self) -> None:
        self._bits = bytearray(self._BITS // 8)

    def add(self, url: str) -> None:
        for position in self._positions(url):
            self._bits[position >> 3] |= 1 << (position & 7)

    def __contains__(self, url: str) -> bool:
        bits = self._bits
        return all(bits[position >> 3] >> (position & 7) & 1 for position in self._positions(url))

    def _positions(self, url: str) -> list[int]:
        # Double hashing on the two halves of str's own hash (cached in the string object).
        digest = hash(url) & 0xFFFF_FFFF_FFFF_FFFF
        first, step = digest & 0xFFFF_FFFF, digest >> 32 | 1
        return [(first + probe * step) % self._BITS for probe in range(self._PROBES)]


def _remove(db: sqlite3.Connection, path: str) -> None:
    db.close()
    os.unlink(path)


# Jobs: one per distinct URL being fetched, with the input lines that wait for it.
#
# Dedupe lives here: a line whose URL an earlier run answered (--resume) is skipped, a line whose
# result is already known (an invalid line, a URL fetched before) gets it at once, and a line
# whose URL is already being fetched joins that job. No threads and no executors: the scheduler
# asks, and submits the new jobs this hands back.

Waiting = list[tuple[int, UrlLine]]  # (seq, line) of the input lines waiting for a result


@dataclass(slots=True)
class Job:
    """One distinct URL: the input lines waiting for it and its future once submitted."""

    url: str
    host: str  # the origin its --per-host slot is counted on (a redirect may move it)
    seq: int  # its first line's
    lines: Waiting = field(default_factory=list)
    future: Future[TitleResult] | None = None
    executor: Executor | None = None  # the one it was submitted to
    attempts: int = 0


class JobTable:
    """The jobs of a run by URL, and the results of URLs already fetched (in a UrlStore)."""

    def __init__(self, answered: Iterable[str] = (), scheme: HostScheme = FETCH.scheme) -> None:
        self._scheme = scheme  # what a host line is fetched as first (for its host key)
        self._store = UrlStore()  # url -> result for repeated URLs; earlier answers
        self._store.add_answered(answered)
        self._jobs: dict[str, Job] = {}  # url -> job, waiting for its slot or running

    def __len__(self) -> int:
        """How many jobs are waiting or running."""
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def is_answered(self, line: UrlLine) -> bool:
        """Whether an earlier run answered this occurrence of the line's URL (counted once)."""
        return self._store.take_answered(line.url)

    def known_result(self, line: UrlLine) -> TitleResult | None:
        """The line's result if it needs no fetch: an unusable line, or a URL fetched before."""
        if line.problem is not None:
            failure = Failure("invalid_url", f"{line.source}:{line.line}: {line.problem}")
            return TitleResult(url=line.url, error=failure)
        return self._store.recall(line.url)

    def join(self, seq: int, line: UrlLine) -> Job | None:
        """Let line `seq` wait for its URL's job; returns the job if it is new (to schedule)."""
        job = self._jobs.get(line.url)
        created = job is None
        if job is None:
            job = self._jobs[line.url] = Job(line.url, host_of(line.url, self._scheme), seq)
        job.lines.append((seq, line))
        return job if created else None

    def finish(self, job: Job, result: TitleResult) -> Waiting:
        """Forget the finished `job`, remember its result for later lines; returns its lines."""
        del self._jobs[job.url]
        self._store.remember(result)
        return job.lines

    def drop(self, job: Job) -> Waiting:
        """Forget a job that will never run; returns the lines that will have no result."""
        del self._jobs[job.url]
        return job.lines

    def close(self) -> None:
        """Delete the stored results (again is fine)."""
        self._store.close()


def host_of(url: str, scheme: HostScheme = FETCH.scheme) -> str:
    """The key --per-host counts a URL's requests by: its origin's "host:port". A host line
    counts where its first try goes (`scheme` as --scheme says; a fallback moves it).

    >>> host_of("HTTPS://user@Example.TEST/a?b#c"), host_of("example.test/a", "http")
    ('example.test:443', 'example.test:80')
    """
    if "://" not in url:
        url = urls_to_try(url, scheme)[0]
    # A URL that reached a job has a host and a valid port: see lines.url_problem. The origin
    # depends on the scheme and the authority alone; a list has few of those, so parsing
    # each once saves most of the cost (a full parse takes several microseconds).
    written, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return _host_key(written.lower(), authority)


@functools.lru_cache(maxsize=4096)
def _host_key(scheme: str, authority: str) -> str:
    return str(Origin.of(f"{scheme}://{authority}/"))
