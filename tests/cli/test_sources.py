"""Reading URLs: stripping, comments, CRLF, BOM, invalid lines and unreadable files; --resume:
what an interrupted run's jsonl output says was answered, and its last line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from titlefetch._errors import SourceError
from titlefetch.cli._sources import (
    answered_urls,
    count_lines,
    read_source,
    read_sources,
    trim_partial_line,
)


def test_read_source_reads_crlf_file_with_bom(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_bytes(b"\xef\xbb\xbfhttp://a.test/\r\n# c\r\nhttp://b.test/\r\n")
    assert [line.url for line in read_source(str(path))] == ["http://a.test/", "http://b.test/"]


def test_a_url_argument_is_its_own_source():
    [line] = read_source("https://example.test/")
    assert (line.url, line.source, line.problem) == ("https://example.test/", "argument", None)


@pytest.mark.parametrize("host", ["example.com", "localhost:3000", "127.0.0.1:8080/x", "[::1]"])
def test_a_bare_host_argument_is_a_host_line_when_no_such_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
):
    monkeypatch.chdir(tmp_path)  # #23: `titlefetch example.com` fetches, as curl and httpx do
    [line] = read_sources([host])
    assert (line.url, line.source, line.line, line.problem) == (host, "argument", 1, None)


def test_a_file_named_like_a_host_is_read_as_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "example.com").write_text("http://a.test/\n")
    assert [line.url for line in read_sources(["example.com"])] == ["http://a.test/"]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "intranet",
            "cannot read intranet: No such file or directory; nor is it a host to fetch: "
            "not an http(s) URL or a host name (a name without a dot needs http://)",
        ),
        ("example.com:0", "nor is it a host to fetch: port 0 is not in 1-65535"),
        ("urls.txt", "cannot read urls.txt: No such file or directory"),
        ("lists/urls", "cannot read lists/urls: No such file or directory"),
    ],
)
def test_an_argument_that_is_neither_a_file_nor_a_host_says_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argument: str, message: str
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as caught:
        read_sources([argument])
    assert str(caught.value).endswith(message)


def test_missing_file_fails_before_any_line_is_read(tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text("http://a.test/\n")
    with pytest.raises(SourceError, match="cannot read .*missing.txt"):
        read_sources([str(good), str(tmp_path / "missing.txt")])


def test_count_lines_counts_urls_and_gives_up_on_stdin(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("http://a.test/\n\n# x\nhttp://b.test/\n")
    assert count_lines([str(path), "http://c.test/"]) == 3
    assert count_lines([str(path), "-"]) is None


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
