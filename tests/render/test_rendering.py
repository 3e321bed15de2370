"""--render end to end, on the thread backend: the titles JavaScript sets (against what Chromium
showed for the same pages, js_pages_chromium.json), the pages that are and are not sent to the
browser (counted at the server), and pages that loop or try to leave."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.page_server import PageServer
from tests.render.conftest import needs_browser
from tests.render.js_pages import RECORDED, chromium_titles, serve_pages
from titlefetch import fetch_titles
from titlefetch._results import TitleResult

pytestmark = needs_browser


@pytest.fixture(scope="module")
def site() -> Iterator[PageServer]:
    with PageServer() as server:
        serve_pages(server)
        yield server


def results(site: PageServer, paths: list[str], **options: object) -> dict[str, TitleResult]:
    urls = [site.url(path) for path in paths]
    # Generous: a busy machine slows the browser, and a timeout only bounds a page that hangs.
    options.setdefault("timeout", 30)
    with fetch_titles(urls, **options) as run:  # type: ignore[arg-type]
        return {result.url.removeprefix(site.base): result for result in run}


@pytest.fixture(scope="module")
def rendered_always(site: PageServer) -> dict[str, TitleResult]:
    return results(site, list(RECORDED), render="always")


@pytest.mark.parametrize("path", RECORDED)
def test_a_rendered_title_is_the_one_chromium_shows(rendered_always, path):
    result = rendered_always[path]
    shown = chromium_titles()[path]
    assert result.rendered
    assert result.title == (shown or None)
    assert result.render_ms is not None and result.render_ms > 0


def test_static_title_says_what_rendering_changed(rendered_always):
    assert rendered_always["/placeholder"].static_title == "Loading\u2026"
    assert rendered_always["/placeholder"].title == "Orders \u2013 Shop"
    assert rendered_always["/inline"].static_title is None  # an empty <title>
    assert rendered_always["/titled"].static_title == "Static title"


def test_a_page_no_script_titles_keeps_its_failure(rendered_always):
    untitled = rendered_always["/untitled"]
    assert untitled.rendered
    assert untitled.error is not None and untitled.error.kind == "no_title"


def test_images_are_not_loaded(site, rendered_always):
    assert rendered_always["/with-image"].title == "Has an image"
    assert site.hits["/image.png"] == 0


def test_missing_renders_only_pages_without_a_static_title(site):
    paths = ["/titled", "/never-sets", "/inline", "/bundle"]
    before = dict(site.hits)
    found = results(site, paths, render="missing")
    hits = {path: site.hits[path] - before.get(path, 0) for path in paths}
    assert hits == {"/titled": 1, "/never-sets": 1, "/inline": 2, "/bundle": 2}
    assert [found[path].rendered for path in paths] == [False, False, True, True]
    assert found["/titled"].static_title is None and found["/titled"].render_ms is None
    assert found["/bundle"].title == chromium_titles()["/bundle"]


def test_always_renders_every_html_page(site):
    paths = ["/titled", "/inline"]
    before = dict(site.hits)
    found = results(site, paths, render="always")
    assert {path: site.hits[path] - before.get(path, 0) for path in paths} == {
        "/titled": 2,
        "/inline": 2,
    }
    assert all(found[path].rendered for path in paths)


def test_never_is_the_default_and_sends_nothing_to_a_browser(site):
    before = site.hits["/inline"]
    found = results(site, ["/inline"])
    assert site.hits["/inline"] == before + 1
    assert not found["/inline"].rendered
    assert found["/inline"].error is not None and found["/inline"].error.kind == "no_title"


def test_a_looping_page_is_cut_at_the_timeout_and_keeps_its_static_title(site):
    urls = [site.url("/loops"), site.url("/inline")]
    with fetch_titles(urls, timeout=8, render="always") as run:
        looping, healthy = list(run)
    assert looping.error is not None and looping.error.kind == "render_timeout"
    assert looping.title == "Static before the loop" and not looping.rendered
    assert healthy.title == "Set inline" and healthy.error is None


def test_a_page_that_leaves_and_opens_a_popup_stays_where_it_is(site):
    found = results(site, ["/leaves"], render="missing")
    assert found["/leaves"].title == "Stayed"
    assert found["/leaves"].error is None
    assert site.hits["/elsewhere"] == 0 and site.hits["/popup"] == 0


def test_the_asyncio_api_renders_too(site):
    import asyncio

    from titlefetch import afetch_titles

    async def titles() -> list[str | None]:
        urls = [site.url("/inline"), site.url("/titled")]
        return [result.title async for result in afetch_titles(urls, render="missing")]

    assert asyncio.run(titles()) == ["Set inline", "Static title"]


def test_a_page_without_script_is_not_waited_for(site):
    # --render-wait outlasts --timeout: only a page known to be done can end before both.
    found = results(site, ["/bare", "/untitled"], render="missing", render_wait=60, timeout=8)
    assert found["/bare"].rendered
    assert found["/bare"].error is not None and found["/bare"].error.kind == "no_title"
    untitled = found["/untitled"]  # a script could still set its title: cut at --timeout
    assert untitled.error is not None and untitled.error.kind == "render_timeout"
