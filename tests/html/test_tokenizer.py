"""The tokenizer states that decide what is a tag: comments, quoted attributes, script escapes."""

from __future__ import annotations

import pytest

from titlefetch.html._tokenizer import next_tag, skip_text_element


def tag_names(text: str) -> list[str]:
    names, tag = [], next_tag(text, 0)
    while tag is not None:
        names.append(("/" if tag.is_end_tag else "") + tag.name)
        tag = next_tag(text, tag.end)
    return names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<P class=x>a</P>", ["p", "/p"]),
        ("<!-- <a> --><b>", ["b"]),
        ("<!--><a>", ["a"]),
        ("<!-- x --!><a>", ["a"]),
        ("<!doctype html><?pi x?><a>", ["a"]),
        ("</ x><a>", ["a"]),
        ("</><a>", ["a"]),
        ("a < b <3 <a>", ["a"]),
        ("<a title=\"x>y\" data-z='<b>'><c>", ["a", "c"]),
        ("<a b=c/d/><e>", ["a", "e"]),
        ('<a b="never closed><c>', []),
        ("<!-- never closed <a>", []),
    ],
)
def test_next_tag_skips_what_is_not_a_tag(text: str, expected: list[str]) -> None:
    assert tag_names(text) == expected


def test_attributes_are_lower_cased_and_the_first_duplicate_wins() -> None:
    tag = next_tag("<META Charset='utf-8' charset=koi8-r http-equiv = x>", 0)
    assert tag is not None
    assert tag.attributes() == {"charset": "utf-8", "http-equiv": "x"}


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("<script>a</script>b", "b"),
        ("<script>'</scripty>'</SCRIPT >b", "b"),
        ("<script><!-- <script>x</script> --></script>b", "b"),
        ("<script><!-- x --></script>b", "b"),
        ("<script><!--></script>b", "b"),
        ("<script><!-- <script> --></script>b", "b"),  # "-->" also ends double escaping
        ("<style><!-- </style>b", "b"),
        ("<textarea><b></textarea>c", "c"),
        ("<title>a</titles></title>b", "b"),
    ],
)
def test_skip_text_element_finds_the_end_tag_that_really_ends_it(text: str, rest: str) -> None:
    tag = next_tag(text, 0)
    assert tag is not None
    assert text[skip_text_element(text, tag) :] == rest


def test_a_text_element_never_closed_runs_to_the_end() -> None:
    text = "<script><!-- <script></script>"
    tag = next_tag(text, 0)
    assert tag is not None
    assert skip_text_element(text, tag) == -1
