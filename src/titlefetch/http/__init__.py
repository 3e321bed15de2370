"""One URL -> Page: connections, requests and responses, codings, redirects, retries, the
deadline, proxies and the error kinds of network trouble. The only package on the network."""

from titlefetch.http._clients import client_for, forget_strays, share_strays
from titlefetch.http._fallback import fetch_first_reachable
from titlefetch.http._fetch import BodyCheck, Page, RefreshCheck, RunHooks
from titlefetch.http._origins import Origin, StrayTable, new_table

__all__ = [
    "BodyCheck",
    "Origin",
    "Page",
    "RefreshCheck",
    "RunHooks",
    "StrayTable",
    "client_for",
    "fetch_first_reachable",
    "forget_strays",
    "new_table",
    "share_strays",
]
