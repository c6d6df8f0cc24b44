"""load_docx: document order, headings, list numbers and bullets, tables, and refusals of bombs and damaged files.

Every fixture is built here with python-docx (or zipfile for what python-docx cannot write), so the expected text
follows from the code that made the file.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image

from conftest import ROOT
from docgen import rezip, to_bytes  # noqa: E402
from glyph_web.documents.docx import load_docx
from glyph_web.documents.model import MB, Limits, TextPart, digest
from glyph_web.errors import DocumentError

DAMAGED = ("{} could not be read as a Word document: it may be damaged. Open it in Word and save it again, or "
           "export it as PDF.")


def text_of(document, limits: Limits = Limits()) -> str:
    return load_docx(to_bytes(document), "notes.docx", limits).text




# --- lists: numbering definitions added through python-docx's oxml layer -----------------------------------------


def add_abstract_num(document, levels: list[tuple[str, str]], abstract_id: int = 90) -> int:
    """An abstractNum with one w:lvl per (numFmt, lvlText), levels 0, 1, ..."""
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                   f"</w:lvl>" for i, (fmt, text) in enumerate(levels))
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>')
    numbering = document.part.numbering_part.element
    numbering.insert(0, abstract)  # abstractNum elements precede num elements in the schema
    return abstract_id


def add_num(document, abstract_id: int, start_overrides: dict[int, int] | None = None) -> int:
    numbering = document.part.numbering_part.element
    num_id = max(int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))) + 1
    overrides = "".join(f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
                        for lvl, start in (start_overrides or {}).items())
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
                               f"{overrides}</w:num>"))
    return num_id


def list_item(document, text: str, num_id: int | None = None, ilvl: int | None = None, style: str | None = None):
    paragraph = document.add_paragraph(text, style=style)
    if num_id is not None or ilvl is not None:
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        if ilvl is not None:
            num_pr.get_or_add_ilvl().val = ilvl
        if num_id is not None:
            num_pr.get_or_add_numId().val = num_id
    return paragraph


# --- order, headings, paragraphs, tables ----------------------------------------------------------------------


def test_headings_paragraphs_and_a_table_in_document_order():
    d = docx.Document()
    d.add_heading("Annual report", 0)
    d.add_heading("Summary", 1)
    d.add_paragraph("Sales grew.")
    d.add_heading("Details", 2)
    d.add_heading("Deep", 3)
    d.add_paragraph("Before the table.")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = "abc"[c] + str(r)
    d.add_paragraph("After the table.")
    doc = load_docx(to_bytes(d), "report.docx", Limits())
    assert doc.text == ("# Annual report\n"
                        "# Summary\n"
                        "Sales grew.\n"
                        "## Details\n"
                        "### Deep\n"
                        "Before the table.\n"
                        "\n"
                        "a0 | b0 | c0\n"
                        "a1 | b1 | c1\n"
                        "a2 | b2 | c2\n"
                        "\n"
                        "After the table.")
    assert doc.name == "report.docx" and doc.kind == "docx" and doc.warnings == []
    assert doc.parts == [TextPart(doc.text)]


def test_sha256_is_the_digest_of_the_upload():
    data = to_bytes(docx.Document())
    assert load_docx(data, "a.docx", Limits()).sha256 == digest(data)


def test_merged_cells_appear_once_and_nested_tables_flatten_into_their_cell():
    d = docx.Document()
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"r{r}c{c}"
    table.cell(0, 0).merge(table.cell(0, 1)).text = "wide"  # python-docx lists this cell twice in row.cells
    table.cell(1, 2).merge(table.cell(2, 2)).text = "tall"  # the text stays in the top cell
    cell = table.cell(1, 0)
    cell.add_paragraph("second paragraph")
    inner = cell.add_table(rows=2, cols=2)
    for r, row in enumerate(inner.rows):
        for c, inner_cell in enumerate(row.cells):
            inner_cell.text = f"i{r}{c}"
    assert [c.text for c in table.rows[0].cells] == ["wide", "wide", "r0c2"]
    assert text_of(d) == ("wide | r0c2\n"
                          "r1c0 second paragraph i00 | i01 i10 | i11 | r1c1 | tall\n"
                          "r2c0 | r2c1 |")


def test_tables_are_set_off_by_one_empty_line_and_empty_rows_dropped():
    d = docx.Document()
    d.add_paragraph("Intro")
    d.add_table(rows=1, cols=2).rows[0].cells[0].text = "x"
    d.add_table(rows=1, cols=2)  # nothing in it
    d.add_table(rows=1, cols=2).rows[0].cells[1].text = "y"
    d.add_paragraph("")  # Word's paragraph after a table: it is the separator, not an extra one
    d.add_paragraph("End")
    assert text_of(d) == "Intro\n\nx |\n\n | y\n\nEnd"


def test_empty_paragraphs_keep_breaks_but_three_or_more_collapse_to_two():
    d = docx.Document()
    d.add_paragraph("one")
    d.add_paragraph("")
    d.add_paragraph("two")
    for _ in range(5):
        d.add_paragraph("   ")
    d.add_paragraph("three")
    assert text_of(d) == "one\n\ntwo\n\n\nthree"


def test_line_breaks_become_newlines_and_tabs_stay():
    d = docx.Document()
    p = d.add_paragraph("Name:\tAda")
    p.add_run().add_break()
    p.add_run("Role:\tengineer")
    assert p.text == "Name:\tAda\nRole:\tengineer"  # python-docx agrees on breaks and tabs
    assert text_of(d) == "Name:\tAda\nRole:\tengineer"


def test_control_characters_are_removed_and_tabs_kept():
    d = docx.Document()
    d.add_paragraph("a\x7fb\x80c\x9fd\te")  # XML 1.0 allows DEL and C1 controls, so a file can hold them
    d.add_paragraph("line\u2028separator")  # whitespace: kept, set as a space as the official renderer does
    assert text_of(d) == "abcd\te\nline\u2028separator"


def test_tracked_insertions_hyperlinks_and_content_controls_are_read_deletions_are_not():
    d = docx.Document()
    p = d.add_paragraph("Kept ")
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="A"><w:r><w:t>inserted</w:t></w:r></w:ins>'))
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="2" w:author="A"><w:r><w:delText>deleted</w:delText>'
                          "</w:r></w:del>"))
    p._p.append(parse_xml(f'<w:hyperlink {nsdecls("w")}><w:r><w:t xml:space="preserve"> link</w:t></w:r>'
                          "</w:hyperlink>"))
    # A block content control (a cover page, a form) holding a paragraph: python-docx's iter_inner_content skips it.
    block = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtContent><w:p><w:r><w:t>In a control</w:t></w:r></w:p>'
                      "</w:sdtContent></w:sdt>")
    d.element.body.insert(len(d.element.body) - 1, block)  # before the final w:sectPr
    d.add_paragraph("Last")
    assert text_of(d) == "Kept inserted link\nIn a control\nLast"


# --- lists -------------------------------------------------------------------------------------------------------


def test_builtin_list_styles_give_bullets_and_numbers():
    # The default template's "List Bullet" style points at a Symbol-font bullet (U+F0B7), "List Number" at "%1."
    # decimal; "List Bullet 2" / "List Number 2" are separate one-level lists that Word only indents further.
    d = docx.Document()
    d.add_paragraph("Shopping", style="List Bullet")
    d.add_paragraph("Milk", style="List Bullet 2")
    d.add_paragraph("Eggs", style="List Bullet 2")
    d.add_paragraph("Cleaning", style="List Bullet")
    d.add_paragraph("Open the box", style="List Number")
    d.add_paragraph("Check the parts", style="List Number")
    d.add_paragraph("Screws", style="List Number 2")
    d.add_paragraph("Bolts", style="List Number 2")
    d.add_paragraph("Assemble", style="List Number")
    assert text_of(d) == ("• Shopping\n"
                          "  • Milk\n"
                          "  • Eggs\n"
                          "• Cleaning\n"
                          "1. Open the box\n"
                          "2. Check the parts\n"
                          "  1. Screws\n"
                          "  2. Bolts\n"
                          "3. Assemble")


def test_multilevel_list_by_explicit_numpr():
    d = docx.Document()
    abstract = add_abstract_num(d, [("decimal", "%1."), ("lowerLetter", "%2."), ("lowerRoman", "%1.%2.%3"),
                                    ("upperRoman", "(%4)"), ("upperLetter", "%5)"), ("decimalZero", "%6.")])
    num = add_num(d, abstract)
    list_item(d, "First step", num, 0)
    list_item(d, "Sub step", num, 1)
    list_item(d, "Another", num, 1)
    list_item(d, "Detail", num, 2)
    list_item(d, "Detail", num, 2)
    list_item(d, "Deep", num, 3)
    list_item(d, "Deeper", num, 4)
    list_item(d, "Deepest", num, 5)
    list_item(d, "Second step", num, 0)
    list_item(d, "Sub again", num, 1)  # the new item at level 0 restarted level 1
    list_item(d, "No number", 0, style="List Number")  # numId 0 switches off the style's numbering
    assert text_of(d) == ("1. First step\n"
                          "  a. Sub step\n"
                          "  b. Another\n"
                          "    1.b.i Detail\n"
                          "    1.b.ii Detail\n"
                          "      (I) Deep\n"
                          "        A) Deeper\n"
                          "          01. Deepest\n"
                          "2. Second step\n"
                          "  a. Sub again\n"
                          "No number")


def test_letters_and_roman_numerals_past_the_first_round():
    d = docx.Document()
    letters = add_num(d, add_abstract_num(d, [("lowerLetter", "%1)")], abstract_id=91))
    romans = add_num(d, add_abstract_num(d, [("upperRoman", "%1.")], abstract_id=92))
    for _ in range(28):
        list_item(d, "x", letters, 0)
    for _ in range(14):
        list_item(d, "y", romans, 0)
    lines = text_of(d).split("\n")
    assert [line.split()[0] for line in lines[24:28]] == ["y)", "z)", "aa)", "bb)"]
    assert [line.split()[0] for line in lines[28:]] == ["I.", "II.", "III.", "IV.", "V.", "VI.", "VII.", "VIII.",
                                                        "IX.", "X.", "XI.", "XII.", "XIII.", "XIV."]


def test_a_new_num_with_start_override_restarts_the_list():
    d = docx.Document()
    abstract = add_abstract_num(d, [("decimal", "%1.")])
    first = add_num(d, abstract)
    list_item(d, "a", first, 0)
    list_item(d, "b", first, 0)
    d.add_paragraph("Between the lists.")
    list_item(d, "c", first, 0)  # the same list continues after other text
    list_item(d, "d", add_num(d, abstract, {0: 1}), 0)
    list_item(d, "e", add_num(d, abstract, {0: 7}), 0)
    # The restart on the style-numbered list: the paragraph keeps its style and names the new num.
    d.add_paragraph("f", style="List Number")
    list_item(d, "g", add_num(d, 7, {0: 1}), None, style="List Number")  # abstractNum 7 backs "List Number"
    assert text_of(d) == "1. a\n2. b\nBetween the lists.\n3. c\n1. d\n7. e\n1. f\n1. g"


@pytest.mark.parametrize(("lvl_text", "shown"), [
    ("\uf0b7", "•"),  # Symbol's dot, as Word writes it
    ("\uf0a7", "•"),  # Wingdings' square
    ("o", "◦"),  # Courier New's hollow bullet
    ("§", "▪"),  # Wingdings' square, stored as the character it replaces
    ("-", "-"),
    ("–", "–"),
    ("▪", "▪"),
])
def test_bullet_characters(lvl_text, shown):
    d = docx.Document()
    num = add_num(d, add_abstract_num(d, [("bullet", lvl_text), ("bullet", lvl_text)]))
    list_item(d, "Item", num, 0)
    list_item(d, "Sub item", num, 1)
    assert text_of(d) == f"{shown} Item\n  {shown} Sub item"


def test_numbered_heading_keeps_its_number_after_the_hashes():
    d = docx.Document()
    num = add_num(d, add_abstract_num(d, [("decimal", "%1."), ("decimal", "%1.%2")]))
    list_item(d, "Scope", num, 0, style="Heading 1")
    list_item(d, "Terms", num, 1, style="Heading 2")
    assert text_of(d) == "# 1. Scope\n## 1.1 Terms"


def test_broken_numbering_falls_back_to_a_bullet():
    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="50"><w:abstractNumId w:val="404"/></w:num>'))
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="93"><w:lvl w:ilvl="0">'
                                  '<w:start w:val="seven"/><w:numFmt w:val="klingon"/><w:lvlText w:val="%1."/>'
                                  "</w:lvl></w:abstractNum>"))
    odd = add_num(d, 93)
    list_item(d, "num points to no abstractNum", 50, 0)
    list_item(d, "num that does not exist", 77, 0)
    list_item(d, "level that does not exist", odd, 4)
    list_item(d, "bad start and format", odd, 0)
    list_item(d, "again", odd, 0)
    assert text_of(d) == ("• num points to no abstractNum\n"
                          "• num that does not exist\n"
                          "        • level that does not exist\n"
                          "1. bad start and format\n"
                          "2. again")


def test_missing_numbering_part_falls_back_to_bullets(caplog):
    d = docx.Document()
    d.add_paragraph("One", style="List Number")
    d.add_paragraph("Two", style="List Number")
    data = to_bytes(d)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rels = zf.read("word/_rels/document.xml.rels").decode()
    rels = re.sub(r"<Relationship [^>]*numbering\.xml\"/>", "", rels)
    data = rezip(data, {"word/numbering.xml": None, "word/_rels/document.xml.rels": rels.encode()})
    assert load_docx(data, "notes.docx", Limits()).text == "• One\n• Two"
    assert caplog.records == []  # most documents have no lists: nothing to warn about


# --- warnings ----------------------------------------------------------------------------------------------------


def test_empty_document_warns():
    doc = load_docx(to_bytes(docx.Document()), "blank.docx", Limits())
    assert doc.text == ""
    assert doc.warnings == ["blank.docx contains no text."]


def test_pictures_are_not_read_and_say_so():
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    d = docx.Document()
    d.add_paragraph("Caption")
    d.add_picture(picture)
    doc = load_docx(to_bytes(d), "photo.docx", Limits(figures=False))  # with figures off (tests/test_figures_docs.py)
    assert doc.text == "Caption"
    assert doc.warnings == ["photo.docx: pictures inside Word files are not read; only their text is used."]


# --- refusals ----------------------------------------------------------------------------------------------------


def write_bomb(path, unpacked_mb: int) -> None:
    """A real package whose word/document.xml is `unpacked_mb` MB of one repeated byte, about 1,000 times smaller
    packed: python-docx would read it all into memory if nothing stopped it first."""
    chunk = b"A" * MB
    with zipfile.ZipFile(io.BytesIO(to_bytes(docx.Document()))) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                zf.writestr(info.filename, src.read(info.filename))
        with zf.open("word/document.xml", "w") as member:  # streamed: never holds the whole member in memory
            for _ in range(unpacked_mb):
                member.write(chunk)


_BOMB_PROBE = """
import json, resource, sys, time
from glyph_web.documents.docx import load_docx
from glyph_web.documents.model import Limits
from glyph_web.errors import DocumentError
data = open(sys.argv[1], "rb").read()
# Cap the address space at what the process uses now plus 300 MB: unpacking the bomb would need more, and
# fail with MemoryError. (ru_maxrss cannot tell: a child inherits its parent's high-water mark.)
size_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize:")).split()[1])
limit = (size_kb + 300 * 1024) * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
start = time.perf_counter()
try:
    load_docx(data, "bomb.docx", Limits(docx_max_unpacked_mb=float(sys.argv[2])))
    message = None
except DocumentError as err:
    message = str(err)
print(json.dumps({"message": message, "seconds": time.perf_counter() - start}))
"""


def test_zip_bomb_is_refused_quickly_without_unpacking(tmp_path):
    bomb = tmp_path / "bomb.docx"
    write_bomb(bomb, 300)
    assert bomb.stat().st_size < 2 * MB
    # A fresh process, so that its peak memory is this load's and not the test session's.
    result = subprocess.run([sys.executable, "-c", _BOMB_PROBE, str(bomb), "100"], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["message"] == ("bomb.docx would unpack to 301 MB, over the 100 MB limit for Word files (a damaged "
                                "file or a zip bomb?); if the file is genuine, raise --docx-max-unpacked-mb or "
                                "GLYPH_DOCX_MAX_UNPACKED_MB.")
    assert probe["seconds"] < 5  # and within 300 MB of extra address space (the probe's cap)


def test_unpacked_limit_is_configurable():
    d = docx.Document()  # python-docx's template unpacks to about 0.8 MB, most of it styles
    d.add_paragraph("x" * (2 * MB))
    data = to_bytes(d)
    with pytest.raises(DocumentError) as err:
        load_docx(data, "big.docx", Limits(docx_max_unpacked_mb=1.5))
    assert str(err.value) == ("big.docx would unpack to 3 MB, over the 1.5 MB limit for Word files (a damaged file "
                              "or a zip bomb?); if the file is genuine, raise --docx-max-unpacked-mb or "
                              "GLYPH_DOCX_MAX_UNPACKED_MB.")
    assert load_docx(data, "big.docx", Limits(docx_max_unpacked_mb=50)).text == "x" * (2 * MB)


def test_too_many_members_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        for i in range(10_000):
            zf.writestr(f"word/media/{i}.bin", b"")
    with pytest.raises(DocumentError) as err:
        load_docx(out.getvalue(), "many.docx", Limits())
    assert str(err.value) == ("many.docx holds 10,001 files inside, more than the 10,000 a Word file may hold (a "
                              "damaged file or a zip bomb?). Open it in Word and save it again, or export it as PDF.")


def test_broken_xml_is_a_damaged_file(caplog):
    d = docx.Document()
    d.add_paragraph("Secret text")
    broken = f"<w:document {nsdecls('w')}><w:body><w:p>Secret text</w:body>"  # w:p is never closed
    data = rezip(to_bytes(d), {"word/document.xml": broken.encode()})
    with pytest.raises(DocumentError) as err:
        load_docx(data, "broken.docx", Limits())
    assert str(err.value) == DAMAGED.format("broken.docx")
    assert "could not read broken.docx as a Word document" in caplog.text  # the cause is logged for the operator
    assert "Secret text" not in caplog.text


def test_member_larger_than_declared_is_a_damaged_file():
    """A member that unpacks to more than its declared size: zipfile stops at the declared size and fails the CRC."""
    d = docx.Document()
    d.add_paragraph("word " * 10_000)
    data = bytearray(to_bytes(d))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("word/document.xml")
    entry = data.find(b"PK\x01\x02")  # central directory entries: signature, sizes at 20 and 24, name at 46
    while data[entry + 46:entry + 46 + len(info.filename)] != info.filename.encode():
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (1000).to_bytes(4, "little")  # declare 1,000 bytes unpacked
    with pytest.raises(DocumentError) as err:
        load_docx(bytes(data), "liar.docx", Limits())
    assert str(err.value) == DAMAGED.format("liar.docx")


def test_not_a_zip_is_a_damaged_file():
    with pytest.raises(DocumentError) as err:
        load_docx(b"PK\x03\x04 not really", "odd.docx", Limits())
    assert str(err.value) == DAMAGED.format("odd.docx")


def test_macro_enabled_document_gets_its_own_message():
    data = to_bytes(docx.Document())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                          "application/vnd.ms-word.document.macroEnabled.main+xml")
    with pytest.raises(DocumentError) as err:
        load_docx(rezip(data, {"[Content_Types].xml": types.encode()}), "macro.docm", Limits())
    assert str(err.value) == ("macro.docm is a Word template or macro-enabled document, which cannot be read here. "
                              "Open it in Word and save it as a Word Document (.docx), or export it as PDF.")


def test_module_imports_neither_torch_nor_gradio():
    code = "import sys, glyph_web.documents.docx; print(sorted({'torch', 'gradio'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
