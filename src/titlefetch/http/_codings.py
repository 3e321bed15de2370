"""Content codings: gzip, deflate and (with their libraries) br and zstd, decoded a bounded
piece at a time, as browsers decode them.

Every step is bounded: each call gives at most the output asked for, consumes at most _SLICE
bytes of input (so what zlib copies back, its unconsumed and unused input, stays small), and a
body of more than MAX_MEMBERS gzip members or zstd frames stops there: an endless stream of
empty members costs no more than a few of them.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from typing import Any, Protocol

# The decompressors behind the codings below, in one shape (zlib's): gzip and deflate from the
# standard library, br and zstd from their libraries when installed (the `compression` extra).


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


# The content codings, on those decompressors.
__all__ = ["ContentDecodingError", "Decoder", "UnsupportedCoding", "accept_encoding", "decoder_for"]

MAX_CODINGS = 5  # as curl: more codings than this in one response is refused
MAX_MEMBERS = 64  # gzip members (zstd frames) decoded at most; the rest is not read
_SLICE = 16 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


_MAGIC = {"gzip": _GZIP_MAGIC, "zstd": b"\x28\xb5\x2f\xfd"}  # codings of several members


class _Layer:
    """One coding of a body: its members one after another, fed a slice at a time."""

    __slots__ = ("_new", "_magic", "_stream", "_input", "_members", "finished", "stopped")

    def __init__(self, new_stream: Callable[[], Stream], magic: bytes | None) -> None:
        self._new = new_stream
        self._magic = magic  # how a further member starts; None: one stream only
        self._stream: Stream | None = new_stream()
        self._input = b""
        self._members = 1
        self.finished = False  # the coding ended: further input is ignored
        self.stopped = False  # ended at MAX_MEMBERS, not at the body's end

    def feed(self, data: bytes) -> None:
        if not self.finished:
            self._input = self._input + data if self._input else data

    def read(self, most: int) -> bytes:
        while not self.finished:
            stream = self._stream
            if stream is None or stream.ended:
                if not self._next_member():
                    return b""
                continue
            if stream.has_pending:
                out = stream.take(b"", most)
            elif self._input:
                data, self._input = self._input[:_SLICE], self._input[_SLICE:]
                out = stream.take(data, most)
            else:
                return b""
            if out:
                return out
        return b""

    def _next_member(self) -> bool:
        if self._stream is not None:  # the member just ended: what follows it comes first
            self._input = self._stream.leftover + self._input
            self._stream = None
        magic = self._magic
        if magic is None or (self._input and not magic.startswith(self._input[: len(magic)])):
            self.finished = True  # bytes after the last member are ignored, as gzip does
        elif len(self._input) < len(magic):
            return False  # not yet known whether another member follows
        elif self._members >= MAX_MEMBERS:
            self.finished = self.stopped = True
        else:
            self._members += 1
            self._stream = self._new()
        return self._stream is not None


class Decoder:
    """A body's content codings, undone in reverse order of their application."""

    __slots__ = ("_layers",)

    def __init__(self, layers: list[_Layer]) -> None:
        self._layers = layers  # the last coding applied (the first to undo) first

    @property
    def finished(self) -> bool:
        return any(layer.finished for layer in self._layers)

    @property
    def stopped(self) -> bool:
        return any(layer.stopped for layer in self._layers)

    def feed(self, data: bytes) -> None:
        self._layers[0].feed(data)

    def read(self, most: int) -> bytes:
        """At most `most` decoded bytes from what was fed; b"" when more input is needed."""
        return self._read(len(self._layers) - 1, most)

    def _read(self, index: int, most: int) -> bytes:
        layer = self._layers[index]
        while True:
            out = layer.read(most)
            if out or index == 0 or layer.finished:
                return out
            more = self._read(index - 1, _SLICE)
            if not more:
                return b""
            layer.feed(more)


Factories = dict[str, Callable[[], Stream]]
_KNOWN = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "compress", "x-compress"})
_EXTRA = "install titlefetch[compression] to decode it"


def decoders_here() -> Factories:
    """The codings this installation decodes: gzip and deflate, and br and zstd when their
    libraries are installed (the `compression` extra)."""
    global _factories
    if _factories is None:
        found: Factories = {"gzip": lambda: Zlib("gzip"), "deflate": lambda: Zlib("deflate")}
        brotli, zstd = brotli_module(), zstd_module()
        if brotli is not None:
            found["br"] = lambda: Brotli(brotli)
        if zstd is not None:
            found["zstd"] = lambda: Zstd(zstd)
        _factories = found
    return _factories


_factories: Factories | None = None


def accept_encoding(factories: Factories | None = None) -> str:
    """The Accept-Encoding header naming exactly the codings decoded here."""
    return ", ".join(factories or decoders_here())


def decoder_for(content_encoding: str | None, factories: Factories | None = None) -> Decoder | None:
    """The decoder for a Content-Encoding value; None for identity, and for a coding nobody
    knows (browsers show such a body as it is).

    Raises:
        UnsupportedCoding: a known coding not decoded here, or more than MAX_CODINGS.
    """
    tokens = [token.strip().lower() for token in (content_encoding or "").split(",")]
    codings = ["gzip" if token == "x-gzip" else token for token in tokens if token]
    codings = [coding for coding in codings if coding != "identity"]
    if not codings or not all(coding in _KNOWN for coding in codings):
        return None
    if len(codings) > MAX_CODINGS:
        raise UnsupportedCoding(codings[0], f"more than {MAX_CODINGS} content codings")
    factories = factories or decoders_here()
    for coding in codings:
        if coding not in factories:
            hint = f" ({_EXTRA})" if coding in ("br", "zstd") else ""
            raise UnsupportedCoding(coding, f"the body is {coding}-encoded{hint}")
    layers = [_Layer(factories[coding], _MAGIC.get(coding)) for coding in reversed(codings)]
    return Decoder(layers)
