"""Which `<title>` counts: the HTML tree builder's rules, followed without building a tree.

Instead of building a whole DOM, this follows the WHATWG HTML parser only as far as it decides
where the first HTML `<title>` element is: raw text and RCDATA elements, plaintext, template
contents, SVG/MathML foreign content with its integration points and breakout tags, and a
`<frameset>` that replaces the body. Scripting counts as disabled, as in a browser with
JavaScript off, so `<noscript>` content is ordinary markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from titlefetch.html._tokenizer import (
    END_TAGS,
    TAG_REST_PATTERN,
    TEXT_ELEMENTS,
    Tag,
    WorkBudget,
    next_tag,
    skip_text_element,
)

# Start tags that end SVG/MathML content (HTML "breakout" tags); <font> only with these attributes.
_BREAKOUT_NAMES = """b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6
    head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table
    tt u ul var"""
_BREAKOUT = frozenset(_BREAKOUT_NAMES.split())
_FONT_BREAKOUT = frozenset({"color", "face", "size"})


def is_breakout(tag: Tag) -> bool:
    """Whether this start tag, met in SVG/MathML content, ends it (as HTML)."""
    if tag.name == "font":
        return bool(_FONT_BREAKOUT & tag.attributes().keys())
    return tag.name in _BREAKOUT


# In plain HTML content (no SVG/MathML or template open) only these start tags matter; a run
# of text, other tags, end tags, comments and doctypes is skipped by one regex match, in C.
_D = r"(?=[\t\n\f\r />]|\Z)"  # the end of a tag name
_ANY_NAME = r"[A-Za-z][^\t\n\f\r />]*+"
_TAGS_THAT_MATTER = (
    "title|script|style|textarea|xmp|iframe|noembed|noframes|plaintext|template|frameset"
)
_BOGUS = r"<!--(?>>|->|.*?--!?>)|<\?[^>]*+>|</[^A-Za-z>][^>]*+>|</>|<(?![A-Za-z!/?])"
# An <svg> or <math> element that cannot hold an HTML title: no integration point other than an
# SVG <title> holding only text, no breakout tag, no nested <svg>/<math> (inline icons), and no
# end tag of an HTML element that usually holds inline SVG/MathML (it may close the SVG).
_CONTAINER_NAMES = """a article aside button details figcaption figure footer form header label
    main nav section summary td th tr"""
_CLOSES_FOREIGN = _BREAKOUT | frozenset(_CONTAINER_NAMES.split())
_NOT_SIMPLE_FOREIGN = "svg|math|foreignobject|desc|title|annotation-xml|mi|mo|mn|ms|mtext|font|" + (
    "|".join(sorted(_CLOSES_FOREIGN))
)


# An icon has far fewer parts (tags, text runs); bounding them bounds what a failed attempt
# costs (an <svg> never closed, 4 MiB of <g>), and a longer one is walked tag by tag.
_SIMPLE_PARTS = 2_000


def _simple_foreign(root: str) -> str:
    return (
        rf"<{root}{_D}{TAG_REST_PATTERN}(?:(?<=/>)|(?:[^<]++"
        rf"|<(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{TAG_REST_PATTERN}"
        rf"|</(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{TAG_REST_PATTERN}"
        rf"|<title{_D}{TAG_REST_PATTERN}(?:(?<=/>)|[^<]*+</title{_D}{TAG_REST_PATTERN})"
        rf"|<!\[CDATA\[.*?\]\]>|<!(?!--|\[CDATA\[)[^>]*+>|{_BOGUS}){{0,{_SIMPLE_PARTS}}}+"
        rf"</{root}{_D}{TAG_REST_PATTERN})"
    )


_UNIMPORTANT_RUN = re.compile(
    rf"""(?:[^<]++|{_simple_foreign("svg")}|{_simple_foreign("math")}"""
    rf"""|<(?!(?:{_TAGS_THAT_MATTER}|svg|math){_D}){_ANY_NAME}{TAG_REST_PATTERN}"""
    rf"""|</{_ANY_NAME}{TAG_REST_PATTERN}|<!(?!--)[^>]*+>|{_BOGUS})*+""",
    re.I | re.A | re.S,
)
_FRAMESET = re.compile(rf"<frameset{_D}", re.I | re.A)
_FRAMESET_WINDOW = 2048
# SVG/MathML elements that are "special" and bound every scope: an HTML end tag that would have
# to close past one is ignored (whatever annotation-xml's encoding).
_BOUNDARIES = frozenset({"foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext"}) | {
    "annotation-xml"
}
# End tags that look for their element in table scope, which only html, table and template
# bound: integration points do not hide a <td> from </td>.
_TABLE_SCOPED = frozenset({"caption", "table", "tbody", "td", "tfoot", "th", "thead", "tr"})
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
    """Where the first HTML title element's content is, as a browser's parser decides.

    Raises:
        SearchAbandoned: the markup cost more than the search's work budget (WorkBudget).
    """
    budget = WorkBudget(len(text))
    stack: list[_Open] = []  # empty while in plain HTML content
    templates = 0  # a title in template contents is not in the document
    found: TitleSpan | None = None  # a title in <body>, which a later <frameset> removes
    tag = next_tag(text, _UNIMPORTANT_RUN.match(text).end())  # type: ignore[union-attr]
    while tag is not None:
        budget.spend()
        if not _is_html_context(stack, tag):
            _foreign_tag(stack, tag, text, budget)
            pos = tag.end
        elif tag.is_end_tag:
            templates -= tag.name == "template" and templates > 0
            _html_end_tag(stack, tag.name, budget)
            pos = tag.end
        elif tag.name == "title" and not templates and found is None:
            found = _title_span(text, tag.end)
            if not found.closed or not _may_be_removed(text, tag, found, budget):
                return found
            pos = skip_text_element(text, tag)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
        elif tag.name == "plaintext":
            return found  # all text from here on
        elif tag.name == "frameset" and not templates and is_frameset_ok(text, tag, budget):
            return None  # it replaces the body; and a <title> in frameset modes is ignored
        else:
            templates += tag.name == "template"
            _html_start_tag(stack, tag)
            pos = tag.end
        if pos < 0:
            return found
        if not stack and not templates:
            pos = _UNIMPORTANT_RUN.match(text, pos).end()  # type: ignore[union-attr]
        tag = next_tag(text, pos, foreign=bool(stack) and stack[-1].namespace != "html")
    return found


def _may_be_removed(text: str, tag: Tag, span: TitleSpan, budget: WorkBudget) -> bool:
    """Whether a frameset after the title may yet remove it: it is in <body> (rare: cheap
    checks first)."""
    # Looked for only so far past the title: an unbounded search cost more than the whole walk.
    if _FRAMESET.search(text, span.end, span.end + _FRAMESET_WINDOW) is None:
        return False
    return creates_body(text, tag, budget)


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


def _html_end_tag(stack: list[_Open], name: str, budget: WorkBudget) -> None:
    # Like "any other end tag" in body: close the nearest HTML element of that name, but never
    # past SVG/MathML content (integration points are "special" elements).
    for index in range(len(stack) - 1, -1, -1):
        budget.spend()
        if stack[index].namespace != "html":
            return
        if stack[index].name == name:
            del stack[index:]
            return


def _foreign_tag(stack: list[_Open], tag: Tag, text: str, budget: WorkBudget) -> None:
    """Follow the rules for tokens in foreign content (a start tag may break out of it)."""
    if tag.is_end_tag:
        if tag.name in ("br", "p"):
            _break_out(stack)
            return
        _foreign_end_tag(stack, tag, text, budget)
        return
    if is_breakout(tag):
        _break_out(stack)
        _html_start_tag(stack, tag)
    elif not tag.is_self_closing:
        stack.append(_foreign_element(stack[-1].namespace, tag))


def _foreign_end_tag(stack: list[_Open], tag: Tag, text: str, budget: WorkBudget) -> None:
    """An end tag in SVG/MathML content: it closes the nearest foreign element of its name;
    failing that, it goes to the HTML element below, where the HTML rules cannot see past an
    integration point (a "special" element and a scope boundary): then it is ignored."""
    hidden = False  # an integration point lies between the top and the HTML below
    for index in range(len(stack) - 1, -1, -1):
        budget.spend()
        node = stack[index]
        if node.name == tag.name and node.namespace != "html":
            del stack[index:]
            return
        if node.namespace == "html":
            if not hidden:
                _html_end_tag(stack, tag.name, budget)
            return
        hidden = hidden or (node.name in _BOUNDARIES and tag.name not in _TABLE_SCOPED)
    # HTML elements outside SVG/MathML are not tracked: the end tag closes one (and everything
    # in it) if an element of its name was left open before. </html>, </body> and </head>
    # never close anything in <body>.
    if hidden or tag.name in ("html", "head", "body"):
        return
    budget.spend_scan(2 * tag.start)
    if _is_left_open(text, tag):
        stack.clear()


def _is_left_open(text: str, tag: Tag) -> bool:
    """Whether more `<name` than `</name` tags come before `tag` (a count: rare)."""
    starts = len(re.findall(rf"<{tag.name}{_D}", text[: tag.start], re.I | re.A))
    return starts > len(re.findall(rf"</{tag.name}{_D}", text[: tag.start], re.I | re.A))


def _break_out(stack: list[_Open]) -> None:
    while stack and stack[-1].namespace != "html" and not stack[-1].is_integration_point:
        stack.pop()


def _foreign_element(namespace: str, tag: Tag) -> _Open:
    if namespace == "math" and tag.name == "annotation-xml":
        encoding = tag.attributes().get("encoding", "").lower()
        return _Open(namespace, tag.name, encoding in ("text/html", "application/xhtml+xml"))
    return _Open(namespace, tag.name, (namespace, tag.name) in _INTEGRATION_POINTS)


# Whether a `<frameset>` start tag takes effect: the tree builder's frameset-ok flag.
#
# A frameset that takes effect replaces the body, with any title in it, and in the "in
# frameset", "after frameset" and "after after frameset" insertion modes a `<title>` start tag
# is ignored: no later title can be the document's. The flag starts "ok" and is turned off, for
# good, by non-whitespace text outside raw-text elements (SVG/MathML text too), an explicit
# `<body>`, `</br>` and the start tags below; as in Chromium, template contents do not count.
# Framesets are rare, so the flag is worked out only when one turns up, by a scan of the markup
# before it.

_NOT_OK_NAMES = """applet area body br button dd dt embed hr iframe image img keygen li listing
    marquee object pre select table textarea wbr xmp"""
_NOT_OK_TAGS = frozenset(_NOT_OK_NAMES.split())
# Markup between two tags that is not text: comments, doctypes, processing instructions and
# other bogus comments (a lone "<" is text).
_NOT_TEXT = re.compile(
    r"<!--(?:>|->|.*?(?:--!?>|\Z))|<![^>]*(?:>|\Z)|<\?[^>]*(?:>|\Z)|</(?:[^A-Za-z>][^>]*)?>", re.S
)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.S)
# Start tags the tree builder takes in <head> (or before it) without opening <body>.
_HEAD_NAMES = """base basefont bgsound head html link meta noframes noscript script style template
    title"""
_HEAD_TAGS = frozenset(_HEAD_NAMES.split())
_WHITESPACE = "\t\n\f\r \0"  # NUL in body text is dropped, so it does not count either


def is_frameset_ok(text: str, frameset: Tag, budget: WorkBudget) -> bool:
    """Whether the frameset-ok flag is still "ok" at `frameset`, after the markup before it."""
    end = frameset.start
    pos, foreign, templates = 0, 0, 0  # foreign: <svg>/<math> elements open (roughly)
    while (tag := next_tag(text, pos)) is not None and tag.start < end:
        budget.spend()
        if not templates and (
            _has_text(text[pos : tag.start], foreign > 0) or _turns_flag_off(tag)
        ):
            return False
        if tag.name == "template":  # Chromium: nothing in template contents turns it off
            templates = max(0, templates + (-1 if tag.is_end_tag else 1))
        foreign = _foreign_depth(foreign, tag)
        pos = tag.end
        # In SVG/MathML, <title>, <style> and <script> hold ordinary text, not raw text.
        if not tag.is_end_tag and tag.name in TEXT_ELEMENTS and not foreign:
            pos = skip_text_element(text, tag)
            if pos < 0:
                return True
    return bool(templates) or not _has_text(text[pos:end], foreign > 0)


def _foreign_depth(depth: int, tag: Tag) -> int:
    if tag.name in ("svg", "math") and not tag.is_self_closing:
        return max(0, depth + (-1 if tag.is_end_tag else 1))
    return 0 if depth and not tag.is_end_tag and is_breakout(tag) else depth


def creates_body(text: str, title: Tag, budget: WorkBudget) -> bool:
    """Whether the markup before `title` has made the tree builder open <body>: text, a start
    tag that does not belong in <head>, or </body>, </html>, </br> (template contents aside)."""
    end = title.start
    pos, templates = 0, 0
    while (tag := next_tag(text, pos)) is not None and tag.start < end:
        budget.spend()
        if not templates and (_has_text(text[pos : tag.start], False) or _opens_body(tag)):
            return True
        if tag.name == "template":
            templates = max(0, templates + (-1 if tag.is_end_tag else 1))
        pos = tag.end
        if not tag.is_end_tag and tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
            if pos < 0:
                return False
    return not templates and _has_text(text[pos:end], False)


def _opens_body(tag: Tag) -> bool:
    if tag.is_end_tag:
        return tag.name in ("body", "html", "br")
    return tag.name not in _HEAD_TAGS


def _has_text(markup: str, foreign: bool) -> bool:
    if foreign:  # a CDATA section in SVG/MathML is text
        markup = _CDATA.sub(r"\1", markup)
    return bool(_NOT_TEXT.sub("", markup).strip(_WHITESPACE))


def _turns_flag_off(tag: Tag) -> bool:
    if tag.is_end_tag:
        return tag.name == "br"  # </br> is read as <br>
    if tag.name == "input":
        return tag.attributes().get("type", "").lower() != "hidden"
    return tag.name in _NOT_OK_TAGS
