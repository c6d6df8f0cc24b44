"""The page's strings: one catalogue per language, the same keys and placeholders, none written in app.py."""

from __future__ import annotations

import ast
import re
import string

from glyph_web.ui import text
from glyph_web.ui.text import LANGS, catalogue, pick_lang, t

from conftest import ROOT

VISIBLE = {"label", "placeholder", "title", "info", "value"}
SHOWS_FIRST_ARGUMENT = {"Button", "Markdown", "Warning", "Info", "DownloadButton", "Accordion"}


def _fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name is not None}


def test_both_catalogues_hold_the_same_keys_and_placeholders():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh) and len(en) > 50
    for key in en:
        assert _fields(en[key]) == _fields(zh[key]), key
        assert zh[key].strip() and zh[key] != en[key] or key in ("dpi",), key
    # the Chinese catalogue is Chinese: most strings hold CJK characters
    assert sum(bool(re.search("[\u4e00-\u9fff]", v)) for v in zh.values()) > 0.9 * len(zh)


def test_lookup_fills_in_and_browser_tags_pick_a_language():
    assert t("zh", "page_caption", n=3) == "第 3 页" and t("en", "page_caption", n=3) == "page 3"
    assert t("fr", "send") == "Send"  # an unknown language falls back to English
    assert [pick_lang(tag) for tag in ("zh-CN", "zh-Hant-TW", "ZH", "en-GB", "de", "", None)] == \
        ["zh", "zh", "zh", "en", "en", "en", "en"]
    assert LANGS == ("en", "zh") and text.TEXT["send"] == "Send"


UI_CODE = ("app.py", "handlers.py")  # the page's layout and its handlers


def test_the_ui_code_writes_no_visible_string_itself():
    offenders = []
    for name in UI_CODE:
        tree = ast.parse((ROOT / "glyph_web" / "ui" / name).read_text(encoding="utf-8"))
        offenders += [(name, *offender) for offender in _visible_literals(tree)]
    assert offenders == []


def _visible_literals(tree: ast.AST) -> list[tuple]:
    offenders = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        for keyword in node.keywords:
            if keyword.arg in VISIBLE and isinstance(keyword.value, ast.Constant) and \
                    isinstance(keyword.value.value, str) and keyword.value.value.strip():
                offenders.append((node.lineno, keyword.arg, keyword.value.value))
        if name in SHOWS_FIRST_ARGUMENT and node.args and isinstance(node.args[0], ast.Constant) and \
                isinstance(node.args[0].value, str) and node.args[0].value.strip():
            offenders.append((node.lineno, name, node.args[0].value))
    return offenders


def test_the_page_says_messages_by_key_not_by_pattern():
    source = "".join((ROOT / "glyph_web" / "ui" / name).read_text(encoding="utf-8") for name in UI_CODE)
    assert not hasattr(text, "localize") and not hasattr(text, "_MESSAGES") and "localize(" not in source
    assert "say(" in source


def test_messages_of_the_documents_module_and_the_renderer_are_translated(tmp_path):
    """Refusals and notes reach the page as they were made (by key), and the page says them in its language."""
    import pytest

    from glyph_web.documents import from_text, load_bytes
    from glyph_web.documents.model import Limits
    from glyph_web.errors import GlyphError, PageLimitError, say
    from glyph_web.render import RenderConfig, render_text

    messages = []
    for make in (lambda: from_text("   "), lambda: load_bytes(bytes(range(256)) * 8, "data.txt", Limits()),
                 lambda: load_bytes(b"x" * 5000, "big.txt", Limits(max_upload_mb=0.001)),
                 lambda: load_bytes(b"", "empty.txt", Limits()),
                 lambda: load_bytes(b"PK\x03\x04broken", "report.docx", Limits())):
        with pytest.raises(GlyphError) as caught:
            make()
        messages.append(caught.value)
    messages.append(PageLimitError(120, 100, estimated=True))
    config = RenderConfig.preset("en").replace(font_path=str(tmp_path / "NoSuchFont.ttf"))
    messages += render_text("plain ሀ words", config).warnings  # the font fallback and the missing characters
    assert len(messages) == 8
    messages += _refusals()
    assert len(messages) == 16
    messages += _more_refusals_and_notes()
    assert len(messages) == 30
    for message in messages:
        english = str(message)
        zh = say(message, "zh")
        assert zh != english and re.search("[\u4e00-\u9fff]", zh), english
        assert say(message, "en") == english
    assert say("Something nobody wrote a translation for.", "zh") == "Something nobody wrote a translation for."
    fallback = next(m for m in messages if str(m).startswith("Font NoSuchFont.ttf was not found"))
    assert "请让 font-path 指向一个存在的 .ttf 或 .ttc 文件" in say(fallback, "zh")  # the hint too
    assert "约 120" in say(messages[5], "zh")


def _refusals() -> list:
    """The documents module's refusals of damaged, protected and odd uploads, as it raises them."""
    import io
    import zipfile

    import docx
    import pytest
    from PIL import Image

    import docgen
    from glyph_web.documents import load_bytes
    from glyph_web.documents.model import Limits
    from glyph_web.errors import GlyphError
    from docgen import rezip, to_bytes

    strip = io.BytesIO()
    Image.new("RGB", (4000, 10)).save(strip, "PNG")
    word = to_bytes(docx.Document())
    with zipfile.ZipFile(io.BytesIO(word)) as zf:
        types = zf.read("[Content_Types].xml").decode().replace(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            "application/vnd.ms-word.document.macroEnabled.main+xml")
    uploads = [("bad.pdf", b"%PDF-1.4\n1 0 obj garbage"), ("secret.pdf", docgen.encrypt(docgen.pdf(["hi"]), "pw")),
               ("fake.jpg", b"\xff\xd8\xff\xe0" + b"x" * 50), ("strip.png", strip.getvalue()),
               ("cut.png", docgen.png_header_only(100, 100)),
               ("broken.docx", rezip(word, {"word/document.xml": b"<broken"})),
               ("macro.docm", rezip(word, {"[Content_Types].xml": types.encode()})),
               ("bom.txt", b"\xff\xfe" + "hello".encode("utf-16-le") + b"\x00\xd8")]
    out = []
    for name, data in uploads:
        with pytest.raises(GlyphError) as caught:
            load_bytes(data, name, Limits())
        out.append(caught.value)
    return out


def _more_refusals_and_notes() -> list:
    """The rarer refusals, and the notes a document comes with, as the documents module makes them."""
    import io
    import zipfile

    import docx
    import pytest

    import docgen
    from glyph_web.documents import load_bytes
    from glyph_web.documents.docx import load_docx
    from glyph_web.documents.model import Document, Limits, TextPart
    from glyph_web.errors import GlyphError
    from glyph_web.render import render_document
    from docgen import to_bytes

    def refusal(make) -> GlyphError:
        with pytest.raises(GlyphError) as caught:
            make()
        return caught.value

    def notes(data: bytes, name: str) -> list:
        return load_bytes(data, name, Limits()).warnings

    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        for i in range(10_000):
            zf.writestr(f"word/media/{i}.bin", b"")
    long_word = docx.Document()
    long_word.add_paragraph("x" * (2 * 1024 * 1024))
    empty_word, pictured = docx.Document(), docx.Document()
    pictured.add_paragraph("A caption.")
    pictured.add_picture(io.BytesIO(docgen.image_bytes("PNG")))
    out = [
        refusal(lambda: load_bytes(b"GIF89a" + b"\x00" * 20, "anim.gif", Limits())),
        refusal(lambda: load_bytes(workbook.getvalue(), "sheet.xlsx", Limits())),
        refusal(lambda: load_bytes(many.getvalue(), "many.docx", Limits())),
        refusal(lambda: load_bytes(to_bytes(long_word), "big.docx", Limits(docx_max_unpacked_mb=1.5))),
        refusal(lambda: load_bytes(docgen.image_bytes("PNG"), "photo.png", Limits(max_pages=0))),
        refusal(lambda: load_bytes(docgen.pdf([b"scan"] * 3), "scans.pdf", Limits(max_pages=2))),
        refusal(lambda: load_bytes(docgen.png_header_only(12_000, 9_000), "huge.png", Limits())),
        refusal(lambda: render_document(Document(name="blank.txt", kind="text", parts=[TextPart("   ")],
                                                 sha256="0" * 64))),
        notes(docgen.pdf(["Some text."]), "notes.txt")[0],
        load_docx(to_bytes(empty_word), "empty.docx", Limits()).warnings[0],  # load_bytes refuses it now
        notes(to_bytes(pictured), "pictured.docx")[0],
        notes("café au lait, naïve façade".encode("cp1252"), "menu.txt")[0],
        *notes(docgen.pdf(["Some text.", b"scan", ""]), "mixed.pdf"),
    ]
    return out


def test_the_export_speaks_the_page_language_and_the_english_default_matches_the_catalogue():
    from glyph_web.chat import EXPORT_WORDS, Conversation, Turn

    assert {key: catalogue("en")[key] for key in EXPORT_WORDS} == EXPORT_WORDS
    conversation = Conversation(turns=[Turn("几天内付款？", answer="三十日。", raw="三十日。", status="stopped")])
    zh = conversation.to_markdown(None, words=lambda key, **values: t("zh", key, **values))
    assert zh.startswith("# Glyph 对话：无文档") and "## 问题 1" in zh and "**回答**" in zh and "（在结束前停止）" in zh
    assert conversation.to_markdown(None).startswith("# Glyph conversation: no document")
