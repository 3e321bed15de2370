"""Whether a `<frameset>` start tag takes effect: the tree builder's frameset-ok flag.

A frameset that takes effect replaces the body, with any title in it, and in the "in
frameset", "after frameset" and "after after frameset" insertion modes a `<title>` start tag
is ignored: no later title can be the document's. The flag starts "ok" and is turned off, for
good, by non-whitespace text outside raw-text elements (SVG/MathML text too), an explicit
`<body>`, `</br>` and the start tags below; as in Chromium, template contents do not count.
Framesets are rare, so the flag is worked out only when one turns up, by a scan of the markup
before it.
"""

from __future__ import annotations

import re

from titlefetch.html._tokenizer import TEXT_ELEMENTS, Tag, WorkBudget, next_tag, skip_text_element
from titlefetch.html.elements import is_breakout

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
