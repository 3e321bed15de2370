"""get_title(): one URL -> a TitleResult, never an exception for network or HTTP trouble."""

from __future__ import annotations

import os
import pickle
import threading

import pytest
import requests
import responses

from titlefetch.batch import get_title
from titlefetch.fetch import FetchOptions

OPTIONS = FetchOptions(timeout=2, retries=0)
URL = "http://site.test/page"


@responses.activate
def test_success_records_title_status_and_where_it_ran():
    responses.get(URL, body=b"<html><title> Hello \n World </title>", content_type="text/html")
    result = get_title(URL, OPTIONS)
    assert (result.title, result.status, result.error) == ("Hello World", 200, None)
    assert result.final_url == URL
    assert result.content_type == "text/html"
    assert result.pid == os.getpid()
    assert result.thread == threading.current_thread().name
    assert result.elapsed_ms >= 0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "kind"),
    [
        (404, b"<title>Not Found</title>", "text/html", "http_4xx"),
        (503, b"<title>Busy</title>", "text/html", "http_5xx"),
        (200, b"%PDF-1.4 <title>x</title>", "application/pdf", "not_html"),
        (200, b"<html><body>no title here</body></html>", "text/html", "no_title"),
    ],
)
@responses.activate
def test_http_trouble_becomes_an_error_kind(status, body, content_type, kind):
    responses.get(URL, body=body, status=status, content_type=content_type)
    result = get_title(URL, OPTIONS)
    assert result.title is None
    assert result.error is not None
    assert result.error.kind == kind
    assert result.status == status


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (requests.ConnectTimeout("slow"), "timeout"),
        (requests.TooManyRedirects("loop"), "too_many_redirects"),
    ],
)
@responses.activate
def test_network_errors_become_results_not_exceptions(exception, kind):
    responses.get(URL, body=exception)
    result = get_title(URL, OPTIONS)
    assert result.error is not None
    assert result.error.kind == kind


@responses.activate
def test_result_survives_pickling_for_the_process_backend():
    responses.get(URL, body=b"<title>x</title>", content_type="text/html")
    result = get_title(URL, OPTIONS)
    assert pickle.loads(pickle.dumps(result)) == result
    assert pickle.loads(pickle.dumps(OPTIONS)) == OPTIONS
