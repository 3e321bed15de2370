"""titlefetch: the <title> of every page in a list of URLs, fetched concurrently.

The public names are imported on first use, so `import titlefetch` (and the command's start)
loads no HTTP or HTML machinery before it is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from titlefetch._version import __version__

if TYPE_CHECKING:
    from titlefetch.api import TitleRun, fetch_titles
    from titlefetch.async_api import AsyncTitleRun, afetch_titles
    from titlefetch.options import FetchOptions
    from titlefetch.results import Failure, TitleResult
    from titlefetch.run.lines import UrlLine

_EXPORTS = {
    "fetch_titles": "titlefetch.api",
    "TitleRun": "titlefetch.api",
    "afetch_titles": "titlefetch.async_api",
    "AsyncTitleRun": "titlefetch.async_api",
    "FetchOptions": "titlefetch.options",
    "Failure": "titlefetch.results",
    "TitleResult": "titlefetch.results",
    "UrlLine": "titlefetch.run.lines",
}

__all__ = [
    "AsyncTitleRun",
    "Failure",
    "FetchOptions",
    "TitleResult",
    "TitleRun",
    "UrlLine",
    "__version__",
    "afetch_titles",
    "fetch_titles",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'titlefetch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
