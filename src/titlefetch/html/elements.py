"""Element categories of the HTML parser that more than one module needs."""

from __future__ import annotations

from titlefetch.html._tokenizer import Tag

# Start tags that end SVG/MathML content (HTML "breakout" tags); <font> only with these attributes.
_BREAKOUT_NAMES = """b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6
    head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table
    tt u ul var"""
BREAKOUT = frozenset(_BREAKOUT_NAMES.split())
_FONT_BREAKOUT = frozenset({"color", "face", "size"})


def is_breakout(tag: Tag) -> bool:
    """Whether this start tag, met in SVG/MathML content, ends it (as HTML)."""
    if tag.name == "font":
        return bool(_FONT_BREAKOUT & tag.attributes().keys())
    return tag.name in BREAKOUT
