"""titlefetch: the <title> of every page in a list of URLs, fetched concurrently."""

__version__ = "0.1.0"

from titlefetch.api import TitleRun, fetch_titles  # noqa: E402
from titlefetch.results import Failure, TitleResult  # noqa: E402
from titlefetch.sources import UrlLine  # noqa: E402

__all__ = ["Failure", "TitleResult", "TitleRun", "UrlLine", "__version__", "fetch_titles"]
