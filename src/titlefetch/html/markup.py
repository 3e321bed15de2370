"""Where the title is in HTML text: the tree-builder rules that decide which <title> counts.

Instead of building a whole DOM, this follows the WHATWG HTML parser only as far as it decides
where the first HTML `<title>` element is: raw text and RCDATA elements, plaintext, template
contents, and SVG/MathML foreign content with its integration points and breakout tags.
Scripting counts as disabled, as in a browser with JavaScript off, so `<noscript>` content is
ordinary markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from titlefetch.html.tokenizer import (
    END_TAGS,
    TAG_REST_PATTERN,
    TEXT_ELEMENTS,
    Tag,
    next_tag,
    skip_text_element,
)

# Start tags that end SVG/MathML content (HTML "breakout" tags); <font> only with these attributes.
_BREAKOUT_NAMES = """b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6
    head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table
    tt u ul var"""
_BREAKOUT = frozenset(_BREAKOUT_NAMES.split())
# In plain HTML content (no SVG/MathML or template open) only these start tags matter; a run
# of text, other tags, end tags, comments and doctypes is skipped by one regex match, in C.
_D = r"(?=[\t\n\f\r />]|\Z)"  # the end of a tag name
_ANY_NAME = r"[A-Za-z][^\t\n\f\r />]*+"
_TAGS_THAT_MATTER = "title|script|style|textarea|xmp|iframe|noembed|noframes|plaintext|template"
_BOGUS = r"<!--(?>>|->|.*?--!?>)|<\?[^>]*+>|</[^A-Za-z>][^>]*+>|</>|<(?![A-Za-z!/?])"
# An <svg> or <math> element that cannot hold an HTML title: no integration point other than an
# SVG <title> holding only text, no breakout tag, no nested <svg>/<math> (inline icons).
# End tags of HTML elements that usually hold inline SVG/MathML: inside foreign content with no
# element of that name open in it, such an end tag closes the HTML ancestor (assumed open: we
# do not track HTML elements) and with it everything inside.
_CONTAINER_NAMES = """a article aside button details figcaption figure footer form header label
    main nav section summary td th tr"""
_CLOSES_FOREIGN = _BREAKOUT | frozenset(_CONTAINER_NAMES.split())
_NOT_SIMPLE_FOREIGN = "svg|math|foreignobject|desc|title|annotation-xml|mi|mo|mn|ms|mtext|font|" + (
    "|".join(sorted(_CLOSES_FOREIGN))
)


def _simple_foreign(root: str) -> str:
    return (
        rf"<{root}{_D}{TAG_REST_PATTERN}(?:(?<=/>)|(?:[^<]++"
        rf"|<(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{TAG_REST_PATTERN}"
        rf"|</(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{TAG_REST_PATTERN}"
        rf"|<title{_D}{TAG_REST_PATTERN}(?:(?<=/>)|[^<]*+</title{_D}{TAG_REST_PATTERN})"
        rf"|<!\[CDATA\[.*?\]\]>|<!(?!--|\[CDATA\[)[^>]*+>|{_BOGUS})*+"
        rf"</{root}{_D}{TAG_REST_PATTERN})"
    )


_UNIMPORTANT_RUN = re.compile(
    rf"""(?:[^<]++|{_simple_foreign("svg")}|{_simple_foreign("math")}"""
    rf"""|<(?!(?:{_TAGS_THAT_MATTER}|svg|math){_D}){_ANY_NAME}{TAG_REST_PATTERN}"""
    rf"""|</{_ANY_NAME}{TAG_REST_PATTERN}|<!(?!--)[^>]*+>|{_BOGUS})*+""",
    re.I | re.A | re.S,
)
_FONT_BREAKOUT = frozenset({"color", "face", "size"})
_INTEGRATION_POINTS = frozenset(
    {("svg", "foreignobject"), ("svg", "desc"), ("svg", "title")}
    | {("math", name) for name in ("mi", "mo", "mn", "ms", "mtext")}
)
_VOID_NAMES = """area base basefont bgsound br col embed frame hr image img input keygen link
    meta param source track wbr"""
_VOID = frozenset(_VOID_NAMES.split())


@dataclass(frozen=True, slots=True)
class TitleSpan:
    """Where the title's RCDATA content is; `closed` is False when it runs to the end."""

    start: int
    end: int
    closed: bool


@dataclass(frozen=True, slots=True)
class _Open:
    """An open element that matters: foreign ones, and HTML ones inside integration points."""

    namespace: str  # "svg", "math" or "html"
    name: str
    is_integration_point: bool = False


def find_title(text: str) -> TitleSpan | None:
    """Where the first HTML title element's content is, as a browser's parser decides."""
    stack: list[_Open] = []  # empty while in plain HTML content
    templates = 0  # a title in template contents is not in the document
    tag = next_tag(text, _UNIMPORTANT_RUN.match(text).end())  # type: ignore[union-attr]
    while tag is not None:
        if not _is_html_context(stack, tag):
            _foreign_tag(stack, tag)
            pos = tag.end
        elif tag.is_end_tag:
            templates -= tag.name == "template" and templates > 0
            _html_end_tag(stack, tag.name)
            pos = tag.end
        elif tag.name == "title" and not templates:
            return _title_span(text, tag.end)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
        elif tag.name == "plaintext":
            return None
        else:
            templates += tag.name == "template"
            _html_start_tag(stack, tag)
            pos = tag.end
        if pos < 0:
            return None
        if not stack and not templates:
            pos = _UNIMPORTANT_RUN.match(text, pos).end()  # type: ignore[union-attr]
        tag = next_tag(text, pos, foreign=bool(stack) and stack[-1].namespace != "html")
    return None


def _title_span(text: str, start: int) -> TitleSpan:
    match = END_TAGS["title"].search(text, start)
    if match is None:
        return TitleSpan(start, len(text), closed=False)
    return TitleSpan(start, match.start(), closed=True)


def _is_html_context(stack: list[_Open], tag: Tag) -> bool:
    """Whether the tree builder treats `tag` as HTML rather than SVG/MathML content."""
    if not stack or stack[-1].namespace == "html":
        return True
    top = stack[-1]
    if tag.is_end_tag:
        return False
    if top.is_integration_point:
        return top.namespace == "svg" or tag.name not in ("mglyph", "malignmark")
    return top.name == "annotation-xml" and tag.name == "svg"


def _html_start_tag(stack: list[_Open], tag: Tag) -> None:
    if tag.name in ("svg", "math"):
        if not tag.is_self_closing:
            stack.append(_Open(tag.name, tag.name))
    elif stack and tag.name not in _VOID and tag.name not in ("html", "head", "body"):
        stack.append(_Open("html", tag.name))


def _html_end_tag(stack: list[_Open], name: str) -> None:
    # Like "any other end tag" in body: close the nearest HTML element of that name, but never
    # past SVG/MathML content (integration points are "special" elements).
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].namespace != "html":
            return
        if stack[index].name == name:
            del stack[index:]
            return


def _foreign_tag(stack: list[_Open], tag: Tag) -> None:
    """Follow the rules for tokens in foreign content (a start tag may break out of it)."""
    if tag.is_end_tag:
        if tag.name in ("br", "p"):
            _break_out(stack)
            return
        for index in range(len(stack) - 1, -1, -1):
            if stack[index].name == tag.name:
                del stack[index:]
                return
            if stack[index].namespace == "html":
                _html_end_tag(stack, tag.name)
                return
        if tag.name in _CLOSES_FOREIGN:  # closes an HTML ancestor, and the SVG/MathML in it
            stack.clear()
        return
    if tag.name in _BREAKOUT or (tag.name == "font" and _FONT_BREAKOUT & tag.attributes().keys()):
        _break_out(stack)
        _html_start_tag(stack, tag)
    elif not tag.is_self_closing:
        stack.append(_foreign_element(stack[-1].namespace, tag))


def _break_out(stack: list[_Open]) -> None:
    while stack and stack[-1].namespace != "html" and not stack[-1].is_integration_point:
        stack.pop()


def _foreign_element(namespace: str, tag: Tag) -> _Open:
    if namespace == "math" and tag.name == "annotation-xml":
        encoding = tag.attributes().get("encoding", "").lower()
        return _Open(namespace, tag.name, encoding in ("text/html", "application/xhtml+xml"))
    return _Open(namespace, tag.name, (namespace, tag.name) in _INTEGRATION_POINTS)
