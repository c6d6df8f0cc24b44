"""Conversations over a set of documents: prepared pages, turns, streaming into turns, Markdown export.

No torch, no gradio. The UI (and later the API) keep per-user state as a Conversation (strings only, cheap to
copy) plus the id of a PreparedDocument held server-side in a Library, because page images are large.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from glyph_web.backends import AnswerRequest, Backend, GenerationSettings
from glyph_web.documents import Document, Limits, combine, from_text, load_paths
from glyph_web.errors import GlyphError
from glyph_web.render import RenderConfig, RenderedPages, render_document
from glyph_web.render.cache import MB, PageCache, pages_bytes
from glyph_web.render.fonts import resolve_font

logger = logging.getLogger(__name__)

# Page images kept between requests, uncompressed (--cache-mb): half for prepared documents, half for the page
# cache. Pages the two share (the usual case) are counted by both, so the real total is often less.
DEFAULT_CACHE_MB = 2048


@dataclass(frozen=True)
class RenderOptions:
    """How uploads become pages (the UI's settings panel)."""

    dpi: float = 72
    newline: str = "br"  # "br" or "marker"
    lang: str = "auto"
    config_path: str | None = None  # an official-format config file instead of the preset for lang
    engine: str = "fast"
    fonts_dir: str | None = None
    max_pages: int = Limits.max_pages


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
            from glyph_web.identifiers import find_identifiers

            self._identifiers = find_identifiers(self.doc.text)
        return self._identifiers

    def evidence(self, answer: str, limit: int = 3) -> list:
        """Where the answer's quotes, figures and names stand in the document: pages and boxes (only passages
        that occur exactly once in the text the pages show; nothing rather than a wrong place)."""
        from glyph_web.evidence import find_evidence

        return find_evidence(answer, self.page_maps(), limit=limit) if answer.strip() else []

    def page_maps(self) -> list:
        """Per page, the drawn text with each character's box (None for pages the fast engine did not lay out)."""
        if self._page_maps is None:
            from glyph_web.render.textmap import page_text

            layouts = self.pages.layouts or [None] * len(self.pages.images)
            self._page_maps = [page_text(entry[0], self.pages.config, entry[1]) if entry is not None else None
                               for entry in layouts]
        return self._page_maps

    def question_for_model(self, question: str) -> str:
        """The question with the identifiers it is about after it, as plain text (itself when there are none)."""
        from glyph_web.identifiers import with_hint

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
                count_tokens: Callable[[str], int | None] = lambda text: None) -> PreparedDocument:
        """Read the uploads (or the pasted text), render them, and keep the result. GlyphError on bad input."""
        docs = load_paths(paths, self.limits)  # within the page limit before any more pictures are decoded
        if text and text.strip():
            docs.append(from_text(text, limits=self.limits))
        if not docs:
            raise GlyphError("Add a document first: upload a file or paste some text.")
        return self.prepare_documents(docs, options, count_tokens)

    def prepare_documents(self, docs: list[Document], options: RenderOptions,
                          count_tokens: Callable[[str], int | None] = lambda text: None,
                          keep: bool = True) -> PreparedDocument:
        """Render documents already read (the API's file and image parts) as one set, and keep the result
        (unless `keep` is False: the API asks once and never comes back for it; its pages still go through the
        page cache)."""
        doc = combine(docs)
        base = (RenderConfig.from_file(options.config_path) if options.config_path
                else RenderConfig.for_text(doc.text, options.lang))
        config = base.replace(dpi=options.dpi, newline=options.newline)
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


@dataclass
class Turn:
    """One question and its answer as it streams in."""

    question: str
    answer: str = ""
    thinking: str = ""
    raw: str = ""  # the model's whole output with its tags: the history the next question builds on
    asked: str = ""  # the question as the model got it (with the identifier hint), when it differs
    status: str = "waiting"  # waiting | streaming | done | stopped | error
    error: str = ""
    usage: dict | None = None


@dataclass
class Conversation:
    """The turns of one user about one prepared document."""

    doc_id: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> tuple[tuple[str, str], ...]:
        """(question, raw answer) of the finished turns, the context of the next question."""
        return tuple((t.asked or t.question, t.raw) for t in self.turns if t.status in ("done", "stopped") and t.raw)

    def to_markdown(self, prepared: PreparedDocument | None, model: str = "",
                    words: Callable[..., str] | None = None) -> str:
        """The conversation as Markdown. `words(key, **values)` gives the headings in a language (the UI's
        catalogue lookup); without it they are English."""
        say = words or (lambda key, **values: EXPORT_WORDS[key].format(**values))
        name = prepared.doc.name if prepared else say("export_no_document")
        lines = [f"# {say('export_title', name=name)}", ""]
        if prepared:
            s = prepared.summary()
            lines += [say("export_summary", pages=s["pages"], chars=f"{s['characters']:,}",
                          visual=f"{s['visual_tokens']:,}", model=say("export_model", model=model) if model else "",
                          when=time.strftime("%Y-%m-%d %H:%M")), ""]
        for number, turn in enumerate(self.turns, 1):
            lines += [f"## {say('export_question', n=number)}", "", turn.question, ""]
            if turn.thinking:
                lines += [f"<details><summary>{say('export_thinking')}</summary>", "", turn.thinking.strip(), "",
                          "</details>", ""]
            lines += [f"**{say('export_answer')}**", "", turn.answer.strip() or say("export_no_answer"), ""]
            if turn.status == "stopped":
                lines += [f"*{say('export_stopped')}*", ""]
            if turn.error:
                lines += [f"*{say('export_error', error=turn.error)}*", ""]
        return "\n".join(lines)


# The export's headings when no language is given (the UI passes its catalogue's; both say the same)
EXPORT_WORDS = {
    "export_title": "Glyph conversation: {name}", "export_no_document": "no document",
    "export_summary": "{pages} pages, {chars} characters, {visual} visual tokens{model}, exported {when}.",
    "export_model": ", model {model}", "export_question": "Question {n}", "export_thinking": "Thinking",
    "export_answer": "Answer", "export_no_answer": "(no answer)", "export_stopped": "(stopped before the end)",
    "export_error": "Error: {error}",
}


def stream_turn(backend: Backend, prepared: PreparedDocument, conversation: Conversation, question: str,
                settings: GenerationSettings, stop: threading.Event, *,
                identifiers: bool = True) -> Iterator[Turn]:
    """Append a turn for question and yield it as the answer streams in; errors end up in the turn.

    With `identifiers`, long exact strings of the document that the question is about go to the model as
    plain text after the question (vision models misread them from the pages).
    """
    history = conversation.history()
    turn = Turn(question=question)
    conversation.turns.append(turn)
    yield turn
    asked = prepared.question_for_model(question) if identifiers else question
    if asked != question:
        turn.asked = asked
    request = AnswerRequest(pages=prepared.pages.images, pages_key=prepared.key, question=turn.asked or question,
                            history=history, dpi=prepared.pages.config.dpi)
    try:
        for event in backend.answer(request, settings, stop):
            if event.kind == "text":
                turn.answer += event.text
            elif event.kind == "thinking":
                turn.thinking += event.text
            elif event.kind == "done":
                turn.raw = event.raw
                turn.usage = asdict(event.usage) if event.usage else None
                turn.status = "stopped" if event.usage and event.usage.finish_reason == "cancelled" else "done"
            if turn.status == "waiting":
                turn.status = "streaming"
            yield turn
    except GlyphError as exc:
        turn.status, turn.error = "error", str(exc)
        yield turn
        return
    if turn.status in ("waiting", "streaming"):  # a backend that ended without its "done" event
        turn.status, turn.error = "error", "The answer ended unexpectedly."
        yield turn
