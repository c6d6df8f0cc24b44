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
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from glyph_web.errors import RenderError
from glyph_web.render.config import RenderConfig, has_cjk
from glyph_web.render.fonts import ResolvedFont, load_ttfont
from glyph_web.render.markup import paragraph_markups

logger = logging.getLogger(__name__)

PDFTOPPM = "pdftoppm"
PAGES_PER_WORKER = 4  # below this, a second pdftoppm process costs more than it saves
_INSTALL_HINT = ("install poppler (Debian/Ubuntu: `sudo apt-get install poppler-utils`; macOS: "
                 "`brew install poppler`), or run `bash scripts/test.sh` once, which installs it")
_ALIGN = {"LEFT": 0, "CENTER": 1, "RIGHT": 2, "JUSTIFY": 4}  # reportlab.lib.enums TA_*


class ReferenceEngine:
    """reportlab + poppler, exactly the official pipeline."""

    name = "reference"

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont) -> list[Image.Image]:
        """Raw RGB pages at the config's DPI, before scaling and cropping."""
        pdf, pages = build_pdf(text, config, font)
        return rasterize_pdf(pdf, pages, config.dpi)


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
        raise RenderError(f"The newline markup {config.newline_markup!r} is not valid reportlab markup "
                          f"({_first_line(exc)}).") from None
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
        raise RenderError(f"The text does not fit the page layout ({_first_line(exc)}); use a smaller "
                          f"font-size, line-height or margins.") from None
    return buf.getvalue(), doc.page


def rasterize_pdf(pdf: bytes, pages: int, dpi: float) -> list[Image.Image]:
    """Every page of the PDF as an RGB image, rendered by pdftoppm."""
    exe = shutil.which(PDFTOPPM)
    if exe is None:
        raise RenderError(f"poppler's {PDFTOPPM} is not installed, and rendering needs it: {_INSTALL_HINT}.")
    workers = max(1, min(os.cpu_count() or 1, pages // PAGES_PER_WORKER))
    bounds = [(pages * k // workers + 1, pages * (k + 1) // workers) for k in range(workers)]
    with tempfile.TemporaryDirectory(prefix="glyph-render-") as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        procs = [
            subprocess.Popen([exe, "-r", _num(dpi), "-f", str(first), "-l", str(last), str(src),
                              str(Path(tmp) / f"part{k}")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for k, (first, last) in enumerate(bounds)
        ]
        errors = [proc.communicate()[1] for proc in procs]
        failed = [(proc.returncode, err) for proc, err in zip(procs, errors) if proc.returncode != 0]
        if failed:
            code, err = failed[0]
            detail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {code}"]
            raise RenderError(f"{PDFTOPPM} could not rasterise the pages ({detail[0]}).")
        files = sorted(Path(tmp).glob("part*.ppm"), key=_page_number)
        images = []
        for path in files:
            with Image.open(path) as img:
                images.append(img.convert("RGB"))
    if len(images) != pages:
        raise RenderError(f"{PDFTOPPM} produced {len(images)} pages instead of {pages}.")
    return images


def _page_number(path: Path) -> int:
    # pdftoppm names pages part<k>-<n>.ppm, zero-padded to the document's page count
    return int(re.search(r"-(\d+)\.ppm$", path.name).group(1))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
