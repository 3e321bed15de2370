"""Jobs: one per distinct URL being fetched, with the input lines that wait for it.

Dedupe lives here: a line whose URL an earlier run answered (--resume) is skipped, a line whose
result is already known (an invalid line, a URL fetched before) gets it at once, and a line
whose URL is already being fetched joins that job. No threads and no executors: the scheduler
asks, and submits the new jobs this hands back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from titlefetch._options import FETCH, HostScheme
from titlefetch._results import Failure, TitleResult
from titlefetch.http import Origin
from titlefetch.run.lines import UrlLine, urls_to_try
from titlefetch.run.store import UrlStore

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
