"""Reading URLs: stripping, comments, CRLF, BOM, invalid lines and unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from titlefetch.cli.sources import count_lines, read_source, read_sources
from titlefetch.errors import SourceError


def test_read_source_reads_crlf_file_with_bom(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_bytes(b"\xef\xbb\xbfhttp://a.test/\r\n# c\r\nhttp://b.test/\r\n")
    assert [line.url for line in read_source(str(path))] == ["http://a.test/", "http://b.test/"]


def test_a_url_argument_is_its_own_source():
    [line] = read_source("https://example.test/")
    assert (line.url, line.source, line.problem) == ("https://example.test/", "argument", None)


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
