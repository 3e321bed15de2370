"""Record what Chromium's decoders make of tests/html/decoder_cases.py (issue 22).

    python -m tests.html.chromium_decoder_recorder    # rewrites decoders_chromium.json

Not a test (CI has no Chromium). Chromium's TextDecoder uses the same decoders as its pages
(Blink's TextCodec): each case is decoded by `new TextDecoder(label)` in a blank page of
Debian's /usr/bin/chromium, driven by Playwright for Python.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

from tests.html.decoder_cases import CASES
from tests.http.chromium_parity_recorder import CHROMIUM, FLAGS

TABLE = Path(__file__).with_name("decoders_chromium.json")
# The code points, not the string: Playwright would hand a non-BMP character over as two halves.
DECODE = (
    "([label, hex]) => Array.from(new TextDecoder(label).decode("
    "new Uint8Array(hex.split(' ').map(h => parseInt(h, 16))))).map(c => c.codePointAt(0))"
)


def main() -> None:
    from playwright.sync_api import sync_playwright  # type: ignore[import-not-found, unused-ignore]

    decoded: dict[str, dict[str, list[int]]] = {}  # code points
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        for encoding, cases in CASES.items():
            decoded[encoding] = {
                name: page.evaluate(DECODE, [encoding, hex_]) for name, hex_ in cases
            }
        browser.close()
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    table = {
        "browser": version.strip(),
        "recorded": datetime.date.today().isoformat(),
        "decoded": decoded,
    }
    TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
