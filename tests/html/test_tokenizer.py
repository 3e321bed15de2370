"""Tags in HTML text as the tokenizer finds them, and the title search's work budget (#14)."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import find_page_title, is_title_settled
from titlefetch.html._tokenizer import (
    BYTES_PER_UNIT,
    FLOOR,
    SearchAbandoned,
    WorkBudget,
    next_tag,
    skip_text_element,
)
from titlefetch.html._tree import find_title


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


HTML = ("text/html",)


def test_a_budget_is_a_floor_plus_one_unit_per_bytes_of_the_document() -> None:
    budget = WorkBudget(10 * BYTES_PER_UNIT)
    budget.spend(FLOOR + 10)
    with pytest.raises(SearchAbandoned):
        budget.spend()


@pytest.mark.parametrize(
    "markup",
    [
        "<svg>" + "<g>" * 200_000,  # nested SVG, walked tag by tag
        "<svg>" + "<g>" * 20_000 + "</x>" * 40_000,  # deep stack, end tags matching nothing
        "<svg>" + "</div>" * 20_000,  # counts of open elements, each over the text before
        "<math>" + "<mi><svg>" * 40_000,
        "<template>" * 200_000,
        "<div>" * 20_000 + "<img>" + "<frameset>" * 20_000,  # frameset-ok scans
    ],
)
def test_markup_that_costs_more_than_its_size_allows_is_given_up(markup: str) -> None:
    with pytest.raises(SearchAbandoned):
        find_title(markup + "<title>Late</title>")


def test_a_given_up_page_is_settled_and_has_no_title() -> None:
    body = ("<svg>" + "<g>" * 200_000 + "<title>Late</title>").encode()
    assert is_title_settled(body, HTML) is True  # reading more cannot help
    found = find_page_title(body, HTML)
    assert (found.title, found.gave_up) == (None, True)


@pytest.mark.parametrize(
    "markup",
    [
        # Icons are skipped whole, however many; complex SVG costs a unit a tag.
        '<svg viewBox="0 0 9 9"><title>Icon</title><path d="M0 0"/></svg>' * 20_000,
        "<svg><foreignObject><p>x</p></foreignObject></svg>" * 1_000,
        "<div>" * 200_000,  # plain HTML is not walked tag by tag
        "<p>text</p>" * 100_000,
    ],
)
def test_ordinary_markup_stays_within_the_budget(markup: str) -> None:
    span = find_title(markup + "<title>Late</title>")
    assert span is not None and span.closed


def test_a_large_svg_document_past_the_budget_still_has_its_first_title() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>Chart</title>' + "<g/>" * 100_000
    found = find_page_title((svg + "</svg>").encode(), ("image/svg+xml",))
    assert (found.title, found.gave_up) == ("Chart", False)


def test_a_large_svg_document_without_a_title_is_given_up() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg">' + "<g/>" * 100_000 + "</svg>"
    found = find_page_title(svg.encode(), ("image/svg+xml",))
    assert (found.title, found.gave_up) == (None, True)
