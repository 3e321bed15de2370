"""titlefetch: the <title> of every page in a list of URLs, fetched concurrently."""

__version__ = "0.1.0"
