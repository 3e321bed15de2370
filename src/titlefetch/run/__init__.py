"""Input lines -> futures -> results: the scheduler, host slots, the dedupe store,
the executors (threads, processes, a Dask cluster) and get_title(), the function workers run.

The layers above use what is exported here and the executors package (run/executors/); the
modules beside this one are private. The names are imported on first use, so reading the
command's lines (UrlLine) loads neither the scheduler nor the HTTP and HTML stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from titlefetch._lazy import lazy_exports

if TYPE_CHECKING:
    from titlefetch.run._dispatch import ExecutorWork
    from titlefetch.run._lines import (
        UrlLine,
        as_lines,
        check_result,
        host_line_problem,
        is_url_argument,
        parse_lines,
        parse_statuses,
        url_problem,
    )
    from titlefetch.run._scheduler import Check, Listeners, Schedule, Scheduler
    from titlefetch.run._work import get_title, prepare_worker

_EXPORTS = {
    "check_result": "titlefetch.run._lines",
    "parse_statuses": "titlefetch.run._lines",
    "ExecutorWork": "titlefetch.run._dispatch",
    "UrlLine": "titlefetch.run._lines",
    "as_lines": "titlefetch.run._lines",
    "host_line_problem": "titlefetch.run._lines",
    "is_url_argument": "titlefetch.run._lines",
    "parse_lines": "titlefetch.run._lines",
    "url_problem": "titlefetch.run._lines",
    "Check": "titlefetch.run._scheduler",
    "Listeners": "titlefetch.run._scheduler",
    "Schedule": "titlefetch.run._scheduler",
    "Scheduler": "titlefetch.run._scheduler",
    "get_title": "titlefetch.run._work",
    "prepare_worker": "titlefetch.run._work",
}

__all__ = [
    "Check",
    "ExecutorWork",
    "Listeners",
    "Schedule",
    "Scheduler",
    "UrlLine",
    "as_lines",
    "check_result",
    "get_title",
    "host_line_problem",
    "is_url_argument",
    "parse_lines",
    "parse_statuses",
    "prepare_worker",
    "url_problem",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
