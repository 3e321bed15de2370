"""The scheme fallback of a host line: GET the first of its URLs whose server can be reached
(https://example.com, then http://example.com), as browsers do when they upgrade a typed host.
"""

from __future__ import annotations

from collections.abc import Sequence

from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._clients import client_for
from titlefetch.http._failures import is_unreachable
from titlefetch.http._fetch import (
    BodyCheck,
    Page,
    RefreshCheck,
    RunHooks,
    fetch_page,
)


def fetch_first_reachable(
    urls: Sequence[str],
    options: FetchOptions,
    *,
    is_enough: BodyCheck,
    hooks: RunHooks | None = None,
    refresh: RefreshCheck | None = None,
) -> Page:
    """fetch_page() of the first of `urls` whose server can be reached.

    The next URL is tried only when a server cannot be reached although its name resolved:
    refused, a failed TLS handshake (an untrusted certificate too), no connection in time.
    That is the next URL's turn at once, not a retry of this one, and the origin is not
    asked again for a while (_origins.py): the next lines of the host go straight to the
    next URL. A status, a redirect or a failure after the request went out is the answer;
    so is a name that does not resolve (the next URL has the same name).

    Raises:
        FetchError: of the URL that answered, or when none did, of the first URL; its message
            also tells what each other URL tried met.
    """
    missed: list[tuple[str, FetchError]] = []
    unreachable = client_for(options).unreachable
    for number, url in enumerate(urls, start=1):
        last = number == len(urls)
        known = None if last else unreachable.failure(url)
        if known is not None:  # found unreachable for an earlier line: not asked again
            missed.append((url, known))
            continue
        if missed and hooks is not None:
            hooks.entering(url)  # --per-host counts it against the new URL's origin
        try:
            return fetch_page(
                url,
                options,
                is_enough=is_enough,
                hooks=hooks,
                retry_unreachable=last,
                refresh=refresh,
            )
        except FetchError as failure:
            if not _is_unanswered(failure):  # this URL's answer: what the others met aside
                raise _with_the_rest(failure, missed) from failure
            missed.append((url, failure))
            if not last and is_unreachable(failure):
                unreachable.remember(url, failure)
            if last or failure.kind == "dns":
                raise _with_the_rest(missed[0][1], missed[1:]) from failure
    raise ValueError("no URL to fetch")


def _is_unanswered(failure: FetchError) -> bool:
    # Before any response of the first hop: later hops were redirected to, by an answer.
    return is_unreachable(failure) or (failure.kind == "dns" and failure.redirects == 0)


def _with_the_rest(main: FetchError, others: list[tuple[str, FetchError]]) -> FetchError:
    """`main`, its message also telling what each of the `others` (URL, failure) met."""
    if not others:
        return main
    rest = "".join(
        f"; over {url.partition(':')[0]}: {failure.kind}: {failure.message}"
        for url, failure in others
    )
    joined = FetchError(main.kind, main.message + rest, permanent=main.permanent, stage=main.stage)
    joined.redirects, joined.refreshes = main.redirects, main.refreshes
    joined.status, joined.final_url = main.status, main.final_url
    return joined
