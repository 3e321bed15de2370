"""Which <title> is the document's: where its content is, breakout tags, the frameset-ok flag."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import as_shown, decode_rcdata
from titlefetch.html._tokenizer import WorkBudget, next_tag
from titlefetch.html._tree import TitleSpan, find_title, is_breakout, is_frameset_ok


def html_title(markup: str) -> str | None:
    span = find_title(markup)
    return None if span is None else as_shown(decode_rcdata(markup[span.start : span.end]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<title>ab</title>", TitleSpan(7, 9, closed=True)),
        ("<title>ab", TitleSpan(7, 9, closed=False)),
        ("<title>ab</title", TitleSpan(7, 16, closed=False)),
        ("<svg><title>x</title></svg><title>ab</title>", TitleSpan(34, 36, closed=True)),
        ("<template><title>x</title></template>", None),
        ("<!-- <title>x</title>", None),
    ],
)
def test_find_title(text: str, expected: TitleSpan | None) -> None:
    assert find_title(text) == expected


def test_icons_before_the_title_are_skipped_whole() -> None:
    icon = '<svg viewBox="0 0 9 9"><title>Icon</title><path d="M0 0"/></svg>'
    text = f"<body>{icon * 500}<title>Real</title>"
    span = find_title(text)
    assert span is not None and text[span.start : span.end] == "Real"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<html><head><title>Plain</title></head></html>", "Plain"),
        ("<TITLE>Upper case tag</TITLE>", "Upper case tag"),
        ("<p>text first</p><title>In the body</title>", "In the body"),
        ("<title>First</title><title>Second</title>", "First"),
        ("<title>No end tag, runs to the end", "No end tag, runs to the end"),
        ("<title/>Self-closing flag ignored</title>", "Self-closing flag ignored"),
        ("<title>a</titles>b</title>", "a</titles>b"),
        ("<title>closed by</title >x", "closed by"),
        ("<title>closed by</TITLE/>x", "closed by"),
        ('<title lang="en">With attributes</title>', "With attributes"),
        ("<title></title><title>Second</title>", None),
        ("<title>  </title>", None),
        ("<p>no title here</p>", None),
        ("", None),
    ],
)
def test_first_html_title_element_in_tree_order(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<!-- <title>in comment</title> --><title>Real</title>", "Real"),
        ("<!--><title>Real</title>", "Real"),  # "<!-->" is a whole (empty) comment
        ("<!---><title>Real</title>", "Real"),
        ("<!-- x --!><title>Real</title>", "Real"),
        ("<!-- unterminated <title>in comment</title>", None),
        ("<!doctype html><title>Real</title>", "Real"),
        ("<!x <title>the bogus comment ended at the first >", None),
        ('<?php echo "x"?><title>Real</title>', "Real"),
        ("</ <title>bogus</title>", None),
        ("</><title>Real</title>", "Real"),
        ('<div data-x="a><title>in attribute</title>"><title>Real</title>', "Real"),
        ("<div data-x='<title>in attribute</title>'><title>Real</title>", "Real"),
        ('<meta content="x" <title>Real</title>', None),  # "<title" is an attribute name here
        ('<div a="unterminated><title>Never</title>', None),
    ],
)
def test_markup_that_is_not_a_title_element(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<script>var t = "<title>in script</title>";</script><title>Real</title>', "Real"),
        ("<SCRIPT>x='</scriptx>'; y='<title>No</title>'</SCRIPT ><title>Real</title>", "Real"),
        # "<!--" then "<script>" inside a script: the first "</script>" does not end it
        (
            '<script><!-- document.write("<script>x()</script>"); t="<title>No</title>" -->'
            "</script><title>Real</title>",
            "Real",
        ),
        ("<script><!--></script><title>Real</title>", "Real"),
        ("<script><!-- a --> <title>No</title></script><title>Real</title>", "Real"),
        ("<script>never closed <title>No</title>", None),
        ("<style>/* <title>No</title> */</style><title>Real</title>", "Real"),
        ("<textarea><title>No</title></textarea><title>Real</title>", "Real"),
        ("<xmp><title>No</title></xmp><title>Real</title>", "Real"),
        ("<iframe><title>No</title></iframe><title>Real</title>", "Real"),
        ("<noembed><title>No</title></noembed><title>Real</title>", "Real"),
        ("<noframes><title>No</title></noframes><title>Real</title>", "Real"),
        ("<plaintext><title>No</title>", None),
        # With scripting disabled (JavaScript off) <noscript> holds ordinary markup.
        ("<noscript><title>In noscript</title></noscript>", "In noscript"),
        ("<template><title>No</title></template><title>Real</title>", "Real"),
        ("<template><template></template><title>No</title></template><title>Real</title>", "Real"),
    ],
)
def test_raw_text_and_template_content_hold_no_title(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<svg><title>SVG title</title></svg><title>Real</title>", "Real"),
        ("<math><title>MathML title</title></math><title>Real</title>", "Real"),
        ("<svg><g><title>deep</title></g></svg><title>Real</title>", "Real"),
        ("<svg/><title>Real</title>", "Real"),
        ("<svg><foreignObject><title>Real</title></foreignObject></svg>", "Real"),
        ("<svg><desc><title>Real</title></desc></svg>", "Real"),
        ("<math><mtext><title>Real</title></mtext></math>", "Real"),
        ('<math><annotation-xml encoding="text/html"><title>Real</title>', "Real"),
        ("<math><annotation-xml><title>No</title></annotation-xml></math>", None),
        ("<svg><p><title>Real</title>", "Real"),  # <p> breaks out of SVG
        ('<svg><font color="red"><title>Real</title>', "Real"),
        ("<svg><font><title>No</title></font></svg>", None),
        ("<svg><![CDATA[ <title>No</title> ]]></svg><title>Real</title>", "Real"),
        ("<svg><script><title>No</title></script></svg><title>Real</title>", "Real"),
        ("<svg><title>Icon</title><path d='x'/></svg>" * 3 + "<title>Real</title>", "Real"),
        ("<svg><title>An <title>HTML one</title></title></svg>", "HTML one"),
        ("<svg><title>Icon</title><foreignObject><title>Real</title>", "Real"),
        ("<svg><title>Icon</title><div><title>Real</title>", "Real"),
        ("<svg><title>Icon</title></svg><math><mi><title>Real</title></mi></math>", "Real"),
        ("<svg><title>Icon</title>", None),  # SVG never closed
        ("<div><svg><path></div><title>Real</title>", "Real"),  # </div> closes the SVG in it
        ("<a href=/><svg><title>Home</title></a><title>Real</title>", "Real"),
        ("<svg><g/></g><title>No</title></svg>", None),  # a stray </g> closes nothing
    ],
)
def test_svg_and_mathml_titles_do_not_count(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


# Each row checked against Chromium 156 (document.title, JavaScript off) with
# tests/html/chromium_recorder.py.
@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<frameset><title>X</title>", None),
        ("<html><head></head><frameset><title>X</title></frameset>", None),
        ("<head><title>Head</title></head><frameset></frameset>", "Head"),
        ("<div><frameset><title>X</title>", None),  # the frameset replaces the body
        ("<span></span><frameset><title>X</title>", None),
        ("<frameset></frameset><title>X</title>", None),  # after frameset
        ("<frameset></frameset></html><title>X</title>", None),  # after after frameset
        ("<frameset></frameset><noframes><title>x</title></noframes>", None),
        ("<frameset><frame src=a></frameset><svg><title>X</title>", None),
        ("<noscript><frameset><title>X</title>", None),
        (" \n\t<!-- c --><!doctype html><frameset><title>X</title>", None),
        ("<script>var a</script><style>p{}</style><frameset><title>X</title>", None),
        ("<input type=hidden><frameset><title>X</title>", None),
        ("<template>t<img></template><frameset><title>X</title>", None),
        ("<svg></svg><frameset><title>X</title>", None),
        # The frameset-ok flag is off: the frameset is ignored and the title counts.
        ("text<frameset><title>X</title>", "X"),
        ("&nbsp;<frameset><title>X</title>", "X"),
        ("<body><frameset><title>X</title>", "X"),
        ("<p>a</p><frameset><title>X</title>", "X"),
        ("<img src=x><frameset><title>X</title>", "X"),
        ("<input><frameset><title>X</title>", "X"),
        ("</br><frameset><title>X</title>", "X"),
        ("<table><frameset><title>X</title>", "X"),
        ("<select><option>a</select><frameset><title>X</title>", "X"),
        ("<svg><title>icon</title></svg><frameset><title>X</title>", "X"),
        ("<svg><![CDATA[x]]></svg><frameset><title>X</title>", "X"),
        ("<math><mi>x</mi></math><frameset><title>X</title>", "X"),
    ],
)
def test_a_title_after_a_frameset_that_takes_effect_is_ignored(
    markup: str, expected: str | None
) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # An HTML end tag cannot close past an integration point: it is ignored, and the
        # <title> after it is still SVG's.
        ("<div><math><mi><svg></div><title>X</title>", None),
        ("<div><math><mo><svg></div><title>X</title>", None),
        ("<div><math><mn><svg></div><title>X</title>", None),
        ("<div><math><ms><svg></div><title>X</title>", None),
        ("<div><math><mtext><svg></div><title>X</title>", None),
        ("<div><math><annotation-xml><svg></div><title>X</title>", None),
        ('<div><math><annotation-xml encoding="text/html"><svg></div><title>X</title>', None),
        ("<div><svg><foreignObject><svg></div><title>X</title>", None),
        ("<div><svg><desc><svg></div><title>X</title>", None),
        ("<div><svg><title><svg></div><title>X</title>", None),
        ("<span><svg><foreignObject><svg></span><title>X</title>", None),
        ("<svg><foreignObject><svg></foreignObject><title>X</title>", None),
        # No integration point in between: the end tag closes the HTML element and the
        # SVG/MathML in it.
        ("<div><svg><path></div><title>X</title>", "X"),
        ("<div><svg><g><path></div><title>X</title>", "X"),
        ("<div><math><mrow><svg></div><title>X</title>", "X"),
        ("<svg><foreignObject><div></svg><title>X</title>", "X"),
        ("<div><svg><foreignObject><div></div></foreignObject></svg></div><title>X</title>", "X"),
        ("<p><svg><desc><svg></p><title>X</title>", "X"),  # </p> breaks out
        # Table end tags look in table scope, which integration points do not bound.
        ("<table><tr><td><svg><foreignObject><svg></td><title>X</title>", "X"),
        # Chromium 156 keeps a <title> in a <select> (the spec html5lib follows drops it).
        ("<select><title>X</title></select>", "X"),
    ],
)
def test_html_end_tags_in_foreign_content_stop_at_integration_points(
    markup: str, expected: str | None
) -> None:
    assert html_title(markup) == expected


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
