"""The frameset-ok flag: what before a <frameset> keeps it from taking effect."""

from __future__ import annotations

import pytest

from titlefetch.html._tokenizer import WorkBudget, next_tag
from titlefetch.html.frameset import is_frameset_ok


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("", True),
        (" \t\r\n\f", True),
        ("<!doctype html><html><head><title>t</title></head>", True),
        ("<!-- text in a comment -->", True),
        ("<script>var text</script><style>p{}</style><noframes>x</noframes>", True),
        ("<div><span></span></div>", True),
        ("<input type=HIDDEN>", True),
        ("<template>text<img></template>", True),
        ("<template>unclosed", True),
        ("text", False),
        ("<", False),  # a lone "<" is text
        ("&amp;", False),
        ("<body>", False),
        ("</br>", False),
        ("<input>", False),
        ("<input type=text>", False),
        ("<pre>", False),
        ("<li>", False),
        ("<table>", False),
        ("<svg><title>icon</title></svg>", False),  # text in SVG content counts
        ("<svg><![CDATA[x]]></svg>", False),
        ("<p>a</p>", False),
    ],
)
def test_is_frameset_ok(markup: str, expected: bool) -> None:
    text = markup + "<frameset>"
    frameset = next_tag(text, len(markup))
    assert frameset is not None
    assert is_frameset_ok(text, frameset, WorkBudget(len(text))) is expected
