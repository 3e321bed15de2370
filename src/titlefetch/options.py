"""The options of a run: their names, choices and defaults, each declared once.

It imports nothing of the HTTP or HTML stack, so the command's `--help` and `--version` can
read it without loading them; every layer above takes its defaults from here.
"""

from __future__ import annotations

from typing import Literal

from titlefetch._version import __version__

Order = Literal["input", "completed"]  # results in input order, or as each fetch completes
ORDERS: tuple[Order, ...] = ("input", "completed")
# What a host line (a list line without a scheme, run/lines.py) is fetched as: https and then
# http when https cannot connect, or one of them only.
HostScheme = Literal["auto", "https", "http"]
HOST_SCHEMES: tuple[HostScheme, ...] = ("auto", "https", "http")
# What certificates are verified against when no bundle is named (http/trust.py).
TrustStore = Literal["system", "certifi"]
TRUST_STORES: tuple[TrustStore, ...] = ("system", "certifi")
BACKEND_NAMES = ("thread", "process", "dask")  # the pools of this machine, then a Dask cluster
# --format: the line formats of cli/output.py, then junit, a report written at the end
OUTPUT_FORMATS = ("text", "tsv", "csv", "jsonl", "junit")
COLOR_MODES = ("auto", "always", "never")  # --color: colour errors in text output

DEFAULT_WORKERS = 32  # fetching waits on the network: 32 at once keep a list moving politely
DEFAULT_PER_HOST = 8
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_REDIRECTS = 20  # as Chromium and Firefox
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_USER_AGENT = f"titlefetch/{__version__} (+https://github.com/titlefetch/titlefetch)"
