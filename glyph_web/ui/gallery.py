"""The pages gallery: what the page shows of a prepared document's pages. No torch here."""

from __future__ import annotations

from glyph_web.chat import PreparedDocument
from glyph_web.ui.text import t


def gallery(prepared: PreparedDocument, lang: str) -> list:
    return [(img, t(lang, "page_caption", n=n)) for n, img in enumerate(prepared.pages.images, 1)]
