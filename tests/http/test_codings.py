"""codings: gzip and deflate bodies decoded piece by piece, each piece bounded."""

from __future__ import annotations

import gzip
import zlib

import pytest

from titlefetch.http.codings import ContentDecodingError, Decoder, decoder_for

PAGE = b"<title>Packed</title>" + b"<p>filler</p>" * 1000


def decode_all(decoder: Decoder, data: bytes, *, piece: int = 100, most: int = 512) -> bytes:
    """Feed `data` `piece` bytes at a time, taking at most `most` bytes out per call."""
    out = []
    for start in range(0, len(data), piece):
        chunk = decoder.decode(data[start : start + piece], most)
        assert len(chunk) <= most
        out.append(chunk)
        while decoder.has_pending:
            chunk = decoder.decode(b"", most)
            assert len(chunk) <= most
            if not chunk:
                break
            out.append(chunk)
    return b"".join(out)


@pytest.mark.parametrize(
    ("header", "data", "expected"),
    [
        ("gzip", gzip.compress(PAGE), PAGE),
        (" X-GZIP ", gzip.compress(PAGE), PAGE),
        ("deflate", zlib.compress(PAGE), PAGE),
        ("deflate", zlib.compress(PAGE)[2:-4], PAGE),  # raw deflate, without the zlib wrapper
        ("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), b"one two"),
        ("gzip", gzip.compress(PAGE) + b"\0" * 8, PAGE),  # garbage after a whole member
    ],
)
def test_a_body_comes_out_whole_however_it_is_cut(header, data, expected):
    decoder = decoder_for(header)
    assert decoder is not None
    assert decode_all(decoder, data) == expected


@pytest.mark.parametrize("header", [None, "", "identity", "br", "zstd"])
def test_identity_and_codings_never_asked_for_are_not_decoded(header):
    assert decoder_for(header) is None


@pytest.mark.parametrize("header", ["gzip", "deflate"])
def test_bytes_that_are_not_the_coding_are_an_error(header):
    decoder = decoder_for(header)
    assert decoder is not None
    with pytest.raises(ContentDecodingError):
        decoder.decode(b"this is plain text, not compressed", 1024)


def test_a_bomb_expands_no_more_than_asked_per_call():
    decoder = Decoder("gzip")
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # ~50 KB
    assert len(decoder.decode(bomb, 4096)) == 4096
    assert decoder.has_pending
    assert len(decoder.decode(b"", 4096)) == 4096
