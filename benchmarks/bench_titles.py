"""Title extraction on the conformance corpus: titlefetch's scan against BeautifulSoup builders.

    python benchmarks/bench_titles.py [CORPUS_DIR]

Each page is cut where titlefetch stops reading (16 KiB chunks until is_title_settled), as a
real fetch would, then every option extracts the title from that prefix. Prints, per option,
the corpus score and the extraction time per page (median, p99), plus bytes read per page and
the CPU cost of the is_title_settled calls. The html5lib rows need html5lib installed.
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import Tag

from titlefetch.html._decoders import decode
from titlefetch.html._encodings import can_have_title, declared_encoding, guess_encoding
from titlefetch.html._titles import extract_title, is_title_settled, normalize_title

CHUNK = 16 * 1024
Extractor = Callable[[bytes, Sequence[str]], "str | None"]


def load_case(case: Path) -> tuple[tuple[str, ...], bytes]:
    meta = json.loads((case / "meta.json").read_text())
    headers = meta["headers"]
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    body = (case / "body").read_bytes()
    encoding = [value.lower() for name, value in pairs if name.lower() == "content-encoding"]
    if encoding and "gzip" in encoding[-1]:
        body = gzip.decompress(body)
    elif encoding and "deflate" in encoding[-1]:
        try:
            body = zlib.decompress(body)
        except zlib.error:
            body = zlib.decompress(body, -zlib.MAX_WBITS)
    return tuple(value for name, value in pairs if name.lower() == "content-type"), body


def read_like_fetch(body: bytes, content_types: Sequence[str]) -> tuple[bytes, float]:
    """The prefix titlefetch reads, and the seconds spent in is_title_settled on the way."""
    spent, end = 0.0, 0
    start = time.process_time()
    settled = is_title_settled(b"", content_types)
    spent += time.process_time() - start
    while not settled and end < len(body):
        end += CHUNK
        start = time.process_time()
        settled = is_title_settled(body[:end], content_types)
        spent += time.process_time() - start
    return body[: min(end, len(body))], spent


def bs4_option(builder: str, *, decoded: bool) -> Extractor:
    def extract(body: bytes, content_types: Sequence[str]) -> str | None:
        if not can_have_title(content_types):
            return None
        markup: bytes | str = body
        if decoded:  # titlefetch's browser decoding first, so only the parser differs
            encoding, bom = declared_encoding(body, content_types, html=True)
            markup = decode(body[bom:], encoding or guess_encoding(body))
        soup = BeautifulSoup(markup, builder)
        title = soup.find(lambda tag: tag.name == "title" and _is_html(tag))
        return normalize_title(title.get_text()) or None if isinstance(title, Tag) else None

    return extract


def _is_html(tag: Tag) -> bool:
    return tag.namespace in (None, "http://www.w3.org/1999/xhtml")


def main(argv: list[str]) -> None:
    warnings.simplefilter("ignore")  # bs4 warns about XML-looking and odd pages
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    corpus = Path(argv[1]) if len(argv) > 1 else default
    expected = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines()]
    pages, read, settle = [], [], []
    for case in expected:
        content_types, body = load_case(corpus / "cases" / case["id"])
        prefix, spent = read_like_fetch(body, content_types)
        pages.append((prefix, content_types, case["title"]))
        read.append(len(prefix))
        settle.append(spent)
    print(f"pages {len(pages)}; bytes read median {statistics.median(read):.0f}, max {max(read)}")
    print(f"is_title_settled per page: median {_ms(settle, 0.5)}, p99 {_ms(settle, 0.99)}")
    options: dict[str, Extractor] = {"titlefetch scan": extract_title}
    builders = ["html.parser", "lxml"] + (["html5lib"] if find_spec("html5lib") else [])
    for builder in builders:
        options[f"bs4 {builder} (bs4 decoding)"] = bs4_option(builder, decoded=False)
        options[f"bs4 {builder} (browser decoding)"] = bs4_option(builder, decoded=True)
    for name, extract in options.items():
        times, score = [], 0
        for prefix, content_types, title in pages:
            start = time.process_time()
            got = extract(prefix, content_types)
            times.append(time.process_time() - start)
            score += (got or "") == title
        percent = 100 * score / len(pages)
        print(
            f"{name:34} {score}/{len(pages)} ({percent:.1f}%)  "
            f"median {_ms(times, 0.5)}  p99 {_ms(times, 0.99)}"
        )


def _ms(values: list[float], quantile: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1000:.3f} ms"


if __name__ == "__main__":
    main(sys.argv)
