"""The PDF layout reader (documents/pdf_layout.py): tables as rows, columns in order, running lines once, leaders,
and pypdf where pdfplumber cannot read. Every PDF is drawn here with reportlab."""

from __future__ import annotations

import io

import docgen
import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

from glyph_web.documents import pdf_layout

A4 = (595, 842)
ORDER = [["Item", "Unit price", "Quantity"], ["Pump A-7", "1200 EUR", "3"], ["Valve B-2", "80 EUR", "12"],
         ["Seal kit", "15 EUR", "40"], ["Filter F-1", "230 EUR", "2"]]
LEFT = ["Alpha one opens the left column of this page.", "Alpha two continues with more words here.",
        "Alpha three keeps the left column going on.", "Alpha four says a little more in the left.",
        "Alpha five is the last line of the left one."]
RIGHT = ["Beta one opens the right column of the page.", "Beta two continues the right column text.",
         "Beta three goes on with the right column now.", "Beta four adds some words to the right one.",
         "Beta five ends the right column of this page."]


def make_pdf(*pages) -> bytes:
    """A PDF with one page per function, each drawing on a reportlab canvas."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for draw in pages:
        c.setFont("Helvetica", 10)
        draw(c)
        c.showPage()
    c.save()
    return buf.getvalue()


def read(data: bytes):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return pdf_layout.document_text(pdf)


def lines_at(c, lines, x=56, y=780, leading=14):
    for line in lines:
        c.drawString(x, y, line)
        y -= leading


def order_table(c, grid=True, top=700):
    table = Table(ORDER, colWidths=[150, 110, 80])
    style = [("FONTNAME", (0, 0), (-1, -1), "Helvetica"), ("FONTSIZE", (0, 0), (-1, -1), 10)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    table.setStyle(TableStyle(style))
    _w, h = table.wrapOn(c, 480, 800)
    table.drawOn(c, 56, top - h)


def test_a_ruled_table_comes_out_one_row_per_line_at_its_place():
    def page(c):
        lines_at(c, ["Our order for the north station:"], y=740)
        order_table(c)
        lines_at(c, ["Delivery is due in March."], y=560)

    texts, notes = read(make_pdf(page))
    assert texts[0].split("\n") == ["Our order for the north station:", "Item | Unit price | Quantity",
                                    "Pump A-7 | 1200 EUR | 3", "Valve B-2 | 80 EUR | 12", "Seal kit | 15 EUR | 40",
                                    "Filter F-1 | 230 EUR | 2", "Delivery is due in March."]
    assert notes.tables == 1
    # pypdf, today's reader, gives a cell per line
    assert "Pump A-7\n1200 EUR\n3" in PdfReader(io.BytesIO(make_pdf(page))).pages[0].extract_text()


def test_a_table_aligned_by_text_alone_comes_out_as_rows():
    texts, notes = read(make_pdf(lambda c: order_table(c, grid=False)))
    assert texts[0].split("\n") == [" | ".join(row) for row in ORDER]
    assert notes.tables == 1


def test_a_frame_around_text_is_not_a_table():
    def page(c):
        c.rect(50, 600, 400, 200)  # a box, and a rule under its title
        c.line(50, 770, 450, 770)
        lines_at(c, ["Note", "The pumps are serviced twice a year.", "Spare seals are kept on site."], x=60,
                 y=780, leading=20)

    texts, notes = read(make_pdf(page))
    assert texts[0].split("\n") == ["Note", "The pumps are serviced twice a year.", "Spare seals are kept on site."]
    assert notes.tables == 0


def test_two_columns_drawn_line_by_line_in_alternation_read_column_after_column():
    def page(c):
        c.drawString(56, 800, "Two columns")  # a page header, apart from the text: read whole, first
        c.drawString(500, 800, "Page 1")
        for i, (a, b) in enumerate(zip(LEFT, RIGHT)):  # the content stream alternates left, right
            c.drawString(56, 760 - 14 * i, a)
            c.drawString(310, 760 - 14 * i, b)

    data = make_pdf(page)
    texts, notes = read(data)
    assert texts[0].split("\n") == ["Two columns Page 1"] + LEFT + RIGHT
    assert notes.columns_pages == 1 and notes.tables == 0
    alternating = PdfReader(io.BytesIO(data)).pages[0].extract_text().split("\n")  # today: interleaved
    assert alternating.index(RIGHT[0]) < alternating.index(LEFT[1])


def test_three_columns_under_a_title_and_over_a_footer():
    width = 150
    columns = [simpleSplit(" ".join(f"Column {n} sentence {i} has a few words in it." for i in range(8)),
                           "Helvetica", 10, width) for n in (1, 2, 3)]

    def page(c):
        c.drawString(56, 800, "A title that runs across all three columns of the page, from left to right")
        for row, parts in enumerate(zip(*columns)):
            for n, part in enumerate(parts):
                c.drawString(56 + n * (width + 20), 760 - 13 * row, part)
        c.drawCentredString(297, 40, "Footer across the middle 1")

    texts, _notes = read(make_pdf(page))
    lines = texts[0].split("\n")
    rows = len(min(columns, key=len))
    expected = [columns[n][:rows] for n in range(3)]
    assert lines == [lines[0], *expected[0], *expected[1], *expected[2], "Footer across the middle 1"]


def test_a_single_column_reads_top_to_bottom_whatever_the_drawing_order():
    sentences = [f"Line {i} of a plain page, with an ordinary number of words." for i in range(12)]

    def backwards(c):
        for i in reversed(range(12)):
            c.drawString(56, 780 - 14 * i, sentences[i])

    texts, notes = read(make_pdf(lambda c: lines_at(c, sentences), backwards))
    assert texts[0].split("\n") == sentences
    assert texts[1].split("\n") == sentences
    assert notes == pdf_layout.LayoutNotes()


def test_labels_and_values_are_not_read_as_columns():
    pairs = [(f"Field {i}", f"value number {i}") for i in range(10)]

    def page(c):
        for i, (label, value) in enumerate(pairs):
            c.drawString(56, 780 - 14 * i, label)
            c.drawString(300, 780 - 14 * i, value)

    texts, notes = read(make_pdf(page))
    assert texts[0].split("\n") == [f"{label} {value}" for label, value in pairs]
    assert notes.columns_pages == notes.tables == 0  # two aligned columns are not taken for a table either


def test_aligned_code_in_a_monospaced_font_is_not_a_table():
    code = ["4    CARD32    MAJOR_VERSION", "4    CARD32    MINOR_VERSION", "12   CARD32    ALIAS_LIST_OFFSET"]

    def page(c):
        c.setFont("Courier", 10)
        lines_at(c, code)

    texts, notes = read(make_pdf(page))
    assert texts[0].split("\n") == [" ".join(line.split()) for line in code]
    assert notes.tables == 0


def test_notes_in_the_margin_stay_beside_their_lines():
    prose = [f"Line {chr(65 + i)} of the body text, which runs along the whole page." for i in range(14)]

    def page(c):
        lines_at(c, prose)
        lines_at(c, ["Note one: the pumps", "are due for a check"], x=440, y=780 - 14 * 2)
        lines_at(c, ["Note two: the seals", "came from the north"], x=440, y=780 - 14 * 10)

    texts, notes = read(make_pdf(page))
    lines = texts[0].split("\n")
    assert lines[2] == prose[2] + " Note one: the pumps" and lines[11] == prose[11] + " came from the north"
    assert notes.columns_pages == 0


def test_running_header_and_footer_are_kept_once():
    def page(number):
        def draw(c):
            c.drawString(56, 810, "ACME Water Board - Annual report")
            lines_at(c, [f"Body text of page {number}, which is different on every page."], y=760)
            c.drawCentredString(297, 30, f"Page {number} of 5")
        return draw

    texts, notes = read(make_pdf(*(page(n) for n in range(1, 6))))
    assert texts[0].split("\n") == ["ACME Water Board - Annual report",
                                    "Body text of page 1, which is different on every page.", "Page 1 of 5"]
    for n in range(2, 6):
        assert texts[n - 1] == f"Body text of page {n}, which is different on every page."
    assert notes.headers_dropped == 8


def test_a_line_on_two_pages_of_five_is_not_a_running_header():
    def page(first, n):
        return lambda c: lines_at(c, [first, f"Body text of part {chr(65 + n)} follows here."])

    texts, notes = read(make_pdf(*(page("Summary" if n < 2 else f"Section {chr(65 + n)}", n) for n in range(5))))
    assert [t.split("\n")[0] for t in texts] == ["Summary", "Summary", "Section C", "Section D", "Section E"]
    assert notes.headers_dropped == 0


def test_dot_leaders_collapse_to_one_space():
    def page(c):
        lines_at(c, ["Contents", "Introduction ........................ 3", "Pumps and valves . . . . . . . . . 7",
                     "Appendix · · · · · · 12", "Wait... and see"])

    texts, _notes = read(make_pdf(page))
    assert texts[0].split("\n") == ["Contents", "Introduction 3", "Pumps and valves 7", "Appendix 12",
                                    "Wait... and see"]


def test_a_page_without_text():
    data = make_pdf(lambda c: c.rect(100, 100, 200, 200, fill=1), lambda c: lines_at(c, ["Text"]))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert pdf_layout.page_text(pdf.pages[0]) == ""
    texts, _notes = read(data)
    assert texts == [None, "Text"]


def test_a_page_turned_by_its_rotate_entry_reads_in_its_own_direction():
    data = io.BytesIO()
    c = canvas.Canvas(data, pagesize=A4)
    c.setPageRotation(90)
    c.setFont("Helvetica", 10)
    lines_at(c, ["First line of the landscape page.", "Second line of it."])
    c.showPage()
    c.save()
    texts, _notes = read(data.getvalue())
    assert texts == ["First line of the landscape page.\nSecond line of it."]


def test_slanted_and_drifting_lines_stay_whole_and_a_diagonal_watermark_goes_last():
    sentences = [f"Sentence {chr(65 + i)} of a page, as the text layer of a scan draws it." for i in range(8)]
    # (the first page's first line would be a running header on the other pages: they start one line later)

    def slanted(c):  # the whole text turned by 1.5 degrees, as OCR of a skewed scan writes it
        c.translate(56, 780)
        c.rotate(-1.5)
        lines_at(c, sentences, x=0, y=0)

    def drifting(c):  # each word a little lower than the one before it
        for i, sentence in enumerate(sentences[1:]):
            x = 56
            for k, word in enumerate(sentence.split()):
                c.drawString(x, 780 - 14 * i - 0.4 * k, word)
                x += c.stringWidth(word + " ", "Helvetica", 10)

    def watermarked(c):
        lines_at(c, sentences[1:])
        c.translate(200, 400)
        c.rotate(45)
        c.setFont("Helvetica", 60)
        c.drawString(0, 0, "DRAFT")

    texts, _notes = read(make_pdf(slanted, drifting, watermarked))
    assert texts[0].split("\n") == sentences
    assert texts[1].split("\n") == sentences[1:]
    assert texts[2].split("\n") == sentences[1:] + ["DRAFT"]


def test_text_drawn_right_to_left_or_down_is_read_as_pypdf_reads_it():
    def right_to_left(c):  # as Hebrew or Arabic is drawn in logical order
        for i, word in enumerate(["first line", "second line"]):
            x = 400
            for ch in word:
                x -= c.stringWidth(ch, "Helvetica", 10)
                c.drawString(x, 780 - 14 * i, ch)

    def downwards(c):  # as vertical CJK is drawn: upright characters, one under the other
        for i, ch in enumerate("columns"):
            c.drawString(300, 780 - 12 * i, ch)

    data = make_pdf(right_to_left, downwards, lambda c: lines_at(c, ["An ordinary page."]))
    reader = PdfReader(io.BytesIO(data))
    texts, notes = read(data)
    assert texts[:2] == [reader.pages[0].extract_text().strip(), reader.pages[1].extract_text().strip()]
    assert texts[2] == "An ordinary page."
    assert notes.fallback_pages == (1, 2)


def test_pages_are_closed_after_reading():
    data = make_pdf(lambda c: lines_at(c, ["Text"]))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pdf_layout.document_text(pdf)
        assert not hasattr(pdf.pages[0], "_layout")


def test_too_much_text_stops_reading():
    data = make_pdf(*(lambda c: lines_at(c, ["x" * 50]) for _ in range(4)))
    with pdfplumber.open(io.BytesIO(data)) as pdf, pytest.raises(pdf_layout.TooMuchText) as caught:
        pdf_layout.document_text(pdf, max_chars=120)
    assert caught.value.page == 3
    with pytest.raises(pdf_layout.TooMuchText) as caught:  # read_text names the page of the file
        pdf_layout.read_text(data, PdfReader(io.BytesIO(data)), max_chars=70, pages=[1, 2, 3])
    assert caught.value.page == 3


def test_read_text_reads_the_pages_asked_for():
    data = make_pdf(*(lambda c, n=n: lines_at(c, [f"Text of page {chr(65 + n)}"]) for n in range(4)))
    texts, notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)), pages=[3, 1])
    assert texts == ["Text of page D", "Text of page B"] and notes == pdf_layout.LayoutNotes()


def test_an_encrypted_file_is_read_with_its_password():
    data = docgen.encrypt(make_pdf(lambda c: order_table(c)), "secret")
    reader = PdfReader(io.BytesIO(data))
    reader.decrypt("secret")
    texts, notes = pdf_layout.read_text(data, reader, password="secret")
    assert texts[0].split("\n")[1] == "Pump A-7 | 1200 EUR | 3"
    assert notes.fallback_pages == ()


# PDFs that pdfplumber (pdfminer) cannot read but pypdf can: made by editing a good one with pypdf.


def edited(data: bytes, edit) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


TWO_PAGES = make_pdf(lambda c: lines_at(c, ["First page text"]), lambda c: lines_at(c, ["Second page text"]))


def test_a_page_pdfminer_cannot_interpret_is_read_by_pypdf():
    def broken_font(writer):  # a composite font without its descendant font: pdfminer raises, pypdf reads on
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type0"),
                                 NameObject("/BaseFont"): NameObject("/Odd"),
                                 NameObject("/Encoding"): NameObject("/Identity-H")})
        writer.pages[1][NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})

    data = edited(TWO_PAGES, broken_font)
    expected = PdfReader(io.BytesIO(data)).pages[1].extract_text().strip()
    texts, notes = read(data)
    assert texts == ["First page text", expected] and notes.fallback_pages == (2,)
    texts, notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)))
    assert texts == ["First page text", expected] and notes.fallback_pages == (2,)
    texts, notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)), pages=[1])  # numbers stay the file's
    assert texts == [expected] and notes.fallback_pages == (2,)


def test_a_page_tree_pdfplumber_cannot_list_is_read_by_pypdf():
    def odd_box(writer):
        writer.pages[1][NameObject("/MediaBox")] = ArrayObject([NumberObject(0), NumberObject(0), NameObject("/A"),
                                                                NumberObject(5)])

    data = edited(TWO_PAGES, odd_box)
    texts, notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)))
    assert texts == ["First page text", "Second page text"] and notes.fallback_pages == (1, 2)
    texts, notes = pdf_layout.read_text(b"not a pdf", PdfReader(io.BytesIO(TWO_PAGES)))
    assert texts == ["First page text", "Second page text"] and notes.fallback_pages == (1, 2)


def test_read_text_follows_pypdfs_pages_when_the_tree_names_a_page_twice():
    def twice(writer):  # pypdf lists the second page twice; pdfminer lists each page object once
        pages = writer._root_object["/Pages"]
        pages["/Kids"].insert(0, pages["/Kids"][1])
        pages[NameObject("/Count")] = NumberObject(3)

    data = edited(TWO_PAGES, twice)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    texts, notes = pdf_layout.read_text(data, reader)
    assert texts == ["Second page text", "First page text", "Second page text"]
    assert notes.fallback_pages == ()


def test_doubled_narrow_letters_are_two_letters_not_fake_bold():
    """'ll', 'ii', 'tt' in a proportional font stand a narrow width apart: both kept, no space between."""
    import docgen
    from glyph_web.documents import load_bytes

    text = "really illicit little attitudes fill willing mills"
    assert load_bytes(docgen.pdf([text]), "words.pdf").text == text


# --- end to end: through load_bytes, as users get it, and the CLI ------------------------------------------------


ORDER_ROWS = [" | ".join(row) for row in ORDER]


def _order_page(c):
    lines_at(c, ["Our order for the north station:"], y=740)
    order_table(c)
    lines_at(c, ["Delivery is due in March."], y=560)


NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
LEFT_TEN = [f"Gamma {n} is a sentence of the left column here." for n in NUMBERS]
RIGHT_TEN = [f"Delta {n} is a sentence of the right column now." for n in NUMBERS]


def _columns_page(c):
    for i, (a, b) in enumerate(zip(LEFT_TEN, RIGHT_TEN)):  # the content stream alternates: left, right, ...
        c.drawString(56, 760 - 14 * i, a)
        c.drawString(310, 760 - 14 * i, b)


def test_load_bytes_gives_a_ruled_order_table_one_row_per_line_in_order():
    from glyph_web.documents import load_bytes

    doc = load_bytes(make_pdf(_order_page), "order.pdf")
    lines = doc.text.split("\n")
    assert [line for line in lines if line in ORDER_ROWS] == ORDER_ROWS  # every row, whole, in order
    start = lines.index(ORDER_ROWS[0])
    assert lines[start - 1:start + len(ORDER_ROWS) + 1] == ["Our order for the north station:", *ORDER_ROWS,
                                                             "Delivery is due in March."]
    assert any("tables: 1" in warning for warning in doc.warnings)


def test_load_bytes_reads_a_two_column_page_column_after_column():
    from glyph_web.documents import load_bytes

    doc = load_bytes(make_pdf(_columns_page), "columns.pdf")
    where = {sentence: doc.text.index(sentence) for sentence in LEFT_TEN + RIGHT_TEN}  # each sentence whole
    assert max(where[s] for s in LEFT_TEN) < min(where[s] for s in RIGHT_TEN)
    assert sorted(where, key=where.get) == LEFT_TEN + RIGHT_TEN
    assert any("pages: 1" in warning and "column" in warning for warning in doc.warnings)


def test_the_cli_extract_prints_the_order_table_as_rows(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    path = tmp_path / "order.pdf"
    path.write_bytes(make_pdf(_order_page))
    proc = subprocess.run([sys.executable, "-m", "glyph_web", "extract", str(path)], capture_output=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().split("\n")
    start = lines.index(ORDER_ROWS[0])
    assert lines[start:start + len(ORDER_ROWS)] == ORDER_ROWS
