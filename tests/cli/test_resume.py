"""resume.py: what an interrupted run's jsonl output says was answered, and its last line."""

from __future__ import annotations

import json

import pytest

from titlefetch._errors import SourceError
from titlefetch.cli.resume import answered_urls, trim_partial_line


def record(url: str) -> str:
    return json.dumps({"url": url, "title": "T", "error": None}) + "\n"


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (record("a") + record("b"), record("a") + record("b")),  # whole: untouched
        (record("a") + '{"url": "b", "ti', record("a")),  # a hard kill mid-line: cut
        ('{"url": "only a part', ""),  # no whole line at all
        ("", ""),
    ],
)
def test_a_last_line_left_unfinished_is_cut(tmp_path, content, kept):
    path = tmp_path / "out.jsonl"
    path.write_text(content, encoding="utf-8")
    trim_partial_line(str(path))
    assert path.read_text(encoding="utf-8") == kept


def test_an_unfinished_line_longer_than_a_read_is_cut_too(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(record("a") + "x" * 200_000, encoding="utf-8")
    trim_partial_line(str(path))
    assert path.read_text(encoding="utf-8") == record("a")


def test_answered_urls_are_the_records_urls_in_order(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(record("https://a.test/") + record("example.com"), encoding="utf-8")
    assert list(answered_urls(str(path))) == ["https://a.test/", "example.com"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json\n", r"out\.jsonl:2: not a jsonl record"),
        ('{"title": "no url"}\n', r"out\.jsonl:2: a titlefetch jsonl record has a 'url'"),
        ('["https://a.test/"]\n', r"out\.jsonl:2: a titlefetch jsonl record has a 'url'"),
    ],
)
def test_a_line_that_is_not_a_record_names_its_place(tmp_path, line, message):
    path = tmp_path / "out.jsonl"
    path.write_text(record("https://a.test/") + line, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        list(answered_urls(str(path)))


def test_an_unreadable_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot read"):
        list(answered_urls(str(tmp_path / "missing.jsonl")))
