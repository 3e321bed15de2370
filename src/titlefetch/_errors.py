"""Exceptions, and the stable error kinds a failed URL reports."""

# The kinds a result's error can carry. They are part of the output format: scripts grep for
# them, so a kind is never renamed. docs/output.md documents each one.
ERROR_KINDS = (
    "invalid_url",  # the line is neither an http(s) URL nor a host line, or its pattern is invalid
    "dns",  # the host name does not resolve
    "refused",  # nothing listens on the port
    "reset",  # the connection broke (reset, closed early, malformed response)
    "timeout",  # connect or the whole request took longer than allowed
    "tls",  # certificate or TLS handshake failure
    "too_many_redirects",  # a redirect loop or a chain longer than --max-redirects
    "bad_redirect",  # a redirect to a scheme other than http(s)
    "http_4xx",  # the final response had a 4xx status
    "http_5xx",  # the final response had a 5xx status
    "http_status",  # any other non-2xx final status
    "too_large",  # the body passed --max-bytes before the title was complete, or huge headers
    "unsupported_encoding",  # a Content-Encoding titlefetch cannot decode (br without brotli)
    "not_html",  # the content type has no title (image, PDF, JSON, text/plain, ...)
    "no_title",  # an HTML document without a <title>
    "worker_crashed",  # the worker process (or cluster worker) running the fetch died
    "status_mismatch",  # the final status is not one of --expect-status
    "title_mismatch",  # the title does not match the line's expected pattern (URL<TAB>REGEX)
    "cancelled",  # the run stopped before this URL was fetched
    # --render: the page was not parsed, or stopped answering, in the browser within --timeout
    # (its static title is kept), or the browser could not open it or crashed on it
    "render_timeout",
    "render_failed",
    "internal",  # a bug in titlefetch; please report it
)


class TitlefetchError(Exception):
    """Base class of every error titlefetch raises."""


class SourceError(TitlefetchError):
    """An input source (file or stdin) cannot be read."""


class FetchError(TitlefetchError):
    """A URL could not be fetched or has no title; `kind` is one of ERROR_KINDS.

    `permanent`: a retry cannot help (an unknown host name, an untrusted certificate).
    `stage`: "connect" for a failure to reach the server (name lookup, connect, TLS
    handshake), "response" for one after the request was sent, None for neither.
    `redirects`, `refreshes`, `status`, `final_url`: how far the redirect chain got (the HTTP
    redirects and the meta refreshes followed, the status of the last response and the URL of
    the last hop).
    """

    def __init__(
        self, kind: str, message: str, *, permanent: bool = False, stage: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.permanent = permanent
        self.stage = stage
        self.redirects = 0
        self.refreshes = 0
        self.status: int | None = None
        self.final_url: str | None = None


class BackendUnavailable(TitlefetchError):
    """A --backend whose optional dependency is not installed."""


class BrowserUnavailable(TitlefetchError):
    """--render without Playwright or without a Chromium to drive."""


class ClusterError(TitlefetchError):
    """The Dask cluster cannot be reached or started."""


class WorkerLost(TitlefetchError):
    """The worker running a task died, and its pool has given up on the task."""
