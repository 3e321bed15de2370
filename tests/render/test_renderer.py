"""A process's renderers: held by each run that may render, closed by the last to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from titlefetch.render import _renderer
from titlefetch.render._renderer import Renderer, close_renderers, hold_renderers


@pytest.fixture
def one_renderer() -> Iterator[Renderer]:
    """A renderer registered as render_title would make it (its browser is never started)."""
    close_renderers()  # none held, none open: a clean start
    renderer = Renderer("/nonexistent/chromium", 1)
    _renderer._renderers[("/nonexistent/chromium", 1)] = renderer
    yield renderer
    while _renderer._holders:
        close_renderers()
    close_renderers()


def test_the_browser_stays_open_until_the_last_run_that_held_it_ends(one_renderer):
    hold_renderers()  # two runs render in this process at once
    hold_renderers()
    close_renderers()  # the first ends
    assert list(_renderer._renderers.values()) == [one_renderer]
    assert one_renderer._thread.is_alive()
    close_renderers()  # the second ends
    assert _renderer._renderers == {}
    assert not one_renderer._thread.is_alive()


def test_closing_with_no_run_holding_them_closes_at_once(one_renderer):
    close_renderers()
    assert _renderer._renderers == {}
    assert not one_renderer._thread.is_alive()
