"""Page bytes -> title, as a browser shows it: encodings, the walk to the first real <title>,
XML documents' titles and meta refresh. Knows nothing of HTTP."""

from titlefetch.html._encodings import can_have_title, is_html_type, media_type
from titlefetch.html._refresh import followed_refresh, is_read_for_refresh
from titlefetch.html._titles import PageTitle, TitleReader

__all__ = [
    "PageTitle",
    "TitleReader",
    "can_have_title",
    "followed_refresh",
    "is_html_type",
    "is_read_for_refresh",
    "media_type",
]
