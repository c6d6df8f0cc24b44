"""What the stats line and the compression panel show a person: pages in numeric order with their two bars side
by side, totals that count the whole text even where the reference engine drew the pages, the KV comparison
whenever the model's configuration is known, and the tiny demo model's toy figures marked as not Glyph's.

Documents are really read and rendered, on small pages (a 240x160 pt page holds a few hundred characters), so
that a dozen pages cost little; an emoji (above U+FFFF) makes the fast engine leave a text to the reference
engine (reportlab and poppler).
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import replace

import pytest

from glyph_web.backends.gate import Admission
from glyph_web.chat import Library, RenderOptions
from glyph_web.chat.compression import estimate_tokens
from glyph_web.chat.conversation import Conversations
from glyph_web.contracts import ModelState
from glyph_web.documents import from_text
from glyph_web.documents.model import Document, ImagePart
from glyph_web.settings import Settings
from glyph_web.ui.figures import compression_panel, stats_text
from glyph_web.ui.handlers import PageHandlers, Sessions
from glyph_web.ui.text import t

from fakes import READY, FakeBackend

GLM41V_9B = {"layers": 40, "heads": 2, "dim": 128, "bytes": 2}  # Glyph's text model
LINES = "\n".join(f"Line {n}: the harbour master logged {n % 50} ships." for n in range(130))
ROCKET = LINES + "\nThe last boat carried a rocket 🚀 for the fair."  # above U+FFFF: the reference engine draws it
CJK = re.compile("[\u4e00-\u9fff]")


class KnownBackend(FakeBackend):
    """A FakeBackend whose model's configuration is known."""

    def __init__(self, geometry=GLM41V_9B, **kwargs):
        super().__init__(**kwargs)
        self.geometry = geometry

    def kv_geometry(self):
        return dict(self.geometry) if self.geometry else None


class Untokenized(KnownBackend):
    """No tokenizer (not loaded yet): text tokens are estimated."""

    def count_tokens(self, text):
        return None


@pytest.fixture
def small_pages(tmp_path, empty_fonts_dir) -> RenderOptions:
    config = tmp_path / "small.json"
    config.write_text(json.dumps({"page-size": "240,160", "dpi": 72, "margin-x": 10, "margin-y": 10,
                                  "font-path": "DejaVuSans.ttf", "font-size": 9, "line-height": 10,
                                  "alignment": "LEFT", "auto-crop-width": True, "auto-crop-last-page": True}))
    return RenderOptions(fonts_dir=str(empty_fonts_dir), config_path=str(config))


def prepare(text_or_docs, options, backend=None):
    library = Library()
    count = (backend or FakeBackend()).count_tokens
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(text_or_docs, str):
            return library.prepare([], text_or_docs, options, count)
        return library.prepare_documents(text_or_docs, options, count)


def table(panel: str) -> list[list[str]]:
    """The panel's table as cells, header and rule left out (the total row last)."""
    rows = [line for line in panel.splitlines() if line.startswith("|")][2:]
    return [[cell.strip().strip("*") for cell in row.strip("|").split("|")] for row in rows]


def number(cell: str) -> int:
    return int(cell.lstrip("≈").replace(",", ""))


# --- the chart -----------------------------------------------------------------------------------------------


def test_the_chart_lists_pages_in_numeric_order_with_the_text_bar_beside_the_visual_bar(small_pages):
    prepared = prepare(LINES, small_pages)
    assert prepared.pages.fallback is None and len(prepared.pages.images) >= 11  # pages 10, 11 sort after 2
    _, data = compression_panel(prepared, FakeBackend(), "en")
    pages = len(prepared.pages.images)
    assert list(data["number"]) == [n for n in range(1, pages + 1) for _ in (0, 1)]
    # bars are labelled so that sorting the labels as text (Vega-Lite's default) keeps pages in numeric order
    assert list(data["page"]) == sorted(data["page"]) and data["page"].is_unique
    assert list(data["page"][:4]) == ["01 · text", "01 · visual", "02 · text", "02 · visual"]
    # one bar per label: side by side, nothing stacked; colours by kind
    assert list(data["kind"]) == [t("en", "compression_table_text"), t("en", "compression_table_visual")] * pages
    assert list(data["tokens"][1::2]) == prepared.pages.visual_tokens
    texts = prepared.pages.page_texts
    assert list(data["tokens"][0::2]) == [len(text.split()) for text in texts]  # FakeBackend: a token a word
    zh = compression_panel(prepared, FakeBackend(), "zh")[1]
    assert list(zh["page"][:2]) == ["01 · 文本", "01 · 视觉"] and list(zh["page"]) == sorted(zh["page"])


# --- a document the reference engine drew ---------------------------------------------------------------------


def test_a_fallback_documents_totals_are_its_texts_counts(small_pages):
    prepared = prepare(ROCKET, small_pages)
    assert prepared.pages.fallback and prepared.pages.layouts is None  # the reference engine drew every page
    text = prepared.doc.text
    panel, data = compression_panel(prepared, KnownBackend(), "en")
    rows = table(panel)
    *pages, total = rows
    assert total[0] == "Total" and number(total[1]) == len(text) > 0
    assert number(total[2]) == len(text.split()) > 0 and number(total[3]) == prepared.visual_tokens
    # each page's share, marked as such, adds up to the total; a fuller page holds a larger share
    assert len(pages) == len(prepared.pages.images) and all(row[1].startswith("≈") for row in pages)
    assert sum(number(row[2]) for row in pages) == number(total[2])
    assert number(pages[0][2]) > number(pages[-1][2])  # the auto-cropped last page is smaller
    assert t("en", "compression_shared") in panel and "–" not in panel
    # the chart says the text bars are shared out
    assert set(data["kind"][0::2]) == {t("en", "compression_plot_shared")} and data["tokens"].sum() > 0
    # with the configuration known, the KV comparison is there (it needed text tokens, which were all 0)
    assert "KV cache the model would need" in panel and t("en", "compression_kv_unknown") not in panel
    # without a tokenizer the whole text is estimated, never 0
    estimated = table(compression_panel(prepared, Untokenized(), "en")[0])[-1]
    assert number(estimated[2]) == estimate_tokens(text)


def test_pages_of_a_set_are_placed_by_part_text_image_and_reference_drawn(small_pages):
    from PIL import Image

    picture = Image.new("RGB", (300, 200), "white")
    scan = Document(name="scan.png", kind="image", parts=[ImagePart(picture, "scan.png")], sha256="0" * 64)
    fast, rocket = from_text(LINES, name="log.txt"), from_text("A rocket 🚀 for the fair.", name="fair.txt")
    prepared = prepare([fast, scan, rocket], small_pages)
    parts, texts = prepared.pages.page_parts, prepared.pages.page_texts
    image_page = next(n for n, img in enumerate(prepared.pages.images, 1) if img is picture)
    *rows, total = table(compression_panel(prepared, FakeBackend(), "en")[0])
    assert rows[image_page - 1][1:3] == ["–", "–"]  # a picture holds no text
    laid_out = [n for n, text in enumerate(texts, 1) if text is not None]
    assert all(not rows[n - 1][1].startswith("≈") for n in laid_out)
    drawn = [n for n, text in enumerate(texts, 1) if text is None and n != image_page]
    assert drawn and all(rows[n - 1][1].startswith("≈") for n in drawn)
    assert {parts[n - 1] for n in drawn} == {len(prepared.doc.parts) - 1}  # the emoji's part, the last
    assert sum(number(rows[n - 1][1]) for n in drawn) == len(prepared.doc.parts[-1].text)
    assert number(total[3]) == prepared.visual_tokens


# --- the KV comparison ---------------------------------------------------------------------------------------


def test_the_kv_comparison_shows_whenever_the_configuration_is_known(small_pages):
    prepared = prepare(LINES, small_pages)
    known = compression_panel(prepared, KnownBackend(), "en")[0]
    assert "KV cache the model would need" in known and "40 layers × 2 KV heads × 128 head size" in known
    assert "once the model is loaded" not in known
    assert "40 层 × 2 个 KV 头" in compression_panel(prepared, KnownBackend(), "zh")[0]
    loading = KnownBackend(None, state=ModelState(status="loading", model="zai-org/Glyph"))
    assert t("en", "compression_kv_unknown") in compression_panel(prepared, loading, "en")[0]
    remote = KnownBackend(None)  # ready, but the configuration lives with a remote server
    said = compression_panel(prepared, remote, "en")[0]
    assert t("en", "compression_kv_not_reported") in said and t("en", "compression_kv_unknown") not in said


def test_pictures_alone_have_no_text_to_compare(small_pages):
    from PIL import Image

    scan = Document(name="scan.png", kind="image", parts=[ImagePart(Image.new("RGB", (300, 200), "white"),
                                                                        "scan.png")], sha256="1" * 64)
    prepared = prepare([scan], small_pages)
    panel, data = compression_panel(prepared, KnownBackend(), "en")
    assert t("en", "compression_kv_no_text") in panel and list(data["tokens"])[0] == 0
    assert t("en", "stats_no_text") in stats_text(prepared, "en", KnownBackend())


# --- the tiny demo model -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_tiny_models_figures_are_marked_as_its_toy_tokenizers(small_pages, lang):
    tiny = KnownBackend(state=replace(READY, model="tiny", noise=True))
    prepared = prepare(LINES, small_pages, tiny)
    stats = stats_text(prepared, lang, tiny)
    panel = compression_panel(prepared, tiny, lang)[0]
    ratio = prepared.doc.characters / prepared.text_tokens
    assert t(lang, "stats_demo_tokenizer", chars=f"{ratio:.1f}") in stats
    assert t(lang, "compression_demo_tokenizer", chars=_ratio(panel)) in panel
    assert "Glyph" in stats and "Glyph" in panel
    if lang == "zh":
        assert CJK.search(stats.splitlines()[-1]) and CJK.search(panel.split("\n\n")[1])
    # Glyph's own model: no such note
    real = KnownBackend()
    assert t(lang, "stats_demo_tokenizer", chars=f"{ratio:.1f}") not in stats_text(prepared, lang, real)
    assert t(lang, "compression_demo_tokenizer", chars=_ratio(panel)) not in compression_panel(prepared, real,
                                                                                                lang)[0]


def _ratio(panel: str) -> str:
    total = table(panel)[-1]
    return f"{number(total[1]) / number(total[2]):.1f}"


# --- the stats line -------------------------------------------------------------------------------------------


def test_the_stats_line_counts_the_text_once_the_model_has_loaded(small_pages):
    prepared = prepare(LINES, small_pages, Untokenized())  # read before the model loaded
    assert prepared.text_tokens is None
    assert t("en", "stats_no_tokenizer") in stats_text(prepared, "en")
    later = stats_text(prepared, "en", FakeBackend())
    words = len(prepared.doc.text.split())
    assert f"{words:,} text tokens" in later and t("en", "stats_no_tokenizer") not in later


def test_the_page_shows_a_fallback_documents_totals_through_its_handler(tmp_path, empty_fonts_dir):
    settings = Settings(fonts_dir=str(empty_fonts_dir), log_dir=str(tmp_path / "logs"))
    exports = tmp_path / "exports"
    exports.mkdir()
    handlers = PageHandlers(KnownBackend(), settings, Library(), Admission(1, 4), Sessions(), exports, [])
    text = "The pilot boat Gull 🚤 needed a new engine.\n" * 40
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conv, _, stats, _, panel, data, *_ = handlers.prepare(None, text, 72, "br", Conversations(), "en")
    prepared = handlers.library.get(conv.doc_id)
    assert prepared.pages.fallback
    total = table(panel)[-1]
    assert number(total[1]) == len(prepared.doc.text) and number(total[2]) == len(prepared.doc.text.split())
    assert "KV cache the model would need" in panel and data["tokens"][0::2].sum() == number(total[2])
    assert f"{number(total[2]):,} text tokens" in stats  # the stats line counts the same text
