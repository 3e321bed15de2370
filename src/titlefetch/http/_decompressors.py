"""The decompressors behind _codings.py, in one shape (zlib's): gzip and deflate from the
standard library, br and zstd from their libraries when installed (the `compression` extra)."""

from __future__ import annotations

import importlib
import zlib
from typing import Any, Protocol


class ContentDecodingError(ValueError):
    """The body does not decode as its Content-Encoding says."""


class UnsupportedCoding(ValueError):
    """A content coding titlefetch cannot decode here (br or zstd without its library)."""

    def __init__(self, coding: str, reason: str) -> None:
        super().__init__(reason)
        self.coding = coding


class Stream(Protocol):
    """One coding's decompressor, in the terms of zlib's: bounded output per call."""

    def take(self, data: bytes, most: int) -> bytes:
        """At most `most` bytes decoded from `data` and what was left from earlier calls."""
        ...

    @property
    def has_pending(self) -> bool:
        """Whether output or input is held back (call take(b"", ...) again)."""
        ...

    @property
    def ended(self) -> bool:
        """Whether the stream (gzip member, zstd frame) is complete."""
        ...

    @property
    def leftover(self) -> bytes:
        """Input after the end of the stream."""
        ...


class Zlib:
    """gzip (one member) or deflate: zlib-wrapped, or raw when its first two bytes are not a
    zlib header, as browsers accept."""

    __slots__ = ("_inflate", "_tail", "_undecided")

    def __init__(self, coding: str) -> None:
        gzip = coding == "gzip"
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._tail = b""
        self._undecided = not gzip  # deflate: zlib or raw, told by the first two bytes

    def take(self, data: bytes, most: int) -> bytes:
        data = self._tail + data if self._tail else data
        if self._undecided:
            if len(data) < 2:
                self._tail = data
                return b""
            self._undecided = False
            if not _is_zlib_header(data[0], data[1]):
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = self._inflate.decompress(data, most)
        except zlib.error as exc:
            raise ContentDecodingError(str(exc)) from exc
        self._tail = self._inflate.unconsumed_tail
        return out

    @property
    def has_pending(self) -> bool:
        return bool(self._tail) and not self._undecided

    @property
    def ended(self) -> bool:
        return self._inflate.eof

    @property
    def leftover(self) -> bytes:
        return self._inflate.unused_data


def _is_zlib_header(first: int, second: int) -> bool:
    # RFC 1950: method 8 (deflate), window up to 32 KB, and a check that makes it divisible by 31.
    return first & 0x0F == 8 and first >> 4 <= 7 and (first << 8 | second) % 31 == 0


class Brotli:
    __slots__ = ("_decompressor", "_held", "_error")

    def __init__(self, module: Any) -> None:
        self._decompressor = module.Decompressor()
        self._held = b""  # output past what the last caller asked for
        self._error: type[Exception] = module.error

    def take(self, data: bytes, most: int) -> bytes:
        if not self._held:
            if data and not self._decompressor.can_accept_more_data():
                raise ContentDecodingError("brotli stream refused more input")
            try:
                self._held = self._decompressor.process(data, output_buffer_limit=most)
            except self._error as exc:
                raise ContentDecodingError(str(exc)) from exc
        out, self._held = self._held[:most], self._held[most:]
        return out

    @property
    def has_pending(self) -> bool:
        return bool(self._held) or not self._decompressor.can_accept_more_data()

    @property
    def ended(self) -> bool:
        return not self._held and bool(self._decompressor.is_finished())

    @property
    def leftover(self) -> bytes:
        return b""


class Zstd:
    __slots__ = ("_decompressor", "_error")

    def __init__(self, module: Any) -> None:
        self._decompressor = module.ZstdDecompressor()
        self._error: type[Exception] = module.ZstdError

    def take(self, data: bytes, most: int) -> bytes:
        try:
            out: bytes = self._decompressor.decompress(data, most)
        except self._error as exc:
            raise ContentDecodingError(str(exc)) from exc
        return out

    @property
    def has_pending(self) -> bool:
        return not self._decompressor.needs_input and not self._decompressor.eof

    @property
    def ended(self) -> bool:
        return bool(self._decompressor.eof)

    @property
    def leftover(self) -> bytes:
        return bytes(self._decompressor.unused_data)


def brotli_module() -> Any:
    brotli = _first_module("brotli", "brotlicffi")
    if brotli is None:
        return None
    try:  # Brotli >= 1.2 bounds its output per call: older ones would let a bomb out whole
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return None
    return brotli


def zstd_module() -> Any:
    return _first_module("compression.zstd", "backports.zstd")  # Python 3.14+, or before


def _first_module(*names: str) -> Any:
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None
