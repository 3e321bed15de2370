"""Titles that JavaScript sets: pages opened in a headless Chromium (--render)."""

from titlefetch.render._renderer import (
    PageRules,
    RenderJob,
    close_renderers,
    find_browser,
    hold_renderers,
    render_title,
)

__all__ = [
    "PageRules",
    "RenderJob",
    "close_renderers",
    "find_browser",
    "hold_renderers",
    "render_title",
]
