"""Documents in: PDF, TXT/Markdown, images, several files, limits, refusals by content, no leftovers."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from glyph_web import poppler
from glyph_web.documents import (Document, DocumentError, ImagePart, Limits, TextPart, combine, load_bytes,
                                 load_file, load_files)
from glyph_web.errors import PageLimitError
from glyph_web.render import RenderConfig, render_document

import docgen
from conftest import DEJAVU

# --- PDF --------------------------------------------------------------------------------------------------


def test_pdf_text_per_page_in_reading_order():
    doc = load_bytes(docgen.pdf(["Title of the report\nFirst line of page one", "Page two starts here\nand ends"]),
                     "report.pdf")
    assert doc.kind == "pdf" and doc.warnings == []
    assert doc.text == "Title of the report\nFirst line of page one\nPage two starts here\nand ends"
    assert [type(p) for p in doc.parts] == [TextPart]


def test_pdf_mixing_text_and_scanned_pages_keeps_both_in_order():
    doc = load_bytes(docgen.pdf(["Page one text", b"scan", "Page three text", b"scan", b"scan"]), "mixed.pdf")
    kinds = [type(p).__name__ for p in doc.parts]
    assert kinds == ["TextPart", "ImagePart", "TextPart", "ImagePart", "ImagePart"]
    assert doc.parts[0].text == "Page one text" and doc.parts[2].text == "Page three text"
    assert [p.label for p in doc.parts if isinstance(p, ImagePart)] == \
        ["mixed.pdf, page 2", "mixed.pdf, page 4", "mixed.pdf, page 5"]
    (warning,) = doc.warnings
    assert warning == ("mixed.pdf: pages 2, 4-5 have no text layer (scanned?), so they are passed on as images, "
                       "which the model reads less reliably than text.")
    scan = doc.images[0]
    assert scan.mode == "RGB" and scan.width * scan.height <= Limits().image_max_pixels
    assert scan.convert("L").getextrema()[0] < 60  # the dark strokes survived


def test_scanned_pages_are_fitted_into_the_pixel_budget():
    doc = load_bytes(docgen.pdf([b"scan"]), "scan.pdf", Limits(image_max_pixels=200_000))
    (img,) = doc.images
    assert img.width * img.height <= 200_000 and img.width * img.height > 190_000
    assert abs(img.width / img.height - 595 / 842) < 0.01


def test_blank_pages_are_skipped_with_a_note():
    doc = load_bytes(docgen.pdf(["Only text", None]), "b.pdf")
    assert doc.text == "Only text" and doc.images == []
    assert doc.warnings == ["b.pdf: blank page 2 skipped."]


def test_password_protected_pdf_is_refused_clearly_and_opens_with_the_password():
    locked = docgen.encrypt(docgen.pdf(["Secret figures: 42"]), user_password="s3cret")
    with pytest.raises(DocumentError) as refused:
        load_bytes(locked, "locked.pdf")
    # said for every front door: no flag in it (the CLI adds its own hint)
    assert str(refused.value) == ("locked.pdf is protected by a password: give its password, or save a copy "
                                  "without protection and use that.")
    with pytest.raises(DocumentError, match="the password given is wrong"):
        load_bytes(locked, "locked.pdf", password="guess")
    assert load_bytes(locked, "locked.pdf", password="s3cret").text == "Secret figures: 42"


def test_pdf_encrypted_without_a_user_password_opens():
    doc = load_bytes(docgen.encrypt(docgen.pdf(["Open to read, locked to edit"]), user_password=""), "r.pdf")
    assert doc.text == "Open to read, locked to edit"


def test_damaged_pdf_is_refused():
    data = docgen.pdf(["some text"])
    with pytest.raises(DocumentError, match="could not be read as a PDF: it is damaged"):
        load_bytes(data[:60], "cut.pdf")


def test_too_many_scanned_pages_are_refused_before_rasterising():
    with pytest.raises(DocumentError, match=r"3 pages without text \(scans\), over the limit of 2 pages: choose "
                                            r"pages \(e.g. 1-2\), or split the file.$"):
        load_bytes(docgen.pdf([b"scan"] * 3), "scans.pdf", Limits(max_pages=2))
    doc = load_bytes(docgen.pdf([b"scan"] * 3), "scans.pdf", Limits(max_pages=2), pages="2-3")
    assert [p.label for p in doc.parts] == ["scans.pdf, page 2", "scans.pdf, page 3"]


# --- text -------------------------------------------------------------------------------------------------

CHINESE = "第一条 本合同由甲乙双方签订。\n第二条 付款期限为三十日。"


@pytest.mark.parametrize("data, encoding_note", [
    (CHINESE.encode("utf-8"), None),
    (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), None),
    (CHINESE.encode("utf-16"), None),  # with BOM, little-endian here
    (b"\xfe\xff" + CHINESE.encode("utf-16-be"), None),
    (CHINESE.encode("gb18030"), "GB18030"),
    (CHINESE.encode("gbk"), "GB18030"),
])
def test_text_encodings(data, encoding_note):
    doc = load_bytes(data, "合同.txt")
    assert doc.kind == "text" and doc.text == CHINESE
    note = f"合同.txt is not UTF-8; it was read as {encoding_note}."
    assert doc.warnings == ([] if encoding_note is None else [note])


def test_windows_1252_text_is_read():
    doc = load_bytes("Café crème – “quoted”".encode("cp1252"), "menu.txt")
    assert doc.text == "Café crème – “quoted”"


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 8,                              # NUL bytes: binary
    bytes([0x80 + (i * 37) % 128 for i in range(4000)]),  # high bytes that read as neither Chinese nor Western text
])
def test_binary_data_is_refused(data):
    with pytest.raises(DocumentError, match="data.txt is not a text file or a supported document"):
        load_bytes(data, "data.txt")


def test_control_characters_dropped_tabs_and_newlines_kept():
    raw = b"name\tvalue\r\nNUL:\x00 bell:\x07 \x1b[1;31mred\x1b[0m done\x0cnext page\r\n"
    doc = load_bytes(raw, "log.md")
    assert doc.text == "name\tvalue\nNUL: bell: red done\x0cnext page\n"


def test_whitespace_controls_render_as_the_official_method_sets_them():
    from oracle import official_pages

    from conftest import assert_same_pages

    text = "form\x0cfeed, vertical\x0btab, unit\x1fseparator, next\x85line, line\u2028separator"
    doc = load_bytes(text.encode("utf-8"), "w.txt")
    assert doc.text == text  # kept: reportlab sets them as spaces
    cfg = {**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)}
    ours = render_document(doc, RenderConfig.from_dict(cfg))
    assert_same_pages(ours.images, official_pages(text, cfg, str(DEJAVU)))


def test_markdown_is_text():
    doc = load_bytes(b"# Heading\n\n- item one\n- item two\n", "notes.md")
    assert doc.kind == "text" and doc.text == "# Heading\n\n- item one\n- item two\n"


# --- images -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, name", [("PNG", "a.png"), ("JPEG", "b.jpg"), ("JPEG", "c.jpeg"), ("WEBP", "d.webp")])
def test_images_become_pages(fmt, name):
    doc = load_bytes(docgen.image_bytes(fmt), name)
    assert doc.kind == "image" and doc.text == "" and doc.warnings == []
    (img,) = doc.images
    assert img.size == (120, 80) and img.mode == "RGB"
    r, g, b = img.getpixel((60, 40))
    assert r > 150 and g < 80 and b < 80


def test_transparent_png_is_flattened_on_white():
    doc = load_bytes(docgen.image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0)), "t.png")
    assert doc.images[0].getpixel((5, 5)) == (255, 255, 255)


def test_large_images_are_scaled_into_the_pixel_budget():
    doc = load_bytes(docgen.image_bytes("PNG", size=(4000, 3000)), "big.png", Limits(image_max_pixels=1_000_000))
    (img,) = doc.images
    assert img.width * img.height <= 1_000_000 and img.size == (1154, 866)


def test_exif_rotation_is_applied():
    img = Image.new("RGB", (200, 100), (0, 0, 255))
    exif = img.getexif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert load_bytes(buf.getvalue(), "phone.jpg").images[0].size == (100, 200)


def test_decompression_bomb_is_refused():
    with pytest.raises(DocumentError, match="refused as a possible decompression bomb"):
        load_bytes(docgen.png_header_only(50_000, 50_000), "bomb.png")
    with pytest.raises(DocumentError, match=r"\(12000x9000 pixels\).*decompression bomb"):
        load_bytes(docgen.png_header_only(12_000, 9_000), "big.png")


def test_truncated_image_is_refused():
    data = docgen.image_bytes("JPEG", size=(600, 600), quality=95)
    with pytest.raises(DocumentError, match="cut.jpg is damaged or incomplete"):
        load_bytes(data[: len(data) // 2], "cut.jpg")


def test_extreme_aspect_ratio_is_refused():
    with pytest.raises(DocumentError, match="too long and thin"):
        load_bytes(docgen.image_bytes("PNG", size=(5, 2000)), "strip.png")


# --- types by content -------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data, name, words", [
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "invoice.pdf", "invoice.pdf is a program, which is not supported"),
    (b"\x7fELF\x02\x01\x01" + bytes(100), "notes.txt", "notes.txt is a program"),
    (b"GIF89a" + bytes(50), "anim.png", "anim.png is a GIF image, which is not supported: convert it to PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old.doc", "old Microsoft Office file"),
    (_zip({"xl/workbook.xml": b"<x/>"}), "sheet.docx", "sheet.docx is an Excel workbook"),
    (_zip({"ppt/presentation.xml": b"<x/>"}), "deck.pptx", "a PowerPoint file"),
    (_zip({"a.txt": b"hello"}), "bundle.zip", "a ZIP archive, which is not supported: unpack it"),
    (b"PK\x03\x04" + bytes(30), "cut.docx", "cut.docx is a damaged ZIP or Word file"),
    (b"", "empty.txt", "empty.txt is empty"),
])
def test_unsupported_types_are_refused_by_content(data, name, words):
    with pytest.raises(DocumentError) as err:
        load_bytes(data, name)
    assert words in str(err.value)


@pytest.mark.parametrize("data", [b"", b"   ", b" \n\n\t \r\n", "\u3000\n".encode(), b"\xef\xbb\xbf \n",
                                  " \n".encode("utf-16"), b"\x00\x07 \n"])
def test_whitespace_only_text_is_refused_as_an_empty_file_is(data):
    with pytest.raises(DocumentError) as refused:
        load_bytes(data, "blank.txt")
    assert refused.value.key == "documents.empty"
    assert str(refused.value) == "blank.txt is empty: it holds no text to read."


def test_documents_with_nothing_to_read_are_refused_whatever_their_kind(tmp_path):
    from docx import Document as Docx

    buf = io.BytesIO()
    word = Docx()
    word.add_paragraph("   ")
    word.save(buf)
    with pytest.raises(DocumentError, match=r"^blank.docx is empty: it holds no text to read.$"):
        load_bytes(buf.getvalue(), "blank.docx")
    with pytest.raises(DocumentError, match=r"^blank.pdf has nothing to read: the pages read hold no text and are "
                                            r"blank.$"):
        load_bytes(docgen.pdf([None, " "]), "blank.pdf")
    # in a set too, as an empty file is: a blank file is named, not silently added
    (tmp_path / "a.txt").write_text("Real notes")
    (tmp_path / "b.txt").write_text("\n  \n")
    with pytest.raises(DocumentError, match="b.txt is empty"):
        load_files([tmp_path / "a.txt", tmp_path / "b.txt"])


def test_content_wins_over_the_name():
    doc = load_bytes(docgen.pdf(["really a PDF"]), "notes.txt")
    assert doc.kind == "pdf" and doc.text == "really a PDF"
    assert doc.warnings == ["notes.txt is not what its name says; it was read as a PDF."]
    assert load_bytes(b"id,amount\n1,20\n", "table.csv").text == "id,amount\n1,20\n"  # other text types are welcome


# --- several files, limits, files on disk -----------------------------------------------------------------


def test_several_files_make_one_context_headed_by_file_names():
    docs = [load_bytes(b"Alpha text.", "a.txt"), load_bytes(docgen.image_bytes("PNG"), "chart.png"),
            load_bytes(docgen.pdf(["Gamma page"]), "c.pdf")]
    doc = combine(docs)
    assert doc.kind == "set" and doc.name == "3 documents"
    assert doc.text == "===== a.txt =====\nAlpha text.\n\n===== chart.png =====\n===== c.pdf =====\nGamma page"
    assert [type(p) for p in doc.parts] == [TextPart, ImagePart, TextPart]
    assert doc.sha256 != combine(list(reversed(docs))).sha256
    assert combine(docs[:1]) is docs[0]


def test_upload_size_limit_names_the_limit_and_the_way_to_raise_it(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 3 * 1024 * 1024)
    with pytest.raises(DocumentError, match=r"big.txt is 3.0 MB, over the upload limit of 2 MB; raise it with "
                                            r"--max-upload-mb or GLYPH_MAX_UPLOAD_MB"):
        load_file(path, Limits(max_upload_mb=2))
    with pytest.raises(DocumentError, match="over the upload limit"):
        load_bytes(b"x" * 2048, "b.txt", Limits(max_upload_mb=0.001))


def test_rendered_page_limit_names_the_limit(tmp_path):
    doc = load_bytes(("A fairly long line of report text that fills the page. " * 12 + "\n").encode() * 400, "l.txt")
    cfg = RenderConfig.from_dict({**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)})
    with pytest.raises(PageLimitError, match=r"over the limit of 3 pages .* --max-pages or GLYPH_MAX_PAGES"):
        render_document(doc, cfg, max_pages=3)
    huge = load_bytes(b"word " * 400_000, "huge.txt")
    with pytest.raises(PageLimitError, match="about 67 pages, over the limit of 1 pages"):
        render_document(huge, cfg, max_pages=1)  # refused from its length (2 M characters), before any layout
    scans_then_text = load_bytes(docgen.pdf([b"scan", b"scan", "and a page of text"]), "mixed.pdf")
    with pytest.raises(PageLimitError, match="about 3 pages, over the limit of 2 pages"):
        render_document(scans_then_text, cfg, max_pages=2)  # the text has no room left after the scans


def test_render_document_interleaves_rendered_and_image_pages():
    doc = load_bytes(docgen.pdf(["Intro text", b"scan", "Closing text"]), "m.pdf")
    cfg = RenderConfig.from_dict({**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)})
    result = render_document(doc, cfg)
    assert len(result.images) == 3
    assert result.images[1] is doc.images[0]  # the scan is passed on untouched
    assert result.images[0].height < 100 and result.images[2].height < 100  # short texts, cropped
    assert any("no text layer" in w for w in result.warnings)
    with pytest.raises(PageLimitError):
        render_document(doc, cfg, max_pages=2)


def test_files_on_disk(tmp_path):
    (tmp_path / "a.md").write_text("# A", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("乙".encode("gb18030"))
    doc = load_files([tmp_path / "a.md", tmp_path / "b.txt"])
    assert doc.text == "===== a.md =====\n# A\n\n===== b.txt =====\n乙"
    with pytest.raises(DocumentError, match="does not exist"):
        load_file(tmp_path / "nope.pdf")
    with pytest.raises(DocumentError, match="is a folder"):
        load_file(tmp_path)


# --- nothing left behind ----------------------------------------------------------------------------------




def test_no_temporary_files_after_reading_scans(private_tmp):
    load_bytes(docgen.pdf(["text", b"scan"]), "s.pdf")
    assert list(private_tmp.iterdir()) == []


def test_no_temporary_files_when_rasterising_fails(private_tmp, monkeypatch):
    monkeypatch.setattr(poppler, "PDFTOPPM", "false")  # a rasteriser that always fails
    with pytest.raises(DocumentError, match="its scanned pages could not be read"):
        load_bytes(docgen.pdf([b"scan"]), "s.pdf")
    assert list(private_tmp.iterdir()) == []


# --- anything at all: a Document or a DocumentError, never another exception ------------------------------

EXTENSIONS = ["a.pdf", "a.docx", "a.txt", "a.md", "a.png", "a.jpg", "a.webp", "a.bin", "noext"]
SMALL = Limits(max_pages=5, image_max_pixels=50_000)


def _only_bad_input_errors(data: bytes, name: str) -> None:
    try:
        result = load_bytes(data, name, SMALL)
    except DocumentError as exc:
        assert str(exc) and "Traceback" not in str(exc)
    else:
        assert isinstance(result, Document)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from(EXTENSIONS))
def test_random_bytes_under_any_name(data, name):
    _only_bad_input_errors(data, name)


def _valid_samples():
    from docx import Document as Docx

    buf = io.BytesIO()
    d = Docx()
    d.add_heading("Title", 1)
    d.add_paragraph("Body text")
    d.save(buf)
    return [docgen.pdf(["Some text", b"scan"]), buf.getvalue(), docgen.image_bytes("PNG"),
            docgen.image_bytes("JPEG"), docgen.image_bytes("WEBP"), "中文文本".encode("gb18030")]


VALID = _valid_samples()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(VALID))), st.data(), st.sampled_from(EXTENSIONS))
def test_damaged_real_documents_under_any_name(index, data, name):
    sample = bytearray(VALID[index])
    how = data.draw(st.sampled_from(["truncate", "flip", "splice"]))
    pos = data.draw(st.integers(0, len(sample) - 1))
    if how == "truncate":
        sample = sample[:pos]
    elif how == "flip":
        for _ in range(data.draw(st.integers(1, 20))):
            sample[data.draw(st.integers(0, len(sample) - 1))] ^= data.draw(st.integers(1, 255))
    else:
        sample[pos:pos] = data.draw(st.binary(min_size=1, max_size=200))
    _only_bad_input_errors(bytes(sample), name)
