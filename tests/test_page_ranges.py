"""Page ranges ("1-40", "3,5-9", "10-"): the syntax and its refusals, what they choose in each kind of document,
that budgets count only the chosen pages, and the front doors that pass them on (Library.prepare, the CLI)."""

from __future__ import annotations

import pytest

from glyph_web import poppler
from glyph_web.contracts import RenderOptions
from glyph_web.documents import (DocumentError, ImagePart, Limits, PageRanges, load_bytes, load_files, load_paths,
                                 parse_pages)
from glyph_web.errors import catalogue

import docgen
from test_cli import run

# --- the syntax ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, ranges, shown", [
    ("1-40", ((1, 40),), "1-40"),
    ("3,5-9", ((3, 3), (5, 9)), "3, 5-9"),
    ("10-", ((10, None),), "10-"),
    (" 1 - 4 , 7 ", ((1, 4), (7, 7)), "1-4, 7"),
    ("1–4，7、９-", ((1, 4), (7, 7), (9, None)), "1-4, 7, 9-"),  # en dash, Chinese commas, a full-width digit
    ("5-9,1-3,2", ((5, 9), (1, 3), (2, 2)), "5-9, 1-3, 2"),
])
def test_ranges_are_parsed_one_based_and_inclusive(text, ranges, shown):
    parsed = parse_pages(text)
    assert parsed == PageRanges(ranges) and str(parsed) == shown
    assert parse_pages(parsed) is parsed  # parsed once, passed on as it is


@pytest.mark.parametrize("text", [None, "", "  ", " \t"])
def test_no_range_means_every_page(text):
    assert parse_pages(text) is None


def test_chosen_pages_are_in_document_order_each_once_and_within_the_document():
    ranges = parse_pages("9-12, 2, 1-3, 30-")
    assert ranges.numbers(10) == [1, 2, 3, 9, 10]
    assert ranges.numbers(40) == [1, 2, 3, 9, 10, 11, 12, *range(30, 41)]
    assert ranges.includes(1) and not ranges.includes(5) and ranges.includes(10_000)


@pytest.mark.parametrize("text, words", [
    ("0", "“0” names page 0: pages are counted from 1."),
    ("3-0", "“3-0” names page 0"),
    ("9-5", "“9-5” runs backwards: write 5-9."),
    ("abc", "has “abc”, which is not a page or a range of pages: write pages like 1-40, 3,5-9 or 10-"),
    ("1-2-3", "has “1-2-3”, which is not a page"),
    ("-5", "has “-5”, which is not a page"),
    ("1,,2", "which is not a page"),
    ("1.5", "has “1.5”, which is not a page"),
    ("12345678", "“12345678” names a page past 1,000,000"),
    ("1" * 201, "The page range is 201 characters long, over the 200 allowed"),
    (",".join(["1"] * 51), "The page range has 51 items, over the 50 allowed"),
])
def test_bad_ranges_are_refused_clearly(text, words):
    with pytest.raises(DocumentError) as refused:
        parse_pages(text)
    assert words in str(refused.value)
    assert refused.value.key in catalogue("zh") and refused.value.render("zh") != str(refused.value)


# --- PDF: only the chosen pages are read ----------------------------------------------------------------------


def _pdf(count: int, scans: tuple[int, ...] = ()) -> bytes:
    return docgen.pdf([b"scan" if n in scans else f"Text of page {n}" for n in range(1, count + 1)])


def test_pdf_reads_only_the_chosen_pages_and_says_which(monkeypatch):
    from glyph_web.documents import pdf_layout

    read = []
    read_one = pdf_layout._read_one
    monkeypatch.setattr(pdf_layout, "_read_one", lambda *a, **k: read.append(1) or read_one(*a, **k))
    doc = load_bytes(_pdf(12), "report.pdf", pages="3,5-6,11-")
    assert doc.text == "\n".join(f"Text of page {n}" for n in (3, 5, 6, 11, 12))
    assert len(read) == 5  # the other pages' text is never extracted
    assert doc.warnings == ["report.pdf: pages 3, 5-6, 11-12 of 12 are read."]
    (one,) = load_bytes(_pdf(12), "report.pdf", pages="4").warnings
    assert one == "report.pdf: page 4 of 12 is read."
    assert "读取了第 4 页（共 12 页）" in one.render("zh")


def test_pdf_scans_are_rasterised_only_for_the_chosen_pages(monkeypatch):
    asked = []
    rasterize = poppler.rasterize
    monkeypatch.setattr(poppler, "rasterize", lambda pdf, dpi, ranges, *a, **k:
                        asked.append([(job[0], job[1]) for job in ranges]) or rasterize(pdf, dpi, ranges, *a, **k))
    doc = load_bytes(_pdf(8, scans=(2, 3, 6, 7)), "mixed.pdf", pages="1-3,8")
    assert asked == [[(2, 3)]]  # one pdftoppm job for the chosen scans, none for pages 6-7
    assert [p.label for p in doc.parts if isinstance(p, ImagePart)] == ["mixed.pdf, page 2", "mixed.pdf, page 3"]
    assert doc.text == "Text of page 1\nText of page 8"


def test_budgets_count_only_the_chosen_pages():
    from glyph_web.contracts import MAX_CHARS_PER_PAGE

    page = "\n".join(["tide table " * 10] * 120)  # 13,200 characters: two such pages fit one page's budget
    assert 2 * len(page) < MAX_CHARS_PER_PAGE < 3 * len(page)
    data = docgen.pdf([page] * 3, fontsize=4)
    limits = Limits(max_pages=1)
    with pytest.raises(DocumentError, match=r"over 30,000 characters by page 3\): choose fewer pages"):
        load_bytes(data, "d.pdf", limits)
    assert load_bytes(data, "d.pdf", limits, pages="2-3").characters > 2 * 13_000
    with pytest.raises(DocumentError, match="4 pages without text"):
        load_bytes(_pdf(6, scans=(1, 2, 3, 4)), "s.pdf", Limits(max_pages=3))
    assert len(load_bytes(_pdf(6, scans=(1, 2, 3, 4)), "s.pdf", Limits(max_pages=3), pages="3-").images) == 2


def test_a_range_past_the_end_reads_what_there_is_and_one_with_no_page_is_refused():
    doc = load_bytes(_pdf(5), "short.pdf", pages="4-40")
    assert doc.text == "Text of page 4\nText of page 5"
    assert doc.warnings == ["short.pdf: pages 4-5 of 5 are read."]
    with pytest.raises(DocumentError, match=r"^short.pdf has 5 pages, and the page range 6-9 names none of them.$"):
        load_bytes(_pdf(5), "short.pdf", pages="6-9")


def test_chosen_pages_that_are_blank_are_refused_as_nothing_to_read():
    data = docgen.pdf(["Some text", None, None])
    with pytest.raises(DocumentError, match=r"^b.pdf has nothing to read: the pages read hold no text and are blank"):
        load_bytes(data, "b.pdf", pages="2-3")


# --- pictures, Word and text ----------------------------------------------------------------------------------


def test_a_picture_is_page_one():
    png = docgen.image_bytes("PNG")
    assert len(load_bytes(png, "chart.png", pages="1-3").images) == 1
    assert load_bytes(png, "chart.png", pages="1").warnings == []
    with pytest.raises(DocumentError, match=r"^chart.png is a picture, which is page 1, and the page range 2- leaves"):
        load_bytes(png, "chart.png", pages="2-")


def test_word_and_text_files_are_read_whole_and_say_so():
    import io

    from docx import Document as Docx

    buf = io.BytesIO()
    word = Docx()
    word.add_paragraph("Body of the memo")
    word.save(buf)
    memo = load_bytes(buf.getvalue(), "memo.docx", pages="2-3")
    assert memo.text == "Body of the memo"
    assert memo.warnings == ["memo.docx is a Word document, which has no pages of its own: all of it is read (page "
                             "ranges apply to PDFs and pictures only)."]
    notes = load_bytes(b"line one\nline two\n", "notes.txt", pages="2")
    assert notes.text == "line one\nline two\n" and "notes.txt is text, which has no pages" in notes.warnings[0]
    assert load_bytes(b"line one", "notes.txt").warnings == []


def test_several_files_get_the_same_range_each_and_a_bad_range_is_refused_before_any_is_read(tmp_path):
    (tmp_path / "a.pdf").write_bytes(_pdf(3))
    (tmp_path / "b.pdf").write_bytes(_pdf(9))
    (tmp_path / "c.txt").write_text("Notes")
    doc = load_files([tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.txt"], pages="2-4")
    assert doc.text == ("===== a.pdf =====\nText of page 2\nText of page 3\n\n===== b.pdf =====\nText of page 2\n"
                        "Text of page 3\nText of page 4\n\n===== c.txt =====\nNotes")
    assert doc.warnings[:2] == ["a.pdf: pages 2-3 of 3 are read.", "b.pdf: pages 2-4 of 9 are read."]
    with pytest.raises(DocumentError, match="runs backwards"):  # not "does not exist": the range goes first
        load_paths([tmp_path / "missing.pdf"], pages="4-2")


def test_library_prepare_passes_the_password_and_the_pages_on(tmp_path):
    from glyph_web.chat.library import Library

    (tmp_path / "locked.pdf").write_bytes(docgen.encrypt(_pdf(6), "s3cret"))
    library = Library()
    with pytest.raises(DocumentError, match="protected by a password"):
        library.prepare([tmp_path / "locked.pdf"], None, RenderOptions())
    prepared = library.prepare([tmp_path / "locked.pdf"], "pasted notes", RenderOptions(), password="s3cret",
                               pages="5-")
    assert prepared.doc.text.splitlines()[1:3] == ["Text of page 5", "Text of page 6"]
    assert "pasted notes" in prepared.doc.text and "locked.pdf: pages 5-6 of 6 are read." in prepared.doc.warnings
    with pytest.raises(DocumentError, match="names page 0"):
        library.prepare([tmp_path / "locked.pdf"], None, RenderOptions(), password="s3cret", pages="0-3")


# --- the CLI --------------------------------------------------------------------------------------------------


def test_cli_pages_narrow_extract_and_render(tmp_path):
    (tmp_path / "r.pdf").write_bytes(_pdf(12))
    proc = run("extract", tmp_path / "r.pdf", "--pages", "2-3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "Text of page 2\nText of page 3\n"
    assert "warning: r.pdf: pages 2-3 of 12 are read." in proc.stderr.decode()
    proc = run("render", tmp_path / "r.pdf", "--pages", "12", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert '"characters": 15' in proc.stdout.decode() and "page 12 of 12 is read" in proc.stderr.decode()


@pytest.mark.parametrize("command", ["extract", "render", "ask"])
def test_cli_bad_range_is_one_line_and_exit_2(tmp_path, command):
    (tmp_path / "r.pdf").write_bytes(_pdf(2))
    extra = {"extract": [], "render": ["--out", tmp_path / "o"], "ask": ["What?", "--model", tmp_path / "none"]}
    proc = run(command, tmp_path / "r.pdf", *extra[command], "--pages", "5-1")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err == "error: The page range “5-1” runs backwards: write 1-5.\n"
    assert not (tmp_path / "o").exists()


def test_cli_adds_its_flags_to_a_page_limit_refusal(tmp_path):
    (tmp_path / "s.pdf").write_bytes(_pdf(3, scans=(1, 2, 3)))
    proc = run("extract", tmp_path / "s.pdf", "--max-pages", "2")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1
    assert "over the limit of 2 pages: choose pages (e.g. 1-2), or split the file. Choose pages of a PDF with " \
           "--pages (e.g. --pages 1-40), or raise the limit with --max-pages or GLYPH_MAX_PAGES." in err
    assert run("extract", tmp_path / "s.pdf", "--max-pages", "2", "--pages", "2-").returncode == 0
