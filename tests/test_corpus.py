"""Conformance: the real CLI over the shared corpus of real-world pages gets every title right.

The corpus (../shared/corpus beside the clone, issue #3) holds responses with the title Chromium
shows for each; its serve.py serves them on 127.0.0.1 and score.py compares our jsonl output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TITLEFETCH = shutil.which("titlefetch", path=os.path.dirname(sys.executable)) or "titlefetch"


@pytest.fixture
def corpus_urls(tmp_path: Path) -> Iterator[Path]:
    """The corpus served by its own serve.py on a free port; yields the file of case URLs."""
    if not (CORPUS / "serve.py").is_file():
        pytest.skip(f"no conformance corpus at {CORPUS} (CI puts it beside the clone)")
    urls = tmp_path / "urls.txt"
    with subprocess.Popen(
        [sys.executable, CORPUS / "serve.py", CORPUS, "--port", "0", "--urls", urls],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it logs each connection we close after the title
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            assert server.stdout.readline().startswith("serving"), "serve.py did not start"
            _wait_until_answers(urls.read_text().split()[0])
            yield urls
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_answers(url: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_every_corpus_title_matches_the_browser(corpus_urls: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with results.open("w") as out:
        run = subprocess.run(
            [TITLEFETCH, "--format", "jsonl", "--workers", "16", "--per-host", "16", corpus_urls],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert run.returncode in (0, 1), run.stderr  # 1: some pages rightly have no title
    score = subprocess.run(
        [sys.executable, CORPUS / "score.py", CORPUS / "expected.jsonl", results],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert score.returncode == 0, score.stdout[-4000:]
    assert "(100.0%)" in score.stdout
