"""The work a title search may do on a document: linear in its size, with a small floor.

The search walks markup tag by tag only where the parser's rules need it (SVG/MathML content,
templates, the tags that matter); a page made of such markup (4 MiB of nested `<svg><g><g>`,
say) would otherwise cost seconds of CPU. A search that spends its budget gives up:
the page's title is then unknown (`too_large`), as when --max-bytes is reached.
"""

from __future__ import annotations

from titlefetch.errors import TitlefetchError

FLOOR = 10_000  # units any document may spend: every ordinary page stays far below
BYTES_PER_UNIT = 128  # and one more unit per this many bytes of the document
SCANNED_BYTES_PER_UNIT = 256  # a regex pass over the text costs one unit per this many bytes


class SearchAbandoned(TitlefetchError):
    """The title search spent its work budget before it found where the title is."""


class WorkBudget:
    """Units of work left: a tag handled one at a time, a step along the stack of open
    elements, or SCANNED_BYTES_PER_UNIT bytes of a regex pass over text already walked."""

    __slots__ = ("_left",)

    def __init__(self, size: int) -> None:
        self._left = FLOOR + size // BYTES_PER_UNIT

    def spend(self, units: int = 1) -> None:
        """Take `units` from the budget.

        Raises:
            SearchAbandoned: when the budget is spent.
        """
        self._left -= units
        if self._left < 0:
            raise SearchAbandoned("the markup costs too much to search for a title")

    def spend_scan(self, size: int) -> None:
        """Take what a regex pass over `size` bytes costs."""
        self.spend(size // SCANNED_BYTES_PER_UNIT)
