"""Jobs and dedupe: answered lines skipped, known results reused, repeats joining one job."""

from __future__ import annotations

import os

from titlefetch._results import Failure, TitleResult
from titlefetch.run._jobs import JobTable, UrlStore, host_of
from titlefetch.run._lines import UrlLine, url_problem


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


# UrlStore: results by URL and earlier answers, on disk.


def test_recalls_every_result_it_remembered_across_batches():
    store = UrlStore()
    results = [TitleResult(url=f"http://h.test/{n}", title=f"T{n}") for n in range(1500)]
    results.append(TitleResult(url="http://x.test/", error=Failure("dns", "no such host")))
    for result in results:
        store.remember(result)
    assert all(store.recall(result.url) == result for result in results)
    assert store.recall("http://never.test/") is None
    store.close()


def test_the_store_skips_one_occurrence_per_earlier_answer():
    store = UrlStore()
    assert store.add_answered(["http://a.test/", "http://a.test/", "http://b.test/"]) == 3
    taken = [store.take_answered(url) for url in ["http://a.test/"] * 3 + ["http://b.test/"] * 2]
    assert taken == [True, True, False, True, False]
    store.close()


def test_close_removes_the_file_and_may_be_repeated():
    store = UrlStore()
    path = store._path
    assert os.path.exists(path)
    store.close()
    store.close()
    assert not os.path.exists(path)


def test_the_seen_filter_never_answers_no_for_a_stored_url():
    from titlefetch.run._jobs import _SeenFilter

    seen = _SeenFilter()
    stored = [f"http://h{n % 97}.test/p/{n}" for n in range(20_000)]
    for url in stored:
        seen.add(url)
    assert all(url in seen for url in stored)
    others = [f"http://other.test/{n}" for n in range(20_000)]
    assert sum(url in seen for url in others) < 20  # ~0 expected at this fill; never all


def test_urls_never_stored_are_not_looked_up_on_disk():
    store = UrlStore()
    for n in range(600):  # more than one batch: most rows are on disk
        store.remember(TitleResult(url=f"http://a.test/{n}", title=str(n)))
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    recalled = store.recall("http://a.test/5")
    assert recalled is not None and recalled.title == "5"
    assert store.recall("http://b.test/new") is None
    assert len(statements) == 1  # only the stored URL's lookup reached SQLite
    store.close()
