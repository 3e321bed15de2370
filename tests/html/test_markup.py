"""find_title: where the first HTML title's content is, and whether it is closed yet."""

from __future__ import annotations

import pytest

from titlefetch.html.markup import TitleSpan, find_title


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
