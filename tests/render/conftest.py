"""The --render tests need Playwright and a Chromium; a machine without them skips them."""

from __future__ import annotations

import pytest

from titlefetch._errors import BrowserUnavailable
from titlefetch.render import find_browser


def _missing() -> str | None:
    try:
        find_browser()
    except BrowserUnavailable as exc:
        return str(exc)
    return None


MISSING = _missing()
needs_browser = pytest.mark.skipif(MISSING is not None, reason=f"no browser here: {MISSING}")
