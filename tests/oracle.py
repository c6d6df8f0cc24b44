"""An independent transcription of Glyph's official render method, used as the oracle in tests.

Written from the step-by-step description in the reference kit (../shared/glyph-reference/README.md) in the
plainest possible form: no engine interface, no font resolution, no parallel raster. The project's renderer
must give these pixels.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

ALIGN = {"LEFT": 0, "CENTER": 1, "RIGHT": 2, "JUSTIFY": 4}
_count = 0


def official_pages(text: str, cfg: dict, font_path: str, font_index: int = 0) -> list[Image.Image]:
    """Pages for `text` with an official-style config dict (dashed keys) and an explicit font file."""
    global _count
    _count += 1
    name = f"oracle{_count}"
    pdfmetrics.registerFont(TTFont(name, font_path, subfontIndex=font_index))
    size = cfg.get("page-size", "595.2755905511812,841.8897637795277")
    size = tuple(float(v) for v in size.split(","))
    font_size = cfg.get("font-size", 9)
    margin_x, margin_y = cfg.get("margin-x", 20), cfg.get("margin-y", 20)
    style = ParagraphStyle(
        name="Custom", parent=getSampleStyleSheet()["Normal"], fontName=name, fontSize=font_size,
        leading=cfg.get("line-height") or font_size + 1,
        textColor=colors.HexColor(cfg.get("font-color", "#000000")),
        backColor=colors.HexColor(cfg.get("para-bg-color", "#FFFFFF")),
        borderColor=colors.HexColor(cfg.get("para-border-color", "#FFFFFF")),
        borderWidth=cfg.get("border-width", 0), borderPadding=cfg.get("border-padding", 0),
        firstLineIndent=cfg.get("first-line-indent", 0), leftIndent=cfg.get("left-indent", 0),
        rightIndent=cfg.get("right-indent", 0), alignment=ALIGN[cfg.get("alignment", "JUSTIFY")],
        spaceBefore=cfg.get("space-before", 0), spaceAfter=cfg.get("space-after", 0),
        wordWrap="CJK" if re.search("[\u4e00-\u9fff]", text) else None,
    )
    text = text.replace("\xad", "").replace("\u200b", "")
    text = re.sub(" {2,}", lambda m: "&nbsp;" * len(m.group()), escape(text))
    lines = text.split("\n")
    markup = cfg.get("newline-markup", "<br/>")
    story = [Paragraph(markup.join(lines[i:i + 30]), style) for i in range(0, len(lines), 30)]
    bg = colors.HexColor(cfg.get("page-bg-color", "#FFFFFF"))

    def paint(canvas, _doc):
        canvas.saveState()
        canvas.setFillColor(bg)
        canvas.rect(0, 0, size[0], size[1], stroke=0, fill=1)
        canvas.restoreState()

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=size, leftMargin=margin_x, rightMargin=margin_x, topMargin=margin_y,
                      bottomMargin=margin_y).build(story, onFirstPage=paint, onLaterPages=paint)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "x.pdf"
        pdf.write_bytes(buf.getvalue())
        subprocess.run(["pdftoppm", "-r", str(cfg.get("dpi", 72)), str(pdf), f"{tmp}/p"], check=True)
        files = sorted(Path(tmp).glob("p-*.ppm"), key=lambda p: int(p.stem.split("-")[1]))
        raw = [Image.open(f).convert("RGB") for f in files]
    pages = []
    for number, img in enumerate(raw, 1):
        scale = cfg.get("horizontal-scale", 1.0)
        if scale != 1.0:
            img = img.resize((int(img.width * scale), img.height))
        last = number == len(raw)
        crop_w, crop_last = cfg.get("auto-crop-width", False), cfg.get("auto-crop-last-page", False)
        if crop_w or (crop_last and last):
            grey = np.array(img.convert("L"))
            mask = np.abs(grey - np.median(grey[:2, :2])) > 5
            if crop_w:
                cols = np.where(mask.any(axis=0))[0]
                if cols.size:
                    img = img.crop((0, 0, min(img.width, cols[-1] + 1 + margin_x), img.height))
            if crop_last and last:
                rows = np.where(mask.any(axis=1))[0]
                if rows.size:
                    img = img.crop((0, 0, img.width, min(img.height, rows[-1] + margin_y)))
        pages.append(img)
    return pages
