"""The result records that cross the pool: TitleResult and its Failure."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a URL has no title: a stable `kind` (see errors.ERROR_KINDS) and a message."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class TitleResult:
    """The outcome for one URL: its title, or the failure that kept it from having one."""

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    title: str | None = None
    encoding: str | None = None  # the WHATWG name of the encoding the page was decoded in
    encoding_source: str | None = None  # bom, header, meta, xml, guess or default
    error: Failure | None = None
    redirects: int = 0  # HTTP redirects followed
    refreshes: int = 0  # meta refreshes followed (--follow-refresh)
    bytes_read: int = 0
    started: float = 0.0  # wall-clock seconds (time.time()) when the fetch began
    elapsed_ms: float = 0.0
    pid: int | None = None
    process: str | None = None
    thread: str | None = None
    worker: str | None = None  # the cluster worker's address, with the dask backend
    rendered: bool = False  # the title is the one a browser showed with JavaScript on (--render)
    static_title: str | None = None  # the title without JavaScript, of a page sent to the browser
    render_ms: float | None = None  # time the page spent in the browser, waiting for it included
    source: str | None = None  # the input file the URL came from ("<stdin>", "argument")
    line: int | None = None  # its line number there

    @property
    def ok(self) -> bool:
        """No error: a 2xx response with a title, or whatever --expect-status accepts."""
        return self.error is None

    def __reduce__(self) -> tuple[type[TitleResult], tuple[object, ...]]:
        # Pickled as the constructor's arguments: a third of the time the dataclass's own
        # state handling takes, paid for every result a worker process or cluster sends back.
        return TitleResult, _field_values(self)


_field_values = operator.attrgetter(*(field.name for field in dataclasses.fields(TitleResult)))
