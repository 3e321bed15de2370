"""The floor for a requests-based client: what requests alone costs, with no title parsing.

A ThreadPoolExecutor sharing one Session (one urllib3 pool per host, `--workers` connections
each, proxies and .netrc not consulted), reading every body to its end so that every
connection goes back to the pool, printing `URL<TAB>` lines. Like the rig's io_floor peer,
it is not a title fetcher; it answers "can titlefetch reach its targets with requests?":
titlefetch cannot be faster or cheaper than this.

    .venv/bin/python benchmarks/requests_floor.py urls.txt --workers 64
    sudo ../shared/bench/run.sh --keep --peers io_floor-64 --workloads small,medium \\
        --tool "$PWD/.venv/bin/python $PWD/benchmarks/requests_floor.py {urls}"
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

_session = requests.Session()


def read_all(url: str) -> str:
    """GET `url` and read its body to the end; `URL<TAB>` or `URL<TAB>` plus nothing on error."""
    try:
        with _session.get(url, stream=True, timeout=(5, 10)) as response:
            for _ in response.raw.stream(64 * 1024, decode_content=False):
                pass
    except requests.RequestException:
        pass
    return f"{url}\t\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", help="file with one URL per line")
    parser.add_argument("--workers", type=int, default=64, help="threads")
    args = parser.parse_args(argv)
    _session.trust_env = False
    adapter = HTTPAdapter(pool_connections=256, pool_maxsize=args.workers)
    _session.mount("http://", adapter)
    _session.mount("https://", adapter)
    with open(args.urls) as file:
        urls = [line.strip() for line in file if line.strip()]
    with ThreadPoolExecutor(args.workers) as executor:
        sys.stdout.writelines(executor.map(read_all, urls))


if __name__ == "__main__":
    main()
