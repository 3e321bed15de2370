"""titlefetch: the <title> of every page in a list of URLs, fetched concurrently.

Everything public is exported here; the modules beside this one are private (`_api.py`, ...).
The public names are imported on first use, so `import titlefetch` (and the command's start)
loads no HTTP or HTML machinery before it is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from titlefetch._lazy import lazy_exports
from titlefetch._version import __version__

if TYPE_CHECKING:
    from titlefetch._api import TitleRun, fetch_titles
    from titlefetch._async_api import AsyncTitleRun, afetch_titles
    from titlefetch._errors import (
        ERROR_KINDS,
        BackendUnavailable,
        ClusterError,
        FetchError,
        SourceError,
        TitlefetchError,
        WorkerLost,
    )
    from titlefetch._options import FetchOptions, RunOptions
    from titlefetch._results import Failure, TitleResult
    from titlefetch.run import UrlLine

_EXPORTS = {
    "fetch_titles": "titlefetch._api",
    "TitleRun": "titlefetch._api",
    "afetch_titles": "titlefetch._async_api",
    "AsyncTitleRun": "titlefetch._async_api",
    "FetchOptions": "titlefetch._options",
    "RunOptions": "titlefetch._options",
    "Failure": "titlefetch._results",
    "TitleResult": "titlefetch._results",
    "UrlLine": "titlefetch.run",
    "ERROR_KINDS": "titlefetch._errors",
    "TitlefetchError": "titlefetch._errors",
    "SourceError": "titlefetch._errors",
    "FetchError": "titlefetch._errors",
    "BackendUnavailable": "titlefetch._errors",
    "ClusterError": "titlefetch._errors",
    "WorkerLost": "titlefetch._errors",
}

__all__ = [
    "ERROR_KINDS",
    "AsyncTitleRun",
    "BackendUnavailable",
    "ClusterError",
    "Failure",
    "FetchError",
    "FetchOptions",
    "RunOptions",
    "SourceError",
    "TitleResult",
    "TitleRun",
    "TitlefetchError",
    "UrlLine",
    "WorkerLost",
    "__version__",
    "afetch_titles",
    "fetch_titles",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
