"""UrlStore: results by URL and earlier answers, on disk."""

from __future__ import annotations

import os

from titlefetch._results import Failure, TitleResult
from titlefetch.run.store import UrlStore


def test_recalls_every_result_it_remembered_across_batches():
    store = UrlStore()
    results = [TitleResult(url=f"http://h.test/{n}", title=f"T{n}") for n in range(1500)]
    results.append(TitleResult(url="http://x.test/", error=Failure("dns", "no such host")))
    for result in results:
        store.remember(result)
    assert all(store.recall(result.url) == result for result in results)
    assert store.recall("http://never.test/") is None
    store.close()


def test_each_earlier_answer_skips_one_occurrence():
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
    from titlefetch.run.store import _SeenFilter

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
