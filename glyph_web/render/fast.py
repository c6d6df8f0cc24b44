"""The fast engine: the reference engine's pixels without reportlab's slow layout or poppler.

fast_layout.py re-implements reportlab's line breaking and page splitting for Glyph's setup (one paragraph
style, LEFT alignment, the two official newline markups): Western word wrapping, breaking the remainder of a
split paragraph lazily instead of re-wrapping it at every page, and the CJK character wrapping the official
renderer switches to when the text holds an ideograph (whose remainders reportlab alters and re-wraps, as
modelled). fast_raster.py reproduces poppler's Splash raster (FreeType glyphs at quarter-pixel x offsets,
truncating blends, snapped rectangles, the anti-aliased hairline of an empty paragraph; .notdef for
characters the font lacks). Between them sit the numbers reportlab would write into the PDF: every position
goes through reportlab's fp_str and comes back through poppler's number parser, so the arithmetic is the one
pdftoppm does.

Where the model does not follow reportlab (words wider than a line in Western wrapping, other alignments,
indents, borders, characters above U+FFFF, control characters), the page is made by the reference engine
instead, and the render summary says so.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from glyph_web.contracts import PageLayout
from glyph_web.errors import PageLimitError
from glyph_web.render.config import NEWLINE_MARKUPS, RenderConfig
from glyph_web.render.fonts import ResolvedFont, load_ttfont

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Fallback(Exception):
    """The reference engine must draw this text; the message says why."""


class FastEngine:
    """fast_layout + fast_raster; `fallback` holds why the last call used the reference engine, if it did."""

    name = "fast"

    def __init__(self) -> None:
        self.fallback: str | None = None
        self.layouts: list[PageLayout] | None = None

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont,
                  max_pages: int | None = None) -> list[Image.Image]:
        from glyph_web.render.fast_raster import _to_image

        pages = self.plan(text, config, font, max_pages)
        self.layouts = pages  # what is drawn where: page texts for the compression panel and the evidence
        if pages is None:
            from glyph_web.render.reference import ReferenceEngine

            return ReferenceEngine().rasterize(text, config, font, max_pages)
        return [_to_image(self.draw(page, config, font)) for page in pages]

    def plan(self, text: str, config: RenderConfig, font: ResolvedFont,
             max_pages: int | None = None) -> list[PageLayout] | None:
        """The page layouts of text, or None when the reference engine must draw it (`fallback` says why).

        Layouts are small (the text of each line and where it goes); `draw` turns one into pixels, so pages
        can be drawn one at a time, in any order, in another process.
        """
        try:
            pages = list(self.iter_plan(text, config, font))
        except Fallback:
            return None
        if max_pages is not None and len(pages) > max_pages:
            raise PageLimitError(len(pages), max_pages)
        return pages

    def iter_plan(self, text: str, config: RenderConfig, font: ResolvedFont):
        """plan() one page at a time as the layout completes it; raises Fallback (after setting `fallback`)
        where the reference engine must draw the text, which can happen after some pages came out."""
        from glyph_web.render import fast_layout  # here: the drawing processes never load it

        ttfont = load_ttfont(font)
        self.fallback = _unsupported(text, config, ttfont)
        if self.fallback is None:
            try:
                yield from fast_layout.iter_layout(text, config, ttfont)
                return
            except fast_layout.NeedFallback as exc:
                self.fallback = str(exc)
        logger.info("fast engine falls back to the reference engine: %s", self.fallback)
        raise Fallback(self.fallback)

    @staticmethod
    def draw(page: PageLayout, config: RenderConfig, font: ResolvedFont, native: bool | None = None):
        """One planned page as an (H, W, 1) grey or (H, W, 3) RGB uint8 array, before cropping."""
        from glyph_web.render import fast_raster

        width, height = config.page_size
        return fast_raster.render_page_array(_ops(page, config), width, height, config.dpi, str(font.path),
                                             font.index, page_bg=config.page_bg_color, native=native)


def layout_text(layout: PageLayout) -> str:
    """The text a page layout draws, a line per line (nbsp as drawn: a space)."""
    return layout.text()


def _unsupported(text: str, config: RenderConfig, ttfont) -> str | None:
    """Why the fast path cannot be exact for this text and config, or None."""
    if config.alignment != "LEFT":
        return f"alignment {config.alignment}"
    if (config.first_line_indent or config.left_indent or config.right_indent or config.space_before
            or config.space_after or config.border_width or config.border_padding):
        return "indents, paragraph spacing or borders"
    if config.newline_markup not in NEWLINE_MARKUPS.values():
        return "a newline markup other than the official two"
    from glyph_web.render.markup import clean_text

    cleaned = clean_text(text)
    if _CONTROL.search(cleaned.replace("\n", "").replace("\t", "")):
        return "control characters in the text"
    if _ASTRAL.search(cleaned):
        return "characters above U+FFFF"
    return None


def _ops(page: dict, config: RenderConfig) -> list:
    """The page's drawing operations with the numbers reportlab writes and poppler reads back."""
    from reportlab.lib.rl_accel import fp_str

    from glyph_web.render.fast_raster import Rect, Span, TextLine, poppler_number

    def num(value: float) -> float:
        return poppler_number(fp_str(value))

    colors: dict = {}  # a page has a colour or two, used on every line

    def rgb(color: tuple[float, float, float]) -> tuple[int, int, int]:
        # written as `r g b rg` with fp_str; poppler turns each component into a byte
        byte = colors.get(color)
        if byte is None:
            byte = colors[color] = tuple(max(0, min(255, round(num(c) * 255))) for c in color)
        return byte

    size = num(config.font_size)
    leading = num(config.leading)
    ops: list = []
    for piece in page.pieces:
        ox, oy = (num(v) for v in piece.origin)
        width, height = (num(v) for v in piece.size)
        ops.append(Rect(ox, oy, width, height, rgb(piece.bg)))
        y = num(piece.size[1] - config.font_size)  # Tm: the first baseline above the piece's bottom
        for index, tw, runs in piece.lines:
            if index:
                y = y - leading  # T*: one leading down, subtracted line by line as poppler does
            if runs:
                spans = tuple(Span(text, rgb(color)) for color, text in runs)
                ops.append(TextLine(ox, oy, 0.0, y, size, num(tw) if tw else 0.0, spans))
    return ops
