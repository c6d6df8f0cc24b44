"""Prepared documents: uploads read, rendered and kept server-side (page images are large), by id.

No torch, no gradio. A PreparedDocument is a document set with its rendered pages, the key its caches go by,
its identifiers and the evidence of an answer; the Library keeps them within a count and a byte budget.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from glyph_web.contracts import RenderOptions
from glyph_web.documents import Document, Limits, combine, from_text, load_paths
from glyph_web.errors import GlyphError
from glyph_web.render import RenderConfig, RenderedPages, render_document
from glyph_web.render.cache import MB, PageCache, pages_bytes
from glyph_web.render.fonts import resolve_font

logger = logging.getLogger(__name__)

# Page images kept between requests, uncompressed (--cache-mb): half for prepared documents, half for the page
# cache. Pages the two share (the usual case) are counted by both, so the real total is often less.
DEFAULT_CACHE_MB = 2048


@dataclass
class PreparedDocument:
    """A document (or set) with its rendered pages; `key` names the pages for caches."""

    id: str
    doc: Document
    pages: RenderedPages
    key: str
    text_tokens: int | None = None  # of the model's tokenizer, when loaded
    _identifiers: list | None = field(default=None, repr=False)
    _page_maps: list | None = field(default=None, repr=False)

    @property
    def identifiers(self) -> list:
        """The long exact strings of the text (UUIDs, serials, hashes, IBANs...), found once."""
        if self._identifiers is None:
            from glyph_web.chat.identifiers import find_identifiers

            self._identifiers = find_identifiers(self.doc.text)
        return self._identifiers

    def evidence(self, answer: str, limit: int = 3) -> list:
        """Where the answer's quotes, figures and names stand in the document: pages and boxes (only passages
        that occur exactly once in the text the pages show; nothing rather than a wrong place)."""
        from glyph_web.chat.evidence import find_evidence

        return find_evidence(answer, self.page_maps(), limit=limit) if answer.strip() else []

    def page_maps(self) -> list:
        """Per page, the drawn text with each character's box (None for pages the fast engine did not lay out)."""
        if self._page_maps is None:
            from glyph_web.render.textmap import page_text

            layouts = self.pages.layouts or [None] * len(self.pages.images)
            self._page_maps = [page_text(layout, self.pages.config, layout.font) if layout is not None else None
                               for layout in layouts]
        return self._page_maps

    def question_for_model(self, question: str) -> str:
        """The question with the identifiers it is about after it, as plain text (itself when there are none)."""
        from glyph_web.chat.identifiers import with_hint

        if self.doc is None or not self.doc.text.strip():  # image pages only: no text to take codes from
            return question
        return with_hint(question, self.doc.text, self.identifiers)[0]

    @property
    def visual_tokens(self) -> int:
        return sum(self.pages.visual_tokens)

    @property
    def compression(self) -> float | None:
        """Text tokens per visual token: how much the rendering saves."""
        if not self.text_tokens or not self.visual_tokens:
            return None
        return self.text_tokens / self.visual_tokens

    def summary(self) -> dict:
        return {"name": self.doc.name, "pages": len(self.pages.images), "characters": self.doc.characters,
                "visual_tokens": self.visual_tokens, "text_tokens": self.text_tokens,
                "compression": None if self.compression is None else round(self.compression, 2),
                "dpi": self.pages.config.dpi, "warnings": list(self.pages.warnings)}


class Library:
    """Prepared documents by id, least recently used first out; renders through a PageCache.

    Bounded by a count and by bytes: the page images the documents hold, uncompressed (pages shared by two
    documents, as the page cache hands them out, count once). The newest document is always kept, even alone
    over the budget (someone is about to ask about it). `cache_mb` is shared: half for these documents, half
    for the page cache made here (pass `page_cache` to choose its own).
    """

    def __init__(self, limits: Limits | None = None, max_documents: int = 32, page_cache: PageCache | None = None,
                 cache_mb: float = DEFAULT_CACHE_MB):
        self.limits = limits or Limits()
        self.max_bytes = int(cache_mb * MB / 2)
        self.page_cache = page_cache if page_cache is not None else PageCache(max_bytes=self.max_bytes)
        self.max_documents = max_documents
        self._docs: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._held: dict[int, list[int]] = {}  # id(pages) -> [bytes, documents holding them]
        self._bytes = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """Memory the kept documents' pages hold, uncompressed."""
        with self._lock:
            return self._bytes

    def prepare(self, paths: list[str | Path], text: str | None, options: RenderOptions,
                count_tokens: Callable[[str], int | None] = lambda text: None, password: str | None = None,
                pages: str | None = None) -> PreparedDocument:
        """Read the uploads (or the pasted text), render them, and keep the result. GlyphError on bad input.
        `password` opens encrypted PDFs; `pages` ("1-40", "3,5-9", "10-") narrows the uploads' PDFs to those
        pages (see glyph_web.documents.pages; pasted text is always read whole)."""
        # within the page limit before any more pictures are decoded
        docs = load_paths(paths, self.limits, password, pages)
        if text and text.strip():
            docs.append(from_text(text, limits=self.limits))
        if not docs:
            raise GlyphError("chat.add_document_first")
        return self.prepare_documents(docs, options, count_tokens)

    def prepare_documents(self, docs: list[Document], options: RenderOptions,
                          count_tokens: Callable[[str], int | None] = lambda text: None,
                          keep: bool = True) -> PreparedDocument:
        """Render documents already read (the API's file and image parts) as one set, and keep the result
        (unless `keep` is False: the API asks once and never comes back for it; its pages still go through the
        page cache)."""
        doc = combine(docs)
        config = RenderConfig.for_options(doc.text, options)
        fonts_dir = Path(options.fonts_dir) if options.fonts_dir else None
        # The font actually used is part of the pixels: a training font fetched while the app runs must not
        # meet pages (or a KV cache) made with the fallback.
        font = resolve_font(config, doc.text, fonts_dir)
        pixels_key = f"{config.cache_key()}:{options.engine}:{font.path}:{font.index}"
        pages = self.page_cache.get_or_render(f"{doc.sha256}:{pixels_key}:{options.max_pages}", lambda: render_document(
            doc, config, engine=options.engine, fonts_dir=fonts_dir, max_pages=options.max_pages))
        tokens = count_tokens(doc.text) if doc.text.strip() else None
        prepared = PreparedDocument(id=f"d{next(self._ids)}", doc=doc, pages=pages, key=f"{doc.sha256}:{pixels_key}",
                                    text_tokens=tokens)
        if keep:
            self._keep(prepared)
        return prepared

    def _keep(self, prepared: PreparedDocument) -> None:
        size = pages_bytes(prepared.pages)  # measured outside the lock
        with self._lock:
            self._docs[prepared.id] = prepared
            held = self._held.setdefault(id(prepared.pages), [size, 0])
            if held[1] == 0:
                self._bytes += size
            held[1] += 1
            while len(self._docs) > 1 and (len(self._docs) > self.max_documents or self._bytes > self.max_bytes):
                _, old = self._docs.popitem(last=False)
                held = self._held[id(old.pages)]
                held[1] -= 1
                if held[1] == 0:
                    del self._held[id(old.pages)]
                    self._bytes -= held[0]

    def get(self, doc_id: str | None) -> PreparedDocument | None:
        with self._lock:
            found = self._docs.get(doc_id) if doc_id else None
            if found is not None:
                self._docs.move_to_end(doc_id)
            return found
