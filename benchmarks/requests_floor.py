"""The floor of an HTTP client in Python: what it costs to only fetch, with no title parsing.

A ThreadPoolExecutor of `--workers` threads sharing one client (one pool per host, proxies and
.netrc not consulted), reading every body to its end so that every connection goes back to the
pool, following redirects, printing `URL<TAB>` lines. Like the rig's io_floor peer it is not a
title fetcher; it answers "how cheap can a fetch through this client be?". `--client` picks it:

- `requests`: Session.get, what most scripts do;
- `send`: a PreparedRequest through Session.send (titlefetch before it left requests);
- `adapter`: requests' HTTPAdapter.send, no Session;
- `urllib3`: PoolManager.urlopen, the transport under requests (titlefetch's hot path until
  it got a transport of its own);
- `http.client`: the standard library's connections, kept alive per host by hand;
- `titlefetch`: titlefetch's own transport (http1.py on connections.py's sockets).

    .venv/bin/python benchmarks/requests_floor.py urls.txt --workers 64 --client urllib3
    sudo ../shared/bench/run.sh --keep --peers io_floor-64 --workloads medium \\
        --tool "$PWD/.venv/bin/python $PWD/benchmarks/requests_floor.py {urls} --client requests" \\
        --tool "$PWD/.venv/bin/python $PWD/benchmarks/requests_floor.py {urls} --client urllib3"
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", help="file with one URL per line")
    parser.add_argument("--workers", type=int, default=64, help="threads")
    parser.add_argument(
        "--client",
        choices=("requests", "send", "adapter", "urllib3", "http.client", "titlefetch"),
        default="requests",
    )
    args = parser.parse_args(argv)
    fetch = _fetcher(args.client, args.workers)
    with open(args.urls) as file:
        urls = [line.strip() for line in file if line.strip()]

    def read_all(url: str) -> str:
        with contextlib.suppress(
            requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException
        ):
            fetch(url)
        return f"{url}\t\n"

    with ThreadPoolExecutor(args.workers) as executor:
        sys.stdout.writelines(executor.map(read_all, urls))


def _fetcher(client: str, workers: int) -> Callable[[str], None]:
    if client == "http.client":
        return _http_client_fetcher()
    if client == "titlefetch":
        return _titlefetch_fetcher(workers)
    if client == "urllib3":
        pools = urllib3.PoolManager(num_pools=256, maxsize=workers, retries=False)
        timeout = urllib3.Timeout(connect=5, read=10)

        def fetch_urllib3(url: str) -> None:
            response = pools.urlopen(
                "GET", url, redirect=True, preload_content=False, timeout=timeout
            )
            for _ in response.stream(_CHUNK, decode_content=False):
                pass
            response.release_conn()

        return fetch_urllib3
    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=256, pool_maxsize=workers)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if client == "requests":

        def fetch_requests(url: str) -> None:
            with session.get(url, stream=True, timeout=(5, 10)) as response:
                for _ in response.raw.stream(_CHUNK, decode_content=False):
                    pass

        return fetch_requests

    def fetch_prepared(url: str) -> None:
        for _ in range(10):
            request = requests.PreparedRequest()
            request.prepare(method="GET", url=url, headers=session.headers)
            options = {"stream": True, "timeout": (5, 10), "verify": True, "cert": None}
            if client == "send":
                response = session.send(request, allow_redirects=False, proxies={}, **options)
            else:
                response = adapter.send(request, proxies={}, **options)
            with response:
                for _ in response.raw.stream(_CHUNK, decode_content=False):
                    pass
            if response.status_code not in _REDIRECTS or "Location" not in response.headers:
                return
            url = urljoin(url, response.headers["Location"])

    return fetch_prepared


def _http_client_fetcher() -> Callable[[str], None]:
    idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}
    lock = threading.Lock()

    def fetch_http_client(url: str) -> None:
        for _ in range(10):
            parts = urlsplit(url)
            key = (parts.hostname or "", parts.port or 80)
            with lock:
                kept = idle.get(key)
                connection = kept.pop() if kept else None
            if connection is None:
                connection = http.client.HTTPConnection(*key, timeout=10)
            connection.request("GET", parts.path or "/", headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            while response.read(_CHUNK):
                pass
            with lock:
                idle.setdefault(key, []).append(connection)
            location = response.getheader("Location")
            if response.status not in _REDIRECTS or not location:
                return
            url = urljoin(url, location)

    return fetch_http_client


def _titlefetch_fetcher(workers: int) -> Callable[[str], None]:
    from titlefetch._options import FetchOptions
    from titlefetch.http._deadline import Deadline
    from titlefetch.http._transport import RetryPolicy, new_transport

    limits = FetchOptions(timeout=10.0, connect_timeout=5.0)
    transport = new_transport(per_host=workers, verify=True, policy=RetryPolicy(0), limits=limits)

    def fetch_titlefetch(url: str) -> None:
        for _ in range(10):
            with Deadline(10.0) as deadline:
                response = transport.get(url, {"Accept-Encoding": "identity"}, deadline)
                while response.read1(_CHUNK):
                    pass
                response.release()
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                return
            url = urljoin(url, location)

    return fetch_titlefetch


if __name__ == "__main__":
    main()
