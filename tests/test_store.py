"""UrlStore: results by URL and earlier answers, on disk."""

from __future__ import annotations

import os

from titlefetch.results import Failure, TitleResult
from titlefetch.store import UrlStore


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
