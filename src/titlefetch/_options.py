"""The options of a run, each with its default and help declared once, here.

FetchOptions (how each URL is fetched) and RunPlan (how the run goes) are the two shapes every
layer passes on; RunOptions is the keywords of fetch_titles() and afetch_titles(). The click
command takes each option's default and help from the fields below (`default_of`, `help_of`),
so adding an option is a field here, its keyword in RunOptions (a test checks they agree)
and its click decorator in cli/_command.py.

It imports nothing of the HTTP or HTML stack, so `titlefetch --help` and `--version` can read
it without loading them.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, TypeVar

from titlefetch._results import TitleResult
from titlefetch._version import __version__

Order = Literal["input", "completed"]  # results in input order, or as each fetch completes
ORDERS: tuple[Order, ...] = ("input", "completed")
# What a host line (a list line without a scheme, run/_lines.py) is fetched as: https and then
# http when https cannot connect, or one of them only.
HostScheme = Literal["auto", "https", "http"]
HOST_SCHEMES: tuple[HostScheme, ...] = ("auto", "https", "http")
# What certificates are verified against when no bundle is named (http/_trust.py).
TrustStore = Literal["system", "certifi"]
TRUST_STORES: tuple[TrustStore, ...] = ("system", "certifi")
# Which pages a browser renders (run/_work.py, render/): none, those without a static title,
# every one.
RenderMode = Literal["never", "missing", "always"]
RENDER_MODES: tuple[RenderMode, ...] = ("never", "missing", "always")
BACKEND_NAMES = ("thread", "process", "dask")  # the pools of this machine, then a Dask cluster
# --format: the line formats of cli/_output.py, then junit, a report written at the end
OUTPUT_FORMATS = ("text", "tsv", "csv", "jsonl", "junit")
COLOR_MODES = ("auto", "always", "never")  # --color: colour errors in text output

DEFAULT_WORKERS = 32  # fetching waits on the network: 32 at once keep a list moving politely
DEFAULT_PER_HOST = 8
DEFAULT_MAX_REDIRECTS = 20  # as Chromium and Firefox
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_USER_AGENT = f"titlefetch/{__version__} (+https://github.com/titlefetch/titlefetch)"

_T = TypeVar("_T")


def _option(default: _T, help: str, *, shown: str | None = None) -> _T:
    """A field's default, with the help `--help` gives it and, for a None default, the words
    `--help` shows for it (`[default: one per core]`)."""
    metadata = {"help": help, "shown": shown}
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to fetch: picklable, so it crosses to process and cluster workers unchanged."""

    timeout: float = _option(10.0, "Seconds allowed for each URL attempt, redirects included")
    connect_timeout: float = _option(5.0, "Seconds allowed to open a connection")
    retries: int = _option(
        2, "Retries after connection errors, timeouts, 408, 429, 502, 503 and 504"
    )
    max_redirects: int = _option(
        DEFAULT_MAX_REDIRECTS, "Redirects (and followed meta refreshes) to follow at most"
    )
    max_bytes: int = _option(
        DEFAULT_MAX_BYTES, "Body bytes to read at most while looking for the title"
    )
    user_agent: str = _option(DEFAULT_USER_AGENT, "User-Agent header to send")
    headers: tuple[tuple[str, str], ...] = _option((), "Extra request header (repeatable)")
    verify: bool = _option(True, "Verify TLS certificates (--insecure: do not)")
    ca_bundle: str | None = _option(None, "Verify TLS certificates against this CA bundle")
    per_host: int = _option(DEFAULT_PER_HOST, "Concurrent requests to one host at most")
    scheme: HostScheme = _option(
        "auto",
        "Lines without a scheme: https, then http when https cannot connect (auto), or one",
    )
    # When neither ca_bundle nor the environment names a bundle.
    trust: TrustStore = _option(
        "system",
        "Certificates to verify against: the system's (as browsers), or certifi's bundle",
    )
    # get_title follows a page's meta refresh (run/_work.py).
    follow_refresh: bool = _option(
        False, "Follow a meta refresh of up to 5 s, as a browser does, to report the target's title"
    )
    # get_title opens HTML pages in a headless Chromium (run/_work.py, render/).
    render: RenderMode = _option(
        "never",
        "Open HTML pages in headless Chromium for the title JavaScript sets: pages without "
        "a static title (missing), or every one (always)",
    )
    render_wait: float = _option(
        2.0, "Seconds a rendered page may take to set its title once parsed (within --timeout)"
    )
    render_workers: int = _option(4, "Pages rendered at once, per process")
    # The Chromium to drive; None: found on PATH (render/_renderer.py).
    browser: str | None = _option(
        None, "Chromium or Chrome to render with", shown="chromium on PATH"
    )

    def __reduce__(self) -> tuple[type[FetchOptions], tuple[object, ...]]:
        # Pickled as the constructor's arguments, as TitleResult is: every batch sent to a
        # Dask cluster carries the options, and the dataclass's own state handling takes
        # twice as long.
        return FetchOptions, _fetch_values(self)


_fetch_values = operator.attrgetter(*(field.name for field in dataclasses.fields(FetchOptions)))


@dataclass(frozen=True, slots=True)
class RunPlan:
    """How a run goes, besides how each URL is fetched: where fetches run, the order and pace
    of results, and which final statuses count as success."""

    backend: str = _option(
        "thread", "Run fetches in a pool of threads or of processes, or on a Dask cluster"
    )
    # A running Dask scheduler, for backend "dask"; None: a local cluster.
    scheduler_address: str | None = _option(
        None, "Dask scheduler for --backend dask, e.g. tcp://10.0.0.5:8786", shown="a local cluster"
    )
    # Fetches in flight; None: the backend's default (DEFAULT_WORKERS).
    workers: int | None = _option(
        None, "Concurrent fetches, whatever the backend", shown=str(DEFAULT_WORKERS)
    )
    processes: int | None = _option(
        None,
        "Worker processes of --backend process or a local Dask cluster, sharing the --workers",
        shown="one per core",
    )
    order: Order = _option("input", "Print results in input order, or as each fetch completes")
    rate: float | None = _option(None, "Requests per second at most, overall", shown="no limit")
    # Input lines read ahead at most; None: from the workers (_api.py).
    window: int | None = _option(None, "Input lines read ahead at most")
    expect_status: frozenset[int] | None = _option(
        None,
        "Final statuses (after redirects) that count as success, e.g. 200,404",
        shown="any 2xx",
    )


class RunOptions(TypedDict, total=False):
    """The keyword options of fetch_titles() and afetch_titles(): every FetchOptions field,
    and the run-wide settings besides backend, scheduler_address, workers and order."""

    timeout: float
    connect_timeout: float
    retries: int
    max_redirects: int
    max_bytes: int
    user_agent: str
    headers: tuple[tuple[str, str], ...]
    verify: bool
    ca_bundle: str | None
    trust: TrustStore  # "system" (default) or "certifi", when no bundle is named
    per_host: int
    scheme: HostScheme  # what a line without a scheme is fetched as: "auto", "https", "http"
    follow_refresh: bool  # follow a meta refresh of up to 5 s (--follow-refresh)
    render: RenderMode  # "never" (default), "missing" or "always" (--render)
    render_wait: float  # seconds a rendered page may take to set its title (--render-wait)
    render_workers: int  # pages rendered at once, per process (--render-workers)
    browser: str | None  # the Chromium to render with; None: found on PATH (--browser)
    rate: float | None  # requests per second at most, overall
    window: int | None  # input lines read ahead at most
    processes: int | None  # worker processes of backend "process" or a local Dask cluster
    expect_status: Collection[int] | None  # final statuses that count as success
    on_fetched: Callable[[TitleResult], None] | None  # called once per fetch as it ends
    before_waiting: Callable[[], None] | None  # called before the run waits for a fetch
    answered: Iterable[str]  # URLs an earlier run printed (--resume): skipped as often


FETCH = FetchOptions()  # every fetch option at its default
PLAN = RunPlan()  # every run setting at its default


def default_of(shape: type[Any], name: str) -> Any:
    """The default of option `name` of FetchOptions or RunPlan."""
    return _field(shape, name).default


def help_of(shape: type[Any], name: str) -> str:
    """The help phrase of option `name` of FetchOptions or RunPlan."""
    return str(_field(shape, name).metadata["help"])


def shown_default_of(shape: type[Any], name: str) -> str | bool:
    """What `--help` shows as the default of `name`: its words for a None default, else True
    (click shows the value)."""
    shown = _field(shape, name).metadata["shown"]
    return True if shown is None else str(shown)


def _field(shape: type[Any], name: str) -> dataclasses.Field[Any]:
    for field in dataclasses.fields(shape):
        if field.name == name:
            return field
    raise KeyError(f"{shape.__name__} has no option {name!r}")
