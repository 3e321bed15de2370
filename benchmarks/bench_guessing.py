"""Encoding guessers on undeclared legacy pages, against what Chromium showed for each.

    python benchmarks/bench_guessing.py

Pages: tests/html/legacy_pages.py (hand-written texts, 31 language/encoding pairs, five
sizes); Chromium's answers: tests/html/legacy_pages_chromium.json. For each guesser that is
installed (charset-normalizer, chardet, cchardet, chardetng-py) and for titlefetch's own
guess, prints: titles equal to Chromium's where Chromium shows the text as written (per size),
titles as written where Chromium does not, and the time per page.
"""

from __future__ import annotations

import codecs
import importlib.util
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.html.legacy_pages import LegacyPage, legacy_pages  # noqa: E402
from titlefetch.html._decoders import decode  # noqa: E402
from titlefetch.html._encodings import encoding_for_label, guess_encoding  # noqa: E402

Guesser = Callable[[bytes], "str | None"]
_PYTHON_NAMES = {"cp874": "windows-874", "tis_620": "windows-874", "gb18030": "gbk"}


def whatwg_name(name: str | None) -> str:
    """A guesser's answer as a WHATWG encoding (windows-1252 when it has none)."""
    if not name:
        return "windows-1252"
    found = _PYTHON_NAMES.get(name.lower().replace("-", "_")) or encoding_for_label(name)
    if found is None:
        try:
            found = _PYTHON_NAMES.get(codecs.lookup(name).name.replace("-", "_"))
        except LookupError:
            found = None
    return found or "windows-1252"


def guessers() -> dict[str, Guesser]:
    found: dict[str, Guesser] = {
        "titlefetch (UTF-8 check + chardetng)": lambda b: guess_encoding(b).name
    }
    if importlib.util.find_spec("charset_normalizer"):
        import charset_normalizer

        def normalizer(body: bytes) -> str | None:
            best = charset_normalizer.from_bytes(body).best()
            return None if best is None else best.encoding

        found["charset-normalizer"] = normalizer
    if importlib.util.find_spec("chardet"):
        import chardet

        found["chardet"] = lambda body: chardet.detect(body)["encoding"]
    if importlib.util.find_spec("cchardet"):
        import cchardet

        found["cchardet (uchardet)"] = lambda body: cchardet.detect(body)["encoding"]
    if importlib.util.find_spec("chardetng_py"):
        import chardetng_py

        found["chardetng-py, bare"] = lambda body: chardetng_py.detect(body, allow_utf8=False)
    return found


def title_in(page: LegacyPage, encoding: str) -> str:
    raw = page.body.split(b"<title>")[1].split(b"</title>")[0]
    return decode(raw, encoding)


def main() -> None:
    chromium = json.loads((ROOT / "tests/html/legacy_pages_chromium.json").read_text())
    pages = legacy_pages()
    for name, guess in guessers().items():
        same, total, readable, unreadable, spent = Counter[str](), Counter[str](), 0, 0, 0.0
        for page in pages:
            start = time.perf_counter()
            encoding = whatwg_name(guess(page.body))
            spent += time.perf_counter() - start
            title, shown = title_in(page, encoding), chromium[page.id]["title"]
            if shown == page.title:
                total[page.id.rsplit("-", 1)[1]] += 1
                same[page.id.rsplit("-", 1)[1]] += title == shown
            else:
                unreadable += 1
                readable += title == page.title
        sizes = " ".join(f"{size} {same[size]}/{total[size]}" for size in total)
        print(
            f"{name:32} as Chromium: {sum(same.values())}/{sum(total.values())} ({sizes}); "
            f"as written where Chromium is not: {readable}/{unreadable}; "
            f"{spent / len(pages) * 1000:.2f} ms/page"
        )


if __name__ == "__main__":
    main()
