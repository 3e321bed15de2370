"""codings: content codings decoded piece by piece, each piece bounded, as browsers decode."""

from __future__ import annotations

import gzip
import zlib

import pytest

from titlefetch.http import _codings as codings
from titlefetch.http._codings import (
    MAX_MEMBERS,
    ContentDecodingError,
    Decoder,
    UnsupportedCoding,
    accept_encoding,
    decoder_for,
    decoders_here,
)

PAGE = b"<title>Packed</title>" + b"<p>filler</p>" * 1000
WITHOUT_EXTRAS = {name: new for name, new in decoders_here().items() if name in ("gzip", "deflate")}


def decode_all(decoder: Decoder, data: bytes, *, piece: int = 100, most: int = 512) -> bytes:
    """Feed `data` `piece` bytes at a time, taking at most `most` bytes out after each."""
    out = []
    for start in range(0, len(data), piece):
        decoder.feed(data[start : start + piece])
        while chunk := decoder.read(most):
            assert len(chunk) <= most
            out.append(chunk)
    return b"".join(out)


def coded(header: str) -> Decoder:
    decoder = decoder_for(header)
    assert decoder is not None
    return decoder


@pytest.mark.parametrize(
    ("header", "data", "expected"),
    [
        ("gzip", gzip.compress(PAGE), PAGE),
        (" X-GZIP ", gzip.compress(PAGE), PAGE),
        ("deflate", zlib.compress(PAGE), PAGE),
        ("deflate", zlib.compress(PAGE)[2:-4], PAGE),  # raw deflate, without the zlib wrapper
        ("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), b"one two"),
        ("gzip", gzip.compress(b"") * 5 + gzip.compress(PAGE), PAGE),  # empty members first
        ("gzip", gzip.compress(PAGE) + b"\0" * 8, PAGE),  # garbage after a whole member
        ("gzip, gzip", gzip.compress(gzip.compress(PAGE)), PAGE),
        ("deflate, gzip", gzip.compress(zlib.compress(PAGE)), PAGE),  # undone in reverse
        ("identity, gzip", gzip.compress(PAGE), PAGE),
    ],
)
def test_a_body_comes_out_whole_however_it_is_cut(header, data, expected):
    assert decode_all(coded(header), data) == expected
    assert decode_all(coded(header), data, piece=1, most=7) == expected


@pytest.mark.parametrize("header", [None, "", "identity", " , ", "foo", "gzip, foo", "utf-8"])
def test_identity_and_codings_nobody_knows_are_shown_as_they_are(header):
    assert decoder_for(header) is None


@pytest.mark.parametrize(("header", "coding"), [("br", "br"), ("zstd", "zstd"), ("gzip, br", "br")])
def test_br_and_zstd_without_their_libraries_are_unsupported_and_named(header, coding):
    with pytest.raises(UnsupportedCoding, match=coding) as caught:
        decoder_for(header, WITHOUT_EXTRAS)
    assert caught.value.coding == coding
    assert "titlefetch[compression]" in str(caught.value)


def test_compress_is_never_supported():
    with pytest.raises(UnsupportedCoding, match="compress"):
        decoder_for("compress")


def test_more_codings_than_curl_allows_are_refused():
    with pytest.raises(UnsupportedCoding, match="more than"):
        decoder_for(", ".join(["gzip"] * (codings.MAX_CODINGS + 1)))


def test_accept_encoding_names_exactly_the_codings_decoded():
    assert accept_encoding(WITHOUT_EXTRAS) == "gzip, deflate"
    assert accept_encoding().split(", ") == list(decoders_here())


@pytest.mark.parametrize("header", ["gzip", "deflate"])
def test_bytes_that_are_not_the_coding_are_an_error(header):
    decoder = coded(header)
    decoder.feed(b"this is plain text, not compressed")
    with pytest.raises(ContentDecodingError):
        decoder.read(1024)


def test_a_bomb_expands_no_more_than_asked_per_call():
    decoder = coded("gzip")
    decoder.feed(gzip.compress(b"\0" * (50 * 1024 * 1024)))  # ~50 KB
    assert len(decoder.read(4096)) == 4096
    assert len(decoder.read(4096)) == 4096


def test_endless_empty_members_stop_after_max_members_and_say_so():
    decoder = coded("gzip")
    decoder.feed(gzip.compress(b"") * (MAX_MEMBERS * 100))
    assert decoder.read(4096) == b""
    assert decoder.finished and decoder.stopped
    decoder.feed(gzip.compress(PAGE))  # ignored: decoding has ended
    assert decoder.read(4096) == b""


def test_the_last_allowed_member_is_still_decoded():
    decoder = coded("gzip")
    decoder.feed(gzip.compress(b"") * (MAX_MEMBERS - 1) + gzip.compress(b"last"))
    assert decoder.read(4096) == b"last"
    assert not decoder.stopped


@pytest.mark.skipif("br" not in decoders_here(), reason="brotli is not installed")
def test_brotli_bomb_comes_out_a_bounded_piece_at_a_time():
    import brotli  # type: ignore[import-untyped]

    decoder = coded("br")
    decoder.feed(brotli.compress(bytes(20 * 1024 * 1024)))
    assert [len(decoder.read(4096)) for _ in range(3)] == [4096] * 3
    assert decode_all(coded("br"), brotli.compress(PAGE)) == PAGE


@pytest.mark.skipif("zstd" not in decoders_here(), reason="backports.zstd is not installed")
def test_zstd_frames_are_all_decoded_and_bounded():
    from backports import zstd  # type: ignore[import-not-found, unused-ignore]

    assert decode_all(coded("zstd"), zstd.compress(b"one ") + zstd.compress(b"two")) == b"one two"
    decoder = coded("zstd")
    decoder.feed(zstd.compress(bytes(20 * 1024 * 1024)))
    assert [len(decoder.read(4096)) for _ in range(3)] == [4096] * 3
