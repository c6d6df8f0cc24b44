"""Figures inside documents: PDF images and vector drawings, and Word pictures, passed on as image pages right
after the text they belong to; small, repeated and huge ones left out (by their declared size, before decoding),
the page budget checked first, the work on drawings bounded, and --no-figures giving the text alone as before.

Every document is made here: PDFs with reportlab (charts drawn with PIL, or with reportlab's own vector charts),
Word files with python-docx. Work is asserted by counting it (decodes, tokens read), never by timing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image, ImageDraw
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

import docgen
from conftest import ROOT
from glyph_web.documents import figures, load_bytes
from glyph_web.documents.model import ImagePart, Limits, TextPart
from glyph_web.settings import Settings

PAGE = (595, 842)
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def chart_picture(size=(600, 400)) -> Image.Image:
    """A bar chart whose only statement of its peak is the picture itself."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for i, height in enumerate((120, 200, 260, 380)):
        draw.rectangle((60 + i * 130, 390 - height, 150 + i * 130, 390), fill=(40, 90, 200))
    draw.text((380, 10), "peak: Q4 = 380", fill="black")
    return img


def make_pdf(pages: list[dict]) -> bytes:
    """One page per dict: "text" (lines), "images" [(PIL image, x, y, w, h)], "draw" (a function of the canvas)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE)
    for page in pages:
        y = 800
        for line in page.get("text", "").splitlines():
            c.setFont("Helvetica", 11)
            c.drawString(50, y, line)
            y -= 15
        for img, x, y, w, h in page.get("images", ()):
            c.drawImage(ImageReader(img), x, y, width=w, height=h)
        if "draw" in page:
            page["draw"](c)
        c.showPage()
    c.save()
    return buf.getvalue()


def kinds(doc) -> list[str]:
    return ["image" if isinstance(p, ImagePart) else "text" for p in doc.parts]


@pytest.fixture
def decodes(monkeypatch):
    """Calls of the PDF image decoder, counted."""
    calls = []
    real = figures.decode_pdf_image

    def counted(xobject, limits):
        calls.append(xobject)
        return real(xobject, limits)

    monkeypatch.setattr(figures, "decode_pdf_image", counted)
    return calls


def bar_chart(c) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing

    drawing = Drawing(400, 250)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 50, 300, 150
    chart.data = [(100, 200, 260, 380), (90, 150, 230, 300)]
    chart.categoryAxis.categoryNames = ["Q1", "Q2", "Q3", "Q4"]
    drawing.add(chart)
    renderPDF.draw(drawing, c, 50, 450)


def ruled_table(c) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table([[f"r{r}c{k} value" for k in range(5)] for r in range(20)])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    table.wrapOn(c, 500, 700)
    table.drawOn(c, 50, 300)


# --- PDF: pictures ----------------------------------------------------------------------------------------------


def test_a_chart_picture_follows_its_page_text_within_the_pixel_budget(decodes):
    data = make_pdf([{"text": "Quarterly report\nSales by quarter are in the chart below.",
                      "images": [(chart_picture(), 50, 350, 450, 300)]},
                     {"text": "Page two: outlook."}])
    doc = load_bytes(data, "report.pdf", Limits(image_max_pixels=60_000))
    assert kinds(doc) == ["text", "image", "text"]
    assert doc.parts[0].text.startswith("Quarterly report") and doc.parts[2].text == "Page two: outlook."
    figure = doc.parts[1]
    assert figure.label == "report.pdf, page 1: figure"
    assert figure.image.mode == "RGB" and figure.image.width * figure.image.height <= 60_000
    assert abs(figure.image.width / figure.image.height - 1.5) < 0.02  # the picture's own shape, scaled
    assert figure.image.convert("L").getextrema()[0] < 100  # the bars survived
    assert "380" not in doc.text  # the peak is stated in the picture only
    assert doc.warnings == ["report.pdf: the figure on page 1 is passed on as a picture, after the page's text."]
    assert len(decodes) == 1


def test_figures_off_gives_the_text_alone_as_before(decodes):
    data = make_pdf([{"text": "Quarterly report", "images": [(chart_picture(), 50, 350, 450, 300)]},
                     {"text": "Page two"}])
    doc = load_bytes(data, "report.pdf", Limits(figures=False))
    assert kinds(doc) == ["text"] and doc.text == "Quarterly report\nPage two" and doc.warnings == []
    assert decodes == []


def test_scanned_pages_keep_their_path_and_are_not_figures():
    data = make_pdf([{"text": "Intro"}, {"images": [(docgen.scan_picture(), 40, 300, 500, 500)]}])
    doc = load_bytes(data, "mixed.pdf")
    assert kinds(doc) == ["text", "image"] and doc.parts[1].label == "mixed.pdf, page 2"
    assert doc.warnings == ["mixed.pdf: page 2 has no text layer (scanned?), so it is passed on as images, which "
                            "the model reads less reliably than text."]


def test_the_scan_under_an_ocr_text_layer_is_not_a_figure(decodes):
    def ocr_text(c):
        text = c.beginText(60, 700)
        text.setTextRenderMode(3)  # invisible, as OCR tools write it
        text.textLine("Recognised words of the scanned page")
        c.drawText(text)

    data = make_pdf([{"images": [(docgen.scan_picture(), 0, 0, *PAGE)], "draw": ocr_text}])
    doc = load_bytes(data, "ocr.pdf")
    assert kinds(doc) == ["text"] and doc.text == "Recognised words of the scanned page"
    assert doc.warnings == [] and decodes == []


def test_a_logo_repeated_on_every_page_is_passed_once():
    logo = Image.new("RGB", (200, 80), (200, 30, 30))
    ImageDraw.Draw(logo).ellipse((10, 10, 70, 70), fill="white")
    one = make_pdf([{"text": f"Page {n}", "images": [(logo, 450, 780, 100, 40)]} for n in range(1, 4)])
    # the same picture as separate objects too (two files joined): known by the digest of its bytes
    two = make_pdf([{"text": f"Page {n}", "images": [(logo, 450, 780, 100, 40)]} for n in range(4, 6)])
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (one, two):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    doc = load_bytes(out.getvalue(), "letterhead.pdf")
    assert kinds(doc) == ["text", "image", "text"] and doc.parts[1].label == "letterhead.pdf, page 1: figure"
    assert doc.warnings == [
        "letterhead.pdf: the figure on page 1 is passed on as a picture, after the page's text.",
        "letterhead.pdf: repeats of a picture or drawing already passed on (a logo on every page?), left out: 4."]


def test_icons_rules_and_pictures_drawn_tiny_are_left_out_undecoded(decodes):
    icons = [(Image.new("RGB", (16, 16), (n * 40, 0, 0)), 50 + n * 30, 700, 16, 16) for n in range(5)]
    rule = (Image.new("RGB", (400, 4), "black"), 50, 650, 400, 2)
    strip = (Image.new("RGB", (120, 60), "blue"), 50, 600, 120, 60)  # 7,200 pixels: under 96x96 in all
    tiny = (chart_picture(), 50, 550, 15, 10)  # a large picture drawn as an icon
    doc = load_bytes(make_pdf([{"text": "Toolbar", "images": [*icons, rule, strip, tiny]}]), "ui.pdf")
    assert kinds(doc) == ["text"] and decodes == []
    assert doc.warnings == ["ui.pdf: small pictures left out (icons, bullets, rules: under 64 pixels on a side, "
                            "or drawn tiny): 8."]


def test_thousands_of_tiny_pictures_cost_no_decoding(decodes):
    pictures = [(Image.new("RGB", (8, 8), (n % 256, n // 256, 7)), 20 + (n % 50) * 11, 20 + (n // 50) * 11, 8, 8)
                for n in range(2000)]
    doc = load_bytes(make_pdf([{"text": "A page of dots", "images": pictures}]), "dots.pdf")
    assert kinds(doc) == ["text"] and decodes == []
    assert doc.warnings == ["dots.pdf: small pictures left out (icons, bullets, rules: under 64 pixels on a side, "
                            "or drawn tiny): 2000."]


def test_a_huge_declared_picture_is_left_out_by_its_declared_size(decodes):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject

    data = make_pdf([{"text": "A poster", "images": [(chart_picture(), 50, 350, 450, 300)]}])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for xobject in writer.pages[0]["/Resources"]["/XObject"].values():
        xobject = xobject.get_object()
        xobject[NameObject("/Width")] = NumberObject(30000)  # its bytes stay those of a 600x400 picture
        xobject[NameObject("/Height")] = NumberObject(30000)
    out = io.BytesIO()
    writer.write(out)
    doc = load_bytes(out.getvalue(), "poster.pdf")
    assert kinds(doc) == ["text"] and decodes == []
    assert doc.warnings == ["poster.pdf: pictures over 90 million pixels, left out without being decoded "
                            "(damaged, or a decompression bomb?): 1."]


def test_figures_past_the_page_limit_are_left_out_before_decoding(decodes):
    pages = [{"text": f"Section {n}", "images": [(chart_picture((600, 400 + n)), 50, 350, 450, 300)]}
             for n in range(3)]
    doc = load_bytes(make_pdf(pages), "three.pdf", Limits(max_pages=3))
    # the first figure, then its page's text part and the rest of the text: three pages; the others would not fit
    assert kinds(doc) == ["text", "image", "text"] and len(decodes) == 1
    assert doc.warnings[-1] == ("three.pdf: figures left out to stay within the limit of 3 pages (text and "
                                "pictures together): 2; choose fewer pages to see them.")


def test_budget_counts_text_pages_scans_and_a_set_of_files():
    f = [figures.Figure(page=n) for n in range(4)]
    tally = figures.Tally()
    assert figures.fit([10, f[0], 10, f[1], 10], Limits(max_pages=10), tally) == f[:2] and tally.over_pages == 0
    tally = figures.Tally()
    # 7,000 characters make three text pages, four once the first figure splits them, and the scan may split
    # them again: the first figure does not fit in five pages; after the scan, the second does
    assert figures.fit([3000, f[0], 4000, None, f[1]], Limits(max_pages=5), tally) == [f[1]]
    assert tally.over_pages == 1
    tally = figures.Tally()
    assert figures.fit([10, f[0], f[1], f[2]], Limits(max_pages=100), tally, room=2) == f[:2]
    big = [figures.Figure(page=n, pixels=150_000_000) for n in range(3)]
    tally = figures.Tally()
    assert figures.fit([10, *big], Limits(), tally) == big[:2] and tally.over_pixels == 1


# --- PDF: vector drawings ---------------------------------------------------------------------------------------


def test_a_vector_chart_is_rasterised_cropped_after_its_page_text_and_a_ruled_table_is_not():
    data = make_pdf([{"text": "Revenue by quarter, in the chart:", "draw": bar_chart},
                     {"text": "The figures as a table:", "draw": ruled_table}])
    doc = load_bytes(data, "vector.pdf")
    assert kinds(doc) == ["text", "image", "text"]
    assert doc.parts[1].label == "vector.pdf, page 1: figure"
    chart = doc.parts[1].image
    assert chart.width > chart.height  # the chart's region, not the (tall) page
    assert chart.width * chart.height < 0.5 * (PAGE[0] * PAGE[1] * (150 / 72) ** 2)
    assert doc.parts[2].text.startswith("The figures as a table:\nr0c0 value | r0c1 value | r0c2 value")  # rows
    assert doc.warnings == ["vector.pdf: the figure on page 1 is passed on as a picture, after the page's text.",
                            'vector.pdf: tables are read one row per line, cells separated by " | " (tables: 1).']


class _FakePage:
    def __init__(self, content: bytes):
        self.content = content

    def get_contents(self):
        content = self.content

        class _Stream:
            def get_data(self):
                return content

        return _Stream()

    def get(self, key, default=None):
        return default


def test_reading_a_drawing_of_100000_paths_is_bounded():
    scan = figures.scan_page(_FakePage(b"q 1 0 0 1 0 0 cm\n" + b"10 10 m 13 12 l S\n" * 100_000 + b"Q"))
    assert scan.cut and len(scan.paths) == figures.PAGE_PATHS  # stopped at a bound, not at the end
    assert scan.tokens <= figures.PAGE_TOKENS + 1
    scan = figures.scan_page(_FakePage(b"0 0 m\n" + b"3 2 l\n" * 1_000_000 + b"S"))  # one path, a million lines
    assert scan.cut and scan.tokens == figures.PAGE_TOKENS + 1


def test_bounds_cut_in_the_middle_keep_the_document(monkeypatch):
    import random

    random.seed(7)

    def many_paths(c):
        for _ in range(3000):
            x, y = random.uniform(60, 500), random.uniform(100, 600)
            c.line(x, y, x + 4, y + 3)

    monkeypatch.setattr(figures, "PAGE_TOKENS", 5_000)
    data = make_pdf([{"text": "A dense drawing", "draw": many_paths}, {"text": "After it"}])
    page = __import__("pypdf").PdfReader(io.BytesIO(data)).pages[0]
    scan = figures.scan_page(page)
    assert scan.cut and scan.tokens == 5_001
    doc = load_bytes(data, "dense.pdf")
    assert kinds(doc) == ["text", "image", "text"]
    whole = doc.parts[1].image  # cut short: the whole page is passed
    assert abs(whole.width / whole.height - PAGE[0] / PAGE[1]) < 0.01

    monkeypatch.setattr(figures, "DOCUMENT_TOKENS", 5_000)  # the first page takes the document's share
    doc = load_bytes(data, "dense.pdf")
    assert kinds(doc) == ["text", "image", "text"]
    assert doc.warnings[-1] == ("dense.pdf: figures were not looked for from page 2 on: the pages before it took "
                                "all the drawing this document may cost.")


# --- Word -------------------------------------------------------------------------------------------------------


def _png(img: Image.Image) -> io.BytesIO:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return buf


def test_a_word_picture_sits_between_its_paragraphs():
    d = docx.Document()
    d.add_paragraph("Before the chart.")
    d.add_picture(_png(chart_picture()))
    d.add_paragraph("After the chart.")
    doc = load_bytes(docgen.to_bytes(d), "memo.docx", Limits(image_max_pixels=100_000))
    assert kinds(doc) == ["text", "image", "text"]
    assert [p.text for p in doc.parts if isinstance(p, TextPart)] == ["Before the chart.", "After the chart."]
    picture = doc.parts[1]
    assert picture.label == "memo.docx: picture 1" and picture.image.width * picture.image.height <= 100_000
    assert doc.warnings == ["memo.docx: 1 picture is passed on as an image, at its place in the text."]


def test_word_pictures_off_are_dropped_with_the_old_note():
    d = docx.Document()
    d.add_paragraph("Before the chart.")
    d.add_picture(_png(chart_picture()))
    d.add_paragraph("After the chart.")
    doc = load_bytes(docgen.to_bytes(d), "memo.docx", Limits(figures=False))
    assert kinds(doc) == ["text"] and doc.text == "Before the chart.\n\nAfter the chart."
    assert doc.warnings == ["memo.docx: pictures inside Word files are not read; only their text is used."]


def test_word_pictures_in_tables_repeats_icons_and_bombs():
    d = docx.Document()
    d.add_paragraph("Intro")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Chart"
    table.cell(0, 1).paragraphs[0].add_run().add_picture(_png(chart_picture()))
    d.add_paragraph("Again:")
    d.add_picture(_png(chart_picture()))  # the same picture: passed once
    d.add_picture(_png(Image.new("RGB", (16, 16), "red")))  # an icon
    d.add_picture(io.BytesIO(docgen.png_header_only(30000, 30000)))  # 900 million pixels declared
    d.add_paragraph("End")
    doc = load_bytes(docgen.to_bytes(d), "mixed.docx")
    assert kinds(doc) == ["text", "image", "text"]
    # (the empty paragraphs that held the pictures left out are empty lines, as without figures)
    assert doc.parts[0].text == "Intro\n\nChart |" and doc.parts[2].text == "Again:\n\n\nEnd"
    assert doc.warnings == [
        "mixed.docx: 1 picture is passed on as an image, at its place in the text.",
        "mixed.docx: small pictures left out (icons, bullets, rules: under 64 pixels on a side, or drawn tiny): 1.",
        "mixed.docx: repeats of a picture or drawing already passed on (a logo on every page?), left out: 1.",
        "mixed.docx: pictures over 90 million pixels, left out without being decoded (damaged, or a decompression "
        "bomb?): 1."]


def test_a_word_chart_comes_as_its_fallback_picture():
    d = docx.Document()
    d.add_paragraph("Sales:")
    d.add_picture(_png(chart_picture()))
    picture = d.paragraphs[-1]._p
    rel_id = picture.xpath(".//a:blip/@r:embed")[0]
    chart = parse_xml(
        f'<w:p {nsdecls("w", "r")} xmlns:mc="{MC}" xmlns:v="urn:schemas-microsoft-com:vml"><w:r><mc:AlternateContent>'
        '<mc:Choice Requires="c14"><w:drawing/></mc:Choice>'  # the chart itself: no picture
        f'<mc:Fallback><w:pict><v:shape><v:imagedata r:id="{rel_id}"/></v:shape></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r></w:p>')
    picture.addprevious(chart)
    picture.getparent().remove(picture)
    doc = load_bytes(docgen.to_bytes(d), "chart.docx")
    assert kinds(doc) == ["text", "image"] and doc.parts[1].label == "chart.docx: picture 1"


# --- settings and the command line ------------------------------------------------------------------------------


def test_the_setting_reaches_the_limits():
    assert Settings.resolve(environ={}).limits().figures is True
    assert Settings.resolve(environ={"GLYPH_FIGURES": "0"}).limits().figures is False


def _run(*args):
    return subprocess.run([sys.executable, "-m", "glyph_web", *map(str, args)], capture_output=True, cwd=ROOT,
                          env=dict(os.environ), timeout=120)


def _render_more_pages_than_the_text(document, tmp_path) -> str:
    """`render` of the document gives more pages than its extracted text alone, and with --no-figures the text's
    pages; returns what `extract` said on stderr."""
    extracted = _run("extract", document)
    assert extracted.returncode == 0, extracted.stderr
    text = tmp_path / "extracted.txt"
    text.write_bytes(extracted.stdout)
    pages = {}
    for label, args in {"figures": [document], "no-figures": [document, "--no-figures"], "text": [text]}.items():
        proc = _run("render", *args, "--out", tmp_path / label)
        assert proc.returncode == 0, proc.stderr
        pages[label] = json.loads(proc.stdout)["pages"]
    assert pages["figures"] > pages["text"] == pages["no-figures"]
    return extracted.stderr.decode()


def test_render_gives_the_figure_pages_and_no_figures_the_text_alone(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf([{"text": "Quarterly report\nSales by quarter are in the chart below.",
                               "images": [(chart_picture(), 50, 350, 450, 300)]},
                              {"text": "Page two: outlook."}]))
    notes = _render_more_pages_than_the_text(pdf, tmp_path)
    assert "note: report.pdf, page 1: figure is passed on as an image" in notes


def test_render_of_a_word_file_gives_its_picture_as_a_page(tmp_path):
    d = docx.Document()
    d.add_paragraph("Before the chart: sales by quarter.")
    d.add_picture(_png(chart_picture()))
    d.add_paragraph("After the chart: the outlook.")
    memo = tmp_path / "memo.docx"
    memo.write_bytes(docgen.to_bytes(d))
    _render_more_pages_than_the_text(memo, tmp_path)
