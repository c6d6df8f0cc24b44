"""The reference engine: Glyph's official method, with the same tools (reportlab layout, poppler raster).

Layout as in thu-coai/Glyph `scripts/word2png_function.py`: one ParagraphStyle derived from reportlab's
"Normal" sample style, `wordWrap="CJK"` when the text holds CJK ideographs, a SimpleDocTemplate with the
config's page size and margins (its frame adds reportlab's default 6 pt padding), and every page first painted
with the page background. The PDF is rasterised by poppler's `pdftoppm` at the config's DPI, as `pdf2image`
does there. Pages are independent in the PDF, so page ranges are rasterised by parallel pdftoppm processes;
the pixels do not change.
"""

from __future__ import annotations

import io
import logging

from PIL import Image

from glyph_web import poppler
from glyph_web.errors import PageLimitError, RenderError
from glyph_web.render.config import RenderConfig, has_cjk
from glyph_web.render.fonts import ResolvedFont, load_ttfont
from glyph_web.render.markup import paragraph_markups

logger = logging.getLogger(__name__)

PAGES_PER_WORKER = 4  # below this, a second pdftoppm process costs more than it saves
_ALIGN = {"LEFT": 0, "CENTER": 1, "RIGHT": 2, "JUSTIFY": 4}  # reportlab.lib.enums TA_*


class ReferenceEngine:
    """reportlab + poppler, exactly the official pipeline."""

    name = "reference"

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont,
                  max_pages: int | None = None) -> list[Image.Image]:
        """Raw RGB pages at the config's DPI, before scaling and cropping; PageLimitError past max_pages."""
        pdf, pages = build_pdf(text, config, font)
        if max_pages is not None and pages > max_pages:
            raise PageLimitError(pages, max_pages)
        return poppler.rasterize(pdf, config.dpi, poppler.split_range(pages, PAGES_PER_WORKER), RenderError)


def build_pdf(text: str, config: RenderConfig, font: ResolvedFont) -> tuple[bytes, int]:
    """The PDF the official renderer writes for this text, and its page count."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    from reportlab.platypus.doctemplate import LayoutError

    ttfont = load_ttfont(font)
    width, height = config.page_size
    style = ParagraphStyle(
        name="Custom",
        parent=getSampleStyleSheet()["Normal"],
        fontName=ttfont.fontName,
        fontSize=config.font_size,
        leading=config.leading,
        textColor=colors.HexColor(config.font_color),
        backColor=colors.HexColor(config.para_bg_color),
        borderColor=colors.HexColor(config.para_border_color),
        borderWidth=config.border_width,
        borderPadding=config.border_padding,
        firstLineIndent=config.first_line_indent,
        wordWrap="CJK" if has_cjk(text) else None,
        leftIndent=config.left_indent,
        rightIndent=config.right_indent,
        alignment=_ALIGN[config.alignment],
        spaceBefore=config.space_before,
        spaceAfter=config.space_after,
    )
    try:
        story = [Paragraph(markup, style) for markup in paragraph_markups(text, config.newline_markup)]
    except ValueError as exc:  # reportlab's markup parser: only a broken newline-markup can cause this
        raise RenderError("render.bad_newline_markup", markup=config.newline_markup,
                          error=_first_line(exc)) from None
    background = colors.HexColor(config.page_bg_color)

    def paint_background(canvas, _doc):
        canvas.saveState()
        canvas.setFillColor(background)
        canvas.rect(0, 0, width, height, stroke=0, fill=1)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(width, height), leftMargin=config.margin_x,
                            rightMargin=config.margin_x, topMargin=config.margin_y,
                            bottomMargin=config.margin_y)
    try:
        doc.build(story, onFirstPage=paint_background, onLaterPages=paint_background)
    except LayoutError as exc:
        raise RenderError("render.layout_error", error=_first_line(exc)) from None
    return buf.getvalue(), doc.page


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
