"""Content codings: gzip and deflate bodies decoded a bounded piece at a time."""

from __future__ import annotations

import zlib


class ContentDecodingError(ValueError):
    """The body does not decode as its Content-Encoding says."""


class Decoder:
    """gzip (every member) or deflate (zlib-wrapped or raw, as browsers accept), with each
    output bounded: a small compressed body cannot expand into memory all at once."""

    __slots__ = ("_coding", "_inflate", "_pending", "_first", "_members", "_ignoring")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._inflate = self._new()
        self._pending = b""  # compressed input not yet inflated
        self._first = True
        self._members = 1  # gzip members started
        self._ignoring = False  # after the last whole gzip member: trailing bytes

    def _new(self) -> zlib._Decompress:
        wbits = 16 + zlib.MAX_WBITS if self._coding == "gzip" else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def decode(self, data: bytes, most: int) -> bytes:
        """Up to `most` bytes inflated from what is pending and `data`."""
        if self._ignoring:
            return b""
        data = self._pending + data if self._pending else data
        try:
            out = self._inflate.decompress(data, most)
        except zlib.error as exc:
            if self._members > 1:  # garbage after a whole member: gzip tools ignore it too
                self._ignoring, self._pending = True, b""
                return b""
            if not (self._first and self._coding == "deflate"):
                raise ContentDecodingError(str(exc)) from exc
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header
            self._first = False
            return self.decode(data, most)
        self._first = False
        self._pending = self._inflate.unconsumed_tail
        if self._inflate.eof and self._inflate.unused_data and self._coding == "gzip":
            self._pending = self._inflate.unused_data  # another gzip member follows
            self._inflate = self._new()
            self._members += 1
        return out


def decoder_for(content_encoding: str | None) -> Decoder | None:
    """The decoder for a Content-Encoding header's value; None for identity, or a coding
    never asked for: its bytes pass as they are (as urllib3 passes them)."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("gzip", "x-gzip"):
        return Decoder("gzip")
    if coding == "deflate":
        return Decoder("deflate")
    return None
