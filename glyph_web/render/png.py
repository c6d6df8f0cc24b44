"""PNG files of rendered pages: 8-bit RGB, as the official pipeline saves them, written fast.

Pillow's PNG encoder tries five row filters per row and then deflates with zlib: about 15 ms for a
589 x 842 page even at level 1, more than drawing the page. Glyph pages are mostly white runs, which deflate
well without a filter, so rows go out unfiltered and ISA-L's deflate (the `isal` package) compresses them
in about 1.3 ms at the size zlib level 1 gives. Without isal, zlib level 1 does it in about 8 ms.
The page gallery shows them through encode_compact_png: the same pixels as one grey channel when they are grey.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

try:  # ISA-L deflate: the same format, several times faster than zlib at its fastest levels
    from isal import isal_zlib as _deflate
except ImportError:  # pragma: no cover - exercised where isal has no wheel
    _deflate = zlib
_LEVEL = 1  # zlib's fastest; ISA-L's level 1 gives the same size

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) RGB or (H, W, 1) / (H, W) grey uint8 array, always as 8-bit RGB."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    if pixels.dtype != np.uint8 or channels not in (1, 3):
        raise ValueError(f"expected uint8 pixels with 1 or 3 channels, got {pixels.dtype} x {channels}")
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None leads every row
    rgb = rows[:, 1:].reshape(height, width, 3)
    for c in range(3):  # channel by channel: a broadcast of a grey plane into all three is 2.5x slower
        rgb[:, :, c] = pixels[:, :, c if channels == 3 else 0]
    return _png(rows, width, height, 2)


def encode_compact_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of the same pixels, smallest fast: 8-bit grey when all three channels agree (text pages:
    about 2.5x smaller, written in about 0.5 ms), else what encode_png writes. For showing pages, not for the
    files the official pipeline's layout expects (those are RGB)."""
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype == np.uint8:
        red = pixels[:, :, 0]
        if not (np.array_equal(red, pixels[:, :, 1]) and np.array_equal(red, pixels[:, :, 2])):
            return encode_png(pixels)
        pixels = red
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        return encode_png(pixels)  # says what it expected
    height, width = pixels.shape
    rows = np.empty((height, 1 + width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = pixels
    return _png(rows, width, height, 0)


def _png(rows: np.ndarray, width: int, height: int, colour_type: int) -> bytes:
    """A PNG of filtered rows, (height, 1 + width x channels) uint8: 8-bit, colour type 0 (grey) or 2 (RGB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", _deflate.compress(rows, _LEVEL))
            + _chunk(b"IEND", b""))


def write_png(pixels: np.ndarray, path: str | Path) -> None:
    Path(path).write_bytes(encode_png(pixels))
