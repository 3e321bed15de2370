"""Element categories: which start tags break out of SVG/MathML content."""

from __future__ import annotations

import pytest

from titlefetch.html._tokenizer import next_tag
from titlefetch.html.elements import is_breakout


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<div>", True),
        ("<P>", True),
        ("<table>", True),
        ('<font color="red">', True),
        ("<font size=2>", True),
        ("<font>", False),
        ("<font class=x>", False),
        ("<a>", False),
        ("<title>", False),
        ("<input>", False),
    ],
)
def test_is_breakout(markup: str, expected: bool) -> None:
    tag = next_tag(markup, 0)
    assert tag is not None and is_breakout(tag) is expected
