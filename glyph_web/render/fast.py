"""The fast engine: the reference engine's pixels without reportlab's slow layout or poppler.

fast_layout.py re-implements reportlab's line breaking and page splitting for Glyph's setup (one paragraph
style, LEFT alignment, the two official newline markups), breaking the remainder of a split paragraph lazily
instead of re-wrapping it at every page; fast_raster.py reproduces poppler's Splash raster (FreeType glyphs
at quarter-pixel x offsets, truncating blends, snapped rectangles). Between them sit the numbers reportlab
would write into the PDF: every position goes through reportlab's fp_str and comes back through poppler's
number parser, so the arithmetic is the one pdftoppm does.

Where the model does not follow reportlab (CJK wrapping, words wider than a line, other alignments, indents,
borders, characters the font lacks, characters above U+FFFF, control characters), the page is made by the
reference engine instead, and the render summary says so.
"""

from __future__ import annotations

import logging
import re

from PIL import Image

from glyph_web.errors import PageLimitError
from glyph_web.render import fast_layout
from glyph_web.render.config import NEWLINE_MARKUPS, RenderConfig, has_cjk
from glyph_web.render.fonts import ResolvedFont, load_ttfont
from glyph_web.render.markup import clean_text
from glyph_web.render.reference import ReferenceEngine

logger = logging.getLogger(__name__)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class FastEngine:
    """fast_layout + fast_raster; `fallback` holds why the last call used the reference engine, if it did."""

    name = "fast"

    def __init__(self) -> None:
        self.fallback: str | None = None

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont,
                  max_pages: int | None = None) -> list[Image.Image]:
        from glyph_web.render import fast_raster

        ttfont = load_ttfont(font)
        reason = _unsupported(text, config, ttfont)
        pages = None if reason else fast_layout.layout_pages(text, config, ttfont)
        if pages is None:
            self.fallback = reason or "a word wider than a line, or a page split the fast layout does not model"
            logger.info("fast engine falls back to the reference engine: %s", self.fallback)
            return ReferenceEngine().rasterize(text, config, font, max_pages)
        self.fallback = None
        if max_pages is not None and len(pages) > max_pages:
            raise PageLimitError(len(pages), max_pages)
        width, height = config.page_size
        return [fast_raster.render_page(_ops(page, config), width, height, config.dpi, str(font.path), font.index,
                                        page_bg=config.page_bg_color)
                for page in pages]


def _unsupported(text: str, config: RenderConfig, ttfont) -> str | None:
    """Why the fast path cannot be exact for this text and config, or None."""
    if has_cjk(text):
        return "CJK text (reportlab's CJK line breaking is not modelled yet)"
    if config.alignment != "LEFT":
        return f"alignment {config.alignment}"
    if (config.first_line_indent or config.left_indent or config.right_indent or config.space_before
            or config.space_after or config.border_width or config.border_padding):
        return "indents, paragraph spacing or borders"
    if config.newline_markup not in NEWLINE_MARKUPS.values():
        return "a newline markup other than the official two"
    cleaned = clean_text(text)
    if _CONTROL.search(cleaned.replace("\n", "").replace("\t", "")):
        return "control characters in the text"
    if _ASTRAL.search(cleaned):
        return "characters above U+FFFF"
    cmap = ttfont.face.charToGlyph
    if any(ord(ch) not in cmap for ch in set(cleaned) if ch not in "\n\t \xa0"):
        return "characters the font lacks"
    return None


def _ops(page: dict, config: RenderConfig) -> list:
    """The page's drawing operations with the numbers reportlab writes and poppler reads back."""
    from reportlab.lib.rl_accel import fp_str

    from glyph_web.render.fast_raster import Rect, Span, TextLine, poppler_number

    def num(value: float) -> float:
        return poppler_number(fp_str(value))

    def rgb(color: tuple[float, float, float]) -> tuple[int, int, int]:
        # written as `r g b rg` with fp_str; poppler turns each component into a byte
        return tuple(max(0, min(255, round(num(c) * 255))) for c in color)

    size = num(config.font_size)
    leading = num(config.leading)
    ops: list = []
    for piece in page["pieces"]:
        ox, oy = (num(v) for v in piece["origin"])
        width, height = (num(v) for v in piece["size"])
        ops.append(Rect(ox, oy, width, height, rgb(piece["bg"])))
        y = num(piece["size"][1] - config.font_size)  # Tm: the first baseline above the piece's bottom
        for index, tw, runs in piece["lines"]:
            if index:
                y = y - leading  # T*: one leading down, subtracted line by line as poppler does
            if runs:
                spans = tuple(Span(text, rgb(color)) for color, text in runs)
                ops.append(TextLine(ox, oy, 0.0, y, size, num(tw) if tw else 0.0, spans))
    return ops
