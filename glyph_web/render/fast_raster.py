"""A pure-Python rasteriser that reproduces poppler's Splash output (pdftoppm 22.12) for Glyph's pages.

`render_page(ops, page_w_pt, page_h_pt, dpi, font_path, font_index, page_bg)` draws `Rect` and `TextLine`
objects (what reportlab's PDF for the page holds: filled rectangles, and text lines with the `cm` translation
kept apart from the text position, because poppler adds the two separately in device space) exactly as
pdftoppm does:

* page size ceil(points * dpi / 72); base CTM [s 0 0 -s 0 H*s] with s = dpi / 72;
* rectangles snapped to whole pixels (Splash stroke adjustment): [round(x0), round(x1));
* glyphs from FreeType at the rounded pixel size with a 16.16 scale matrix, no hinting, no embedded bitmaps,
  shifted by xFrac/4 px where xFrac = floor(4 * frac(x)) (y fractions ignored; sub-pixel x off above a 50 px
  glyph height), placed at (floor(x) + left, floor(y) - top); x advances by (w * 0.001) * size, plus the word
  spacing on spaces, accumulated character by character in float64;
* numbers (widths, Tw, Tm) read the way poppler's lexer reads decimals (`poppler_number`), not with strtod;
* compositing in paint order: dst = ((255 - a) * dst + a * c) // 255 per channel.

Verified at 0 differing pixels against pdftoppm on the official samples at 72 and 96 dpi, both newline
styles, a TrueType collection, other alignments, colours and sizes. Only what reportlab writes for this
pipeline is supported (no strokes, clipping or rotation).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import freetype
import numpy as np

RGB = tuple[int, int, int]


# --------------------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Rect:
    """A filled axis-aligned rectangle in PDF points (x, y = lower-left corner after `cm`)."""

    x: float
    y: float
    w: float
    h: float
    rgb: RGB


@dataclass(frozen=True)
class Span:
    """One `Tj` string: Unicode text and its fill colour (word spacing applies to its spaces, byte 0x20)."""

    text: str
    rgb: RGB


@dataclass(frozen=True)
class TextLine:
    """One line of text. Device x of its first glyph = ctm(ox) + s * x, as poppler computes it."""

    ox: float  # translation set by the enclosing `cm` (points)
    oy: float
    x: float  # text-space start of the line (Tm e + line x), relative to (ox, oy)
    y: float
    size: float
    word_space: float
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)



def poppler_number(tok: bytes | str) -> float:
    """The double poppler's Lexer::getObj makes of a PDF number token (int or real)."""
    if isinstance(tok, str):
        tok = tok.encode()
    i = 0
    neg = False
    if tok[:1] == b"-":
        neg, i = True, 1
    elif tok[:1] == b"+":
        i = 1
    xi = 0
    n = len(tok)
    while i < n and 48 <= tok[i] <= 57:
        xi = xi * 10 + tok[i] - 48
        i += 1
    if i < n and tok[i] == 46:  # '.'
        i += 1
        xf = float(xi)
        scale = 0.1
        while i < n:
            c = tok[i]
            i += 1
            if c == 45:  # minus signs in the middle are ignored
                continue
            if not 48 <= c <= 57:
                break
            xf = xf + scale * (c - 48)
            scale *= 0.1
        return -xf if neg else xf
    return float(-xi if neg else xi)


# --------------------------------------------------------------------------------------------------------
# PDF objects (enough for reportlab's regular output)

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)



_LOAD_FLAGS = freetype.FT_LOAD_NO_BITMAP | freetype.FT_LOAD_NO_HINTING


def _hex_rgb(color) -> tuple[int, int, int]:
    if isinstance(color, str):
        c = color.strip().lstrip("#")
        if c.lower().startswith("0x"):
            c = c[2:]
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    return tuple(color)


PAPER = (255, 255, 255)  # pdftoppm's default paper colour


def with_page_background(ops, page_w_pt, page_h_pt, page_bg):
    """ops with the page-size background Rect first (added when missing and page_bg is given)."""
    if page_bg is None:
        return ops
    first = ops[0] if ops else None
    if isinstance(first, Rect) and (first.x, first.y, first.w, first.h) == (0, 0, page_w_pt, page_h_pt):
        return ops
    return [Rect(0.0, 0.0, float(page_w_pt), float(page_h_pt), _hex_rgb(page_bg))] + ops


def _round(x: float) -> int:
    """splashRound: floor(x + 0.5)."""
    return math.floor(x + 0.5)


# --------------------------------------------------------------------------------------------------------
# fonts


# Threads. The API draws the pages of several requests at once in its thread pool, so everything below is
# shared between threads and made safe for it:
# * one GlyphSource (FreeType face + glyph atlas) per font, index and size, shared by all threads: per-thread
#   copies would redo the FreeType work and keep a copy of every glyph in each of the pool's threads. A face
#   is not thread-safe, so its `lock` is held while it is used (char -> glyph id, glyph loading) and while
#   the atlas grows; a lookup of glyphs already in the atlas holds it only for one vectorised table read;
# * the atlas hands out immutable snapshots (_Flat) of its flat pixel arrays: growth appends past the end
#   of what any snapshot covers or copies into new buffers, so arrays a thread blits with never change;
# * FreeType asks for FT_New_Face / FT_Done_Face on one FT_Library (freetype-py shares one) to be
#   serialised: _FT_LOCK, also held when a dropped GlyphSource releases its face;
# * the lru_caches of sources and widths are filled under a lock, so that every thread gets the same object.
# * each source's char table (char -> glyph id, width) is read and filled under the source's lock.
# Per-page state (canvas, colours, pending lines) is per call; scratch arrays are per thread.
_FT_LOCK = threading.RLock()  # re-entrant: a face released by the garbage collector in a thread holding it
_SOURCES_LOCK = threading.Lock()
_WIDTHS_LOCK = threading.Lock()


class GlyphSource:
    """One font face at one device size: glyph bitmaps per (glyph id, x fraction), cached; and its atlas.

    Thread-safe: `lock` guards the face and the caches' growth.
    """

    def __init__(self, font_path: str, font_index: int, mat_size: float):
        self.lock = threading.Lock()
        with _FT_LOCK:
            self.face = freetype.Face(str(font_path), index=font_index)
        # SplashFTFont: FT_Set_Pixel_Sizes(round(size)) and a transform matrix mat / size in 16.16
        self.size = max(1, _round(mat_size))
        self.face.set_pixel_sizes(0, self.size)
        scale = int((mat_size / self.size) * 65536)
        self.matrix = freetype.Matrix(scale, 0, 0, scale)
        upem = self.face.units_per_EM
        bbox = self.face.bbox
        div = 65536 if bbox.xMax > 20000 else 1
        y0 = int(mat_size * bbox.yMin / (div * upem))
        y1 = int(mat_size * bbox.yMax / (div * upem))
        if y1 == y0:  # SplashFTFont's kludge for fonts with a zero bbox
            y0, y1 = 0, int(1.2 * self.size)
        # SplashFont::initCache: glyphH = yMax - yMin + 3; getGlyph uses no x fractions when glyphH > 50
        self.glyph_h = (y1 - y0) + 3
        self.use_frac = self.glyph_h <= 50
        self._cache: dict[tuple[int, int], tuple[np.ndarray, int, int] | None] = {}
        self._gid: dict[str, int] = {}
        self._chars: _CharTable | None = None
        self.atlas = _Atlas(max(self.face.num_glyphs, 1))  # (holds no reference back: no cycle)

    def __del__(self):
        face = self.__dict__.pop("face", None)
        if face is not None and _FT_LOCK is not None:  # (None: the interpreter is shutting down)
            with _FT_LOCK:
                del face  # FT_Done_Face, serialised with the other threads' FT_New_Face

    def gid(self, ch: str) -> int:
        g = self._gid.get(ch)
        if g is None:
            with self.lock:
                g = self._gid_locked(ch)
        return g

    def _gid_locked(self, ch: str) -> int:
        """gid() for a caller holding self.lock."""
        g = self._gid.get(ch)
        if g is None:
            g = self._gid[ch] = self.face.get_char_index(ord(ch))
        return g

    def chars(self, width_of) -> _CharTable:
        """The source's char table (width_of: reportlab_widths of its font, the same function for all)."""
        table = self._chars
        if table is None:
            with self.lock:
                if self._chars is None:
                    self._chars = _CharTable(width_of)
                table = self._chars
        return table

    def glyph(self, gid: int, xfrac: int):
        """(alpha array h x w uint8, left, top) or None for an empty glyph."""
        if not self.use_frac:
            xfrac = 0
        hit = self._cache.get((gid, xfrac), False)
        if hit is not False:
            return hit
        with self.lock:
            return self._glyph(gid, xfrac)

    def _glyph(self, gid: int, xfrac: int):
        """glyph() for a caller holding self.lock."""
        if not self.use_frac:
            xfrac = 0
        key = (gid, xfrac)
        hit = self._cache.get(key, False)
        if hit is not False:
            return hit
        delta = freetype.Vector(int(xfrac * 0.25 * 64), 0)
        self.face.set_transform(self.matrix, delta)
        self.face.load_glyph(gid, _LOAD_FLAGS)
        slot = self.face.glyph
        slot.render(freetype.FT_RENDER_MODE_NORMAL)
        bm = slot.bitmap
        if bm.width == 0 or bm.rows == 0:
            out = None
        else:
            buf = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width]
            out = (np.ascontiguousarray(buf), slot.bitmap_left, slot.bitmap_top)
        self._cache[key] = out
        return out

    def __len__(self):
        return len(self._cache)


@lru_cache(maxsize=16)
def _glyph_source(font_path: str, font_index: int, mat_size: float) -> GlyphSource:
    return GlyphSource(font_path, font_index, mat_size)


def glyph_source(font_path: str, font_index: int, mat_size: float) -> GlyphSource:
    """The shared GlyphSource of a font at a size (one per process, whichever thread asks first)."""
    with _SOURCES_LOCK:
        return _glyph_source(font_path, font_index, mat_size)


def clear_caches() -> None:
    """Forget the cached glyph sources and widths (pages being drawn keep the ones they hold)."""
    with _SOURCES_LOCK:
        _glyph_source.cache_clear()
    with _WIDTHS_LOCK:
        _reportlab_widths.cache_clear()


def reportlab_widths(font_path: str, font_index: int):
    """Unicode char -> width as reportlab writes it into /Widths (fp_str) and poppler reads it back.

    One function per font for all threads; its memo only gains entries (dict stores are atomic), and a
    width computed twice by two threads is the same number."""
    with _WIDTHS_LOCK:
        return _reportlab_widths(font_path, font_index)


@lru_cache(maxsize=16)
def _reportlab_widths(font_path: str, font_index: int):
    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfbase.ttfonts import TTFontFile

    face = TTFontFile(str(font_path), subfontIndex=font_index)
    cache: dict[int, float] = {}

    def width(code_point: int) -> float:
        w = cache.get(code_point)
        if w is None:
            w = cache[code_point] = poppler_number(fp_str(face.charWidths.get(code_point, face.defaultWidth)))
        return w

    return width


# --------------------------------------------------------------------------------------------------------
# compositing


# --------------------------------------------------------------------------------------------------------
# page


def _concat(m, n):
    """GfxState::concatCTM: m applied first, then n (the current CTM)."""
    a, b, c, d, e, f = m
    a1, b1, c1, d1, e1, f1 = n
    return (a * a1 + b * c1, a * b1 + b * d1, c * a1 + d * c1, c * b1 + d * d1,
            e * a1 + f * c1 + e1, e * b1 + f * d1 + f1)


def _apply(m, x, y):
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


# --------------------------------------------------------------------------------------------------------
# vectorised renderer (glyph-by-glyph compositing, done for all glyphs of a batch at once)


class _Flat:
    """The non-zero pixels of the glyph bitmaps an atlas held at one moment, as flat arrays (read-only).

    Slot k (one per (gid, xfrac)) holds pixels start[k] : start[k] + count[k] of (dy, dx, a), relative to the
    glyph origin (floor(x), floor(y)) on the page; bbox per slot for the page-edge test. The arrays never
    change once made (the atlas makes a new _Flat when it grows), so a thread may blit with them while
    another grows the atlas.
    """

    __slots__ = ("start", "count", "dy", "dx", "a", "xmin", "xmax", "ymin", "ymax", "_doff")

    def __init__(self, start, count, dy, dx, a, xmin, xmax, ymin, ymax):
        self.start, self.count, self.dy, self.dx, self.a = start, count, dy, dx, a
        self.xmin, self.xmax, self.ymin, self.ymax = xmin, xmax, ymin, ymax
        self._doff: dict[int, np.ndarray] = {}

    def doff(self, W: int) -> np.ndarray:
        """Flat offsets dy * W + dx on a page W pixels wide (numpy path), made once per width."""
        d = self._doff.get(W)
        if d is None:
            if len(self._doff) >= 4:
                self._doff = {}
            d = self._doff[W] = self.dy * W + self.dx
        return d


_EMPTY_PIXELS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint16))


class _Atlas:
    """Every glyph bitmap of a GlyphSource drawn so far, in slots; see _Flat. Grows under the source's lock.

    The pixel arrays are buffers with room to grow: new glyphs are appended past the end of every _Flat
    handed out (which are views of the filled part), and a full buffer is replaced by a larger copy, so no
    array a _Flat refers to is ever written again.
    """

    def __init__(self, num_glyphs: int):
        self._table = np.full(4 * num_glyphs, -1, dtype=np.int64)  # key gid * 4 + xfrac -> slot, -1: none
        self._start: list[int] = []
        self._count: list[int] = []
        self._bbox: list[tuple[int, int, int, int]] = []  # xmin, xmax, ymin, ymax per slot
        self._npix = 0
        self._dy = np.empty(1 << 14, dtype=np.int64)
        self._dx = np.empty(1 << 14, dtype=np.int64)
        self._a = np.empty(1 << 14, dtype=np.uint16)
        self._flat: _Flat | None = None  # the snapshot of the current content (None: grown since)

    def __len__(self):
        return len(self._count)

    def slots(self, src: GlyphSource, keys: np.ndarray) -> tuple[np.ndarray, _Flat]:
        """The slot of each key (made where missing) and a snapshot holding all of them."""
        with src.lock:
            found = self._lookup(keys)
            if (found >= 0).all():
                return found, self._snapshot()
            missing = sorted(set(keys[found < 0].tolist()))
        # one glyph per hold of the lock: threads drawing glyphs already here are not kept waiting long
        for key in missing:
            with src.lock:
                if self._table[key] < 0:
                    self._add(key, src._glyph(key >> 2, key & 3))
        with src.lock:
            return self._table[keys], self._snapshot()

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        # a dense key -> slot table (-1: not made yet); np.unique would also import numpy.ma, 8 ms a process
        if len(keys) and int(keys.max()) >= len(self._table):
            grown = np.full(int(keys.max()) + 1, -1, dtype=np.int64)
            grown[:len(self._table)] = self._table
            self._table = grown
        return self._table[keys]

    def _add(self, key: int, g) -> None:
        if g is None:
            dy, dx, a = _EMPTY_PIXELS
            big = 1 << 30
            bbox = (big, -big, big, -big)
        else:
            alpha, left, top = g
            rows, cols = np.nonzero(alpha)
            dy = (rows - top).astype(np.int64)
            dx = (cols + left).astype(np.int64)
            a = alpha[rows, cols].astype(np.uint16)
            bbox = (int(dx.min()), int(dx.max()), int(dy.min()), int(dy.max())) if len(a) else \
                (1 << 30, -(1 << 30), 1 << 30, -(1 << 30))
        k0, k1 = self._npix, self._npix + len(a)
        if k1 > len(self._a):  # new, larger buffers; the old ones stay as the snapshots made so far hold them
            size = max(k1, 2 * len(self._a))
            for name in ("_dy", "_dx", "_a"):
                old = getattr(self, name)
                new = np.empty(size, dtype=old.dtype)
                new[:k0] = old[:k0]
                setattr(self, name, new)
        self._dy[k0:k1], self._dx[k0:k1], self._a[k0:k1] = dy, dx, a
        self._npix = k1
        self._start.append(k0)
        self._count.append(len(a))
        self._bbox.append(bbox)
        self._table[key] = len(self._count) - 1
        self._flat = None

    def _snapshot(self) -> _Flat:
        flat = self._flat
        if flat is None:
            n = self._npix
            bbox = np.array(self._bbox, dtype=np.int64).reshape(-1, 4)
            flat = self._flat = _Flat(np.array(self._start, dtype=np.int64), np.array(self._count, dtype=np.int64),
                                      self._dy[:n], self._dx[:n], self._a[:n],
                                      bbox[:, 0].copy(), bbox[:, 1].copy(), bbox[:, 2].copy(), bbox[:, 3].copy())
        return flat


class _CharTable:
    """char -> (gid, width, word-space flag) for one GlyphSource, vectorised per span.

    One per GlyphSource (a source is one font, so one width function), shared by the pages and threads
    drawing with it: lookups and fills happen under the source's lock (one hold per batch of lines). Sharing
    also spares each page two fresh 64K-entry tables (1 MB of page faults).
    """

    def __init__(self, width_of):
        self.width_of = width_of
        # dense tables over the BMP, filled as characters first occur (-1: not looked up yet)
        self.gids = np.full(0x10000, -1, dtype=np.int64)
        self.widths = np.zeros(0x10000, dtype=np.float64)

    def lookup(self, src: GlyphSource, text: str):
        """(glyph ids, widths, is-space) per character of text."""
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        if cps.max() >= len(self.gids):  # beyond the BMP: no dense table, look each one up
            pairs = [(src.gid(chr(cp)), self.width_of(cp)) for cp in cps.tolist()]
            return (np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs]),
                    cps == 0x20)
        with src.lock:
            g = self.gids[cps]
            missing = g < 0
            if missing.any():
                for cp in set(cps[missing].tolist()):
                    self.gids[cp], self.widths[cp] = src._gid_locked(chr(cp)), self.width_of(cp)
                g = self.gids[cps]
            return g, self.widths[cps], cps == 0x20


# coverage of a pixel with n of its 16 anti-aliasing samples set: Splash's aaGamma table (gamma 1.5)
_AA_ALPHA = np.array([math.floor(255 * (n / 16) ** 1.5 + 0.5) for n in range(17)], dtype=np.uint16)


class _Canvas:
    """The page pixels: one grey plane while everything painted is grey, RGB planes from the first colour."""

    def __init__(self, W, H, bg):
        self.W, self.H = W, H
        bg = _hex_rgb(bg)
        self.uniform = tuple(bg)  # the one colour of every pixel, until something else is painted
        if bg[0] == bg[1] == bg[2]:
            self.px = np.full((H * W, 1), bg[0], dtype=np.uint8)
        else:
            self.px = np.empty((H * W, 3), dtype=np.uint8)
            self.px[:] = bg

    def need(self, rgb):
        if self.px.shape[1] == 1 and not (rgb[0] == rgb[1] == rgb[2]):
            self.px = np.repeat(self.px, 3, axis=1)

    def chan(self, rgb):
        return np.asarray(rgb[:self.px.shape[1]], dtype=np.uint16)

    def rect(self, x0, y0, x1, y1, rgb):
        if self.uniform == tuple(rgb):  # white page, white rectangle, nothing drawn yet: no change
            return
        self.need(rgb)
        v = self.px.reshape(self.H, self.W, -1)
        ys = slice(max(y0, 0), max(min(y1, self.H), 0))
        xs = slice(max(x0, 0), max(min(x1, self.W), 0))
        v[ys, xs] = self.chan(rgb)
        whole = (ys.start, xs.start, ys.stop, xs.stop) == (0, 0, self.H, self.W)
        self.uniform = tuple(rgb) if whole else None

    def hairline(self, x0, x1, y, rgb):
        """A zero-height filled rectangle as Splash draws it (measured on pdftoppm 22.12): stroke adjustment
        leaves it alone and the anti-aliasing scanner (4 x 4 samples a pixel) fills one sample row, sample
        columns floor(4 * x0) .. floor(4 * x1); a pixel with n samples gets coverage round(255 * (n/16)^1.5)
        (splashAAGamma 1.5), blended like glyph coverage."""
        row = math.floor(y)
        if not 0 <= row < self.H:
            return
        self.need(rgb)
        s0, s1 = math.floor(4 * x0), math.floor(4 * x1)
        first, stop = max(s0 >> 2, 0), min((s1 >> 2) + 1, self.W)
        if first >= stop:
            return
        px = np.arange(first, stop)
        n = np.minimum(s1, 4 * px + 3) - np.maximum(s0, 4 * px) + 1  # samples of the row in each pixel
        a = _AA_ALPHA[n][:, None]
        v = self.px.reshape(self.H, self.W, -1)
        v[row, first:stop] = ((255 - a) * v[row, first:stop] + a * self.chan(rgb)) // 255
        self.uniform = None

    def array(self):
        return self.px.reshape(self.H, self.W, -1)


def render_page(ops, page_w_pt: float, page_h_pt: float, dpi: float, font_path, font_index: int = 0,
                page_bg="#FFFFFF", stats: dict | None = None, native: bool | None = None):
    """The page as pdftoppm -r dpi draws it (RGB, before any cropping). See render_page_array."""
    return _to_image(render_page_array(ops, page_w_pt, page_h_pt, dpi, font_path, font_index, page_bg, stats,
                                       native))


def _to_image(v: np.ndarray):
    """An RGB PIL image of a page array (Pillow loads here: page files are written without it)."""
    from PIL import Image

    if v.shape[2] == 1:
        return Image.fromarray(v[:, :, 0], "L").convert("RGB")
    return Image.fromarray(v, "RGB")


def render_page_array(ops, page_w_pt: float, page_h_pt: float, dpi: float, font_path, font_index: int = 0,
                      page_bg="#FFFFFF", stats: dict | None = None, native: bool | None = None) -> np.ndarray:
    """The page as pdftoppm -r dpi draws it, as an (H, W, 1) grey array while all paint is grey, else (H, W, 3).

    Same arithmetic as pdftoppm, glyph by glyph: x accumulates per line in float64 in the same order
    (itertools.accumulate), device positions use the same expression order, and glyph pixels are composited
    in paint order (a pixel that several glyphs touch gets their contributions one after the other).
    `page_bg`: the config's page background colour. pdftoppm starts from white paper and the official
    pipeline paints the background as a page-size rectangle, which at most DPIs leaves the last pixel column
    and/or row white (its right / top edge snaps to round(w * dpi / 72) < ceil(...)); so the paper here is
    white and page_bg is painted as that rectangle unless the ops already begin with it (as parsed PDFs do).
    `native`: composite with the compiled blit (native.py) when True or None and it is available, with
    numpy when False; both give the same bytes.
    """
    from itertools import accumulate

    from glyph_web.render import native as compiled

    blit = compiled.blit() if native in (None, True) else None
    if native and blit is None:
        raise RuntimeError("the compiled glyph blit is not available")

    kx = dpi / 72.0
    W = math.ceil(kx * page_w_pt)
    H = math.ceil(kx * page_h_pt)
    base = (kx, 0.0, 0.0, -kx, 0.0, kx * page_h_pt)
    canvas = _Canvas(W, H, PAPER)
    ops = with_page_background(ops, page_w_pt, page_h_pt, page_bg)
    width_of = reportlab_widths(str(font_path), font_index)
    scratch = _scratch(H * W)

    # pending text lines since the last rectangle, all of one glyph source: (op, m, [(text, colour index)])
    lines = []
    colors: list = []
    cur = {"src": None}
    sources: dict[float, GlyphSource] = {}  # by device size: one lookup of the shared cache per size a page

    def flush():
        if not lines:
            return
        src = cur["src"]
        texts, span_lens, span_colors, n_per = [], [], [], []
        for line in lines:  # one table lookup for all lines: numpy calls per span cost more than the work
            n = 0
            for text, c in line[2]:
                texts.append(text)
                span_lens.append(len(text))
                span_colors.append(c)
                n += len(text)
            n_per.append(n)
        gid, w, sp = src.chars(width_of).lookup(src, "".join(texts))
        ci = np.repeat(np.array(span_colors, dtype=np.int32), span_lens)
        size_c = np.repeat([l[0].size for l in lines], n_per)
        ws_c = np.repeat([l[0].word_space for l in lines], n_per)
        dx = (w * 0.001) * size_c + 0.0
        dx = np.where(sp, dx + ws_c, dx) * 1.0
        dxl = dx.tolist()
        xs: list[float] = []
        k = 0
        for l, n in zip(lines, n_per):
            xs.extend(accumulate(dxl[k:k + n - 1], initial=l[0].x))
            k += n
        cur_x = np.array(xs)
        ms = np.array([l[1] for l in lines])  # per line CTM
        mc = np.repeat(ms, n_per, axis=0)
        cy = np.repeat([l[0].y for l in lines], n_per)
        xt = cur_x * mc[:, 0] + cy * mc[:, 2] + mc[:, 4]
        yt = cur_x * mc[:, 1] + cy * mc[:, 3] + mc[:, 5]
        ix = np.floor(xt)
        xfrac = np.floor((xt - ix) * 4).astype(np.int64)
        if not src.use_frac:
            xfrac[:] = 0
        gx = ix.astype(np.int64)
        gy = np.floor(yt).astype(np.int64)
        gs, at = src.atlas.slots(src, gid * 4 + xfrac)  # at: a snapshot no other thread changes
        lines.clear()
        canvas.uniform = None
        if blit is not None:
            ci32 = np.ascontiguousarray(ci, dtype=np.int32)
            palette = np.ascontiguousarray(np.array([canvas.chan(c) for c in colors], dtype=np.uint8))
            args = [np.ascontiguousarray(v, dtype=np.int64) for v in (gx, gy, gs)]
            blit(canvas.px.ctypes.data, canvas.W, canvas.H, canvas.px.shape[1], len(gs),
                 *(v.ctypes.data for v in args), ci32.ctypes.data, palette.ctypes.data, len(palette),
                 at.start.ctypes.data, at.count.ctypes.data, len(at.count),
                 at.dy.ctypes.data, at.dx.ctypes.data, at.a.ctypes.data, len(at.a))
            return
        cnt = at.count[gs]
        total = int(cnt.sum())
        if total == 0:
            return
        inside = ((gx + at.xmin[gs] >= 0) & (gx + at.xmax[gs] < W) & (gy + at.ymin[gs] >= 0)
                  & (gy + at.ymax[gs] < H))
        idx = np.arange(total, dtype=np.int64) + np.repeat(at.start[gs] - (np.cumsum(cnt) - cnt), cnt)
        if inside.all():
            f = np.repeat(gy * W + gx, cnt) + at.doff(W)[idx]
            a = at.a[idx]
            keep = None
        else:
            px = np.repeat(gx, cnt) + at.dx[idx]
            py = np.repeat(gy, cnt) + at.dy[idx]
            keep = (px >= 0) & (px < W) & (py >= 0) & (py < H)
            f = (py * W + px)[keep]
            a = at.a[idx][keep]
        if len(colors) == 1:
            col = canvas.chan(colors[0])[None, :]
        else:
            col = np.array([canvas.chan(c) for c in colors], dtype=np.uint16)[np.repeat(ci, cnt)]
            if keep is not None:
                col = col[keep]
        n = len(f)
        ar = np.arange(n, dtype=np.int64)
        # contributions in paint order; a pixel hit more than once gets them one after the other
        last = scratch["last"]
        last[f] = ar  # the last writer of each pixel wins (numpy assigns in order)
        dup = last[f] != ar  # every contribution but the last at a pixel touched more than once
        if not dup.any():
            _apply_contrib(canvas.px, f, a, col)
            return
        scratch["token"] += 1
        stamp = scratch["stamp"]
        stamp[f[dup]] = scratch["token"]
        multi = stamp[f] == scratch["token"]
        single = ~multi
        _apply_contrib(canvas.px, f[single], a[single], col if col.shape[0] == 1 else col[single])
        fm, am = f[multi], a[multi]
        cm = col if col.shape[0] == 1 else col[multi]
        order = np.argsort(fm, kind="stable")
        fm, am = fm[order], am[order]
        if cm.shape[0] != 1:
            cm = cm[order]
        new = np.ones(len(fm), dtype=bool)
        new[1:] = fm[1:] != fm[:-1]
        rank = np.arange(len(fm)) - np.maximum.accumulate(np.where(new, np.arange(len(fm)), 0))
        for r in range(int(rank.max()) + 1):
            sel = rank == r
            _apply_contrib(canvas.px, fm[sel], am[sel], cm if cm.shape[0] == 1 else cm[sel])

    color_idx: dict = {}
    for op in ops:
        if isinstance(op, Rect):
            flush()
            if op.h == 0 and op.w != 0:  # an empty paragraph's background: not snapped, anti-aliased
                m = _concat((1.0, 0.0, 0.0, 1.0, op.x, op.y), base)
                xa, ya = _apply(m, 0.0, 0.0)
                xb, _ = _apply(m, op.w, 0.0)
                canvas.hairline(min(xa, xb), max(xa, xb), ya, op.rgb)
                continue
            m = _concat((1.0, 0.0, 0.0, 1.0, op.x, op.y), base)
            xa, ya = _apply(m, 0.0, 0.0)
            xb, yb = _apply(m, op.w, op.h)
            x0, x1 = sorted((_round(xa), _round(xb)))
            y0, y1 = sorted((_round(ya), _round(yb)))
            if x1 == x0:
                x1 += 1
            if y1 == y0:
                y1 += 1
            canvas.rect(x0, y0, x1, y1, op.rgb)
            continue
        if not isinstance(op, TextLine):
            raise TypeError(f"unknown op {op!r}")
        m = _concat((1.0, 0.0, 0.0, 1.0, op.ox, op.oy), base)
        mat_size = math.hypot(op.size * m[2], op.size * m[3])
        src = sources.get(mat_size)
        if src is None:
            src = sources[mat_size] = glyph_source(str(font_path), font_index, mat_size)
        if cur["src"] is not None and cur["src"] is not src:
            flush()
        cur["src"] = src
        spans = []
        for span in op.spans:
            if not span.text:
                continue
            c = color_idx.get(span.rgb)
            if c is None:
                c = color_idx[span.rgb] = len(colors)
                colors.append(tuple(span.rgb))
                canvas.need(span.rgb)
            spans.append((span.text, c))
        if spans:
            lines.append((op, m, spans))
    flush()
    if stats is not None:
        stats["glyphs"] = sum(len(src.atlas) for src in sources.values())  # in the atlases this page used
    return canvas.array()


_local = threading.local()


def _scratch(size: int) -> dict:
    """Per-thread work arrays of one page size, kept between pages: fresh multi-MB arrays cost page faults
    (measured: 0.17 s -> 0.32 s for case3 when the process holds other large buffers)."""
    s = getattr(_local, "scratch", None)
    if s is None or s["size"] != size:
        s = _local.scratch = {"size": size, "last": np.empty(size, dtype=np.int64),
                              "stamp": np.zeros(size, dtype=np.int32), "token": 0}
    return s


def _apply_contrib(px: np.ndarray, f: np.ndarray, a: np.ndarray, col: np.ndarray) -> None:
    """px[f] = ((255 - a) * px[f] + a * col) // 255 per channel; f holds no duplicates.

    x // 255 is computed as (x + (x >> 8) + 1) >> 8, exact for 0 <= x <= 65025 (all values here), in uint16.
    """
    if len(f) == 0:
        return
    if px.shape[1] == 1:  # grey plane
        p = px[:, 0]
        dst = p[f].astype(np.uint16)
        x = (255 - a) * dst
        c = int(col.reshape(-1)[0]) if col.shape[0] == 1 else None
        if c is None:
            x += a * col[:, 0]
        elif c:
            x += a * np.uint16(c)
        p[f] = ((x + (x >> 8) + 1) >> 8).astype(np.uint8)
        return
    dst = px[f].astype(np.uint16)
    a2 = a[:, None]
    x = (255 - a2) * dst
    if not (col.shape[0] == 1 and not col.any()):
        x += a2 * col
    px[f] = ((x + (x >> 8) + 1) >> 8).astype(np.uint8)
