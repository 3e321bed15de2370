"""The parity figure: how many behaviours of tests/hostile_server.py a titlefetch binary shows
as Chromium did (tests/http/hostile_chromium.json), by test_parity.py's rule.

    python -m tests.http.parity_figure .venv/bin/titlefetch --workers 64 --order completed

Not a test: it measures any binary (main's too), and lists the rows that differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from tests.fault_server import FaultServer
from tests.hostile_server import serve_all
from tests.http.test_hostile import LIMITS
from tests.http.test_parity import TABLE, agrees


def main() -> None:
    binary, *options = sys.argv[1:]
    with FaultServer() as server, tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        urls, behaviours, _ = serve_all(server)
        listing.write("\n".join(urls) + "\n")
        listing.flush()
        args = [binary, "--format", "jsonl", "--quiet", *LIMITS, *options, listing.name]
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    results = {record["url"]: record for record in map(json.loads, done.stdout.splitlines())}
    agreeing = 0
    for url, behaviour in behaviours.items():
        shown, record = TABLE["rows"][behaviour.name], results[url]
        if agrees(shown, record):
            agreeing += 1
        else:
            error = record["error"] and record["error"]["kind"]
            print(f"differs: {behaviour.name}: Chromium {shown}; titlefetch", end=" ")
            print(f"title={record['title']!r} status={record['status']} error={error}")
    print(f"{agreeing} / {len(behaviours)} rows agree with {TABLE['browser']}")


if __name__ == "__main__":
    main()
