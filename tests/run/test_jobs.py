"""Jobs and dedupe: answered lines skipped, known results reused, repeats joining one job."""

from __future__ import annotations

from titlefetch._results import Failure, TitleResult
from titlefetch.run.jobs import JobTable, host_of
from titlefetch.run.lines import UrlLine, url_problem


def line(url: str, number: int = 1) -> UrlLine:
    return UrlLine(url, "urls.txt", number, url_problem(url))


def test_a_repeated_url_joins_the_job_of_its_first_line():
    table = JobTable()
    first = table.join(0, line("http://a.test/", 1))
    assert first is not None
    assert (first.url, first.host, first.seq) == ("http://a.test/", "a.test:80", 0)
    assert table.join(1, line("http://b.test/", 2)) is not None
    assert table.join(2, line("http://a.test/", 3)) is None  # joined, nothing to schedule
    assert [seq for seq, _ in first.lines] == [0, 2]
    assert len(table) == 2
    table.close()


def test_a_finished_url_answers_its_later_lines_without_a_job():
    table = JobTable()
    job = table.join(0, line("http://a.test/"))
    assert job is not None
    assert table.known_result(line("http://a.test/")) is None  # running, not known yet
    done = TitleResult("http://a.test/", title="A")
    assert table.finish(job, done) == [(0, line("http://a.test/"))]
    assert table.known_result(line("http://a.test/", 9)) == done
    assert len(table) == 0
    table.close()


def test_an_invalid_line_has_its_result_at_once_naming_file_and_line():
    table = JobTable()
    known = table.known_result(line("ftp://a.test/", 7))
    assert known == TitleResult(
        "ftp://a.test/",
        error=Failure("invalid_url", "urls.txt:7: scheme ftp: only http and https are fetched"),
    )
    table.close()


def test_each_earlier_answer_skips_one_occurrence():
    table = JobTable(answered=["http://a.test/", "http://a.test/", "http://b.test/"])
    answers = [table.is_answered(line(url)) for url in ["http://a.test/"] * 3 + ["http://c.test/"]]
    assert answers == [True, True, False, False]
    table.close()


def test_a_dropped_job_gives_back_its_lines_and_is_forgotten():
    table = JobTable()
    job = table.join(0, line("http://a.test/"))
    assert job is not None
    table.join(1, line("http://a.test/", 2))
    assert [seq for seq, _ in table.drop(job)] == [0, 1]
    assert list(table) == []
    assert table.known_result(line("http://a.test/")) is None  # never fetched: fetch again
    table.close()


def test_the_host_key_is_the_origins_host_and_port():
    assert host_of("https://Example.TEST/a?b") == "example.test:443"
    assert host_of("http://example.test:8080/") == "example.test:8080"
