"""Origin: where a request goes (scheme, host, port), the one notion of "host" in titlefetch.

Connections are kept per origin, --per-host counts requests per origin, and credentials
follow a redirect only within one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host (lower case, IDNA, IPv6 without brackets) and port (the scheme's default
    when the URL names none)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of an http(s) URL.

        >>> Origin.of("HTTP://Example.TEST/a")
        Origin(scheme='http', host='example.test', port=80)
        >>> str(Origin.of("https://[::1]:8443/"))
        '[::1]:8443'

        Raises:
            ValueError: the URL has no host, or its port is not a number from 0 to 65535.
        """
        parts = urlsplit(url)
        host = parts.hostname  # lower-cased, brackets of an IPv6 address removed
        if not host:
            raise ValueError(f"no host in {url!r}")
        if not host.isascii():  # IDNA, as urllib3 encodes it for the request
            host = (parse_url(url).host or host).strip("[]")
        scheme = parts.scheme.lower()
        port = parts.port  # a ValueError when not a number from 0 to 65535
        return cls(scheme, host, DEFAULT_PORTS.get(scheme, 80) if port is None else port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"
