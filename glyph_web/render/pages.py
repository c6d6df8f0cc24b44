"""render_text: text -> RenderedPages, through an engine chosen by name.

Engines turn text into raw pages at the config's DPI (`rasterize(text, config, font)`); the scaling and
auto-crop after that, the font resolution and the warnings are shared here, so every engine is held to the
same pixels and the same summary.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from glyph_web.contracts import PageLayout
from glyph_web.contracts import MAX_CHARS_PER_PAGE  # texts longer than max_pages x this are refused before layout
from glyph_web.documents.model import Document, ImagePart
from glyph_web.errors import ConfigError, Message, PageLimitError, RenderError
from glyph_web.render.config import RenderConfig
from glyph_web.render.fonts import ResolvedFont, missing_characters, resolve_font
from glyph_web.render.tokens import visual_tokens

if TYPE_CHECKING:  # numpy and Pillow load with the first page drawn
    from PIL import Image

logger = logging.getLogger(__name__)

MAX_MISSING_SHOWN = 8


class Engine(Protocol):
    name: str

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont,
                  max_pages: int | None = None) -> list[Image.Image]: ...


def _engine(name: str) -> Engine:
    """A new engine by name (each module loads only when asked for: reference.py brings Pillow and poppler)."""
    if name == "fast":
        from glyph_web.render.fast import FastEngine

        return FastEngine()
    if name == "reference":
        from glyph_web.render.reference import ReferenceEngine

        return ReferenceEngine()
    raise ConfigError("render.unknown_engine", name=name, choices=", ".join(ENGINE_NAMES))


ENGINE_NAMES = ("fast", "reference")


@dataclass
class RenderedPages:
    """The pages the model reads for one text, and what a person should know about them.

    `images` are RGB PIL images in reading order, already cropped. `warnings` are sentences for the user
    (fallback font, characters the font lacks, unknown config keys).
    """

    images: list[Image.Image]
    config: RenderConfig
    engine: str
    font: ResolvedFont
    characters: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    fallback: str | None = None  # why the fast engine left (part of) this render to the reference engine
    # fast-engine page layouts, each with the font it was set in (None: a page it did not lay out)
    layouts: list[PageLayout | None] | None = None
    # render_document: the index in the document's parts of the part each page shows (None: render_text, one part)
    page_parts: list[int] | None = None
    files: list[Path] | None = None  # write_document: the page files, whose images are not kept
    sizes: list[tuple[int, int]] | None = None  # write_document: their sizes

    @property
    def page_sizes(self) -> list[tuple[int, int]]:
        """(width, height) in pixels per page."""
        return list(self.sizes) if self.sizes is not None else [img.size for img in self.images]

    @property
    def page_texts(self) -> list[str | None]:
        """The text drawn on each page, where the fast engine laid it out (None for image pages, or pages the
        reference engine made)."""
        from glyph_web.render.fast import layout_text

        layouts = self.layouts or [None] * len(self.page_sizes)
        return [layout_text(layout) if layout is not None else None for layout in layouts]

    @property
    def visual_tokens(self) -> list[int]:
        """GLM-4.1V visual tokens per page (its smart resize to 28-pixel blocks)."""
        return [visual_tokens(w, h) for w, h in self.page_sizes]

    def summary(self) -> dict:
        """Plain data for JSON output and logs."""
        tokens = self.visual_tokens
        return {
            "pages": len(tokens),
            "characters": self.characters,
            "page_sizes": [list(size) for size in self.page_sizes],
            "visual_tokens": tokens,
            "visual_tokens_total": sum(tokens),
            "dpi": self.config.dpi,
            "engine": self.engine,
            "fallback": self.fallback,
            "font": str(self.font.path),
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write page_001.png, page_002.png, ... into out_dir (created when missing)."""
        import numpy as np

        from glyph_web.render.png import write_png

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / page_file(number) for number in range(1, len(self.images) + 1)]
        for img, path in zip(self.images, paths):
            write_png(np.asarray(img.convert("RGB")), path)
        return paths


def page_file(number: int) -> str:
    return f"page_{number:03d}.png"


def render_text(text: str, config: RenderConfig | None = None, *, lang: str = "auto",
                engine: str = "fast", fonts_dir: Path | None = None,
                max_pages: int | None = None) -> RenderedPages:
    """Render text into Glyph pages. Without a config, the official preset for `lang` is used.

    With max_pages, a text that would make more pages is refused (PageLimitError) before it is rasterised.
    """
    from glyph_web.render.crop import finish_pages

    started = time.perf_counter()
    config, font, warnings, worker = _prepare(text, config, lang, engine, fonts_dir, max_pages)
    raw = worker.rasterize(text, config, font, max_pages)
    images = finish_pages(raw, config)
    layouts = getattr(worker, "layouts", None)
    return _done(RenderedPages(images=images, config=config, engine=engine, font=font, characters=len(text),
                               seconds=time.perf_counter() - started, warnings=warnings,
                               fallback=getattr(worker, "fallback", None),
                               layouts=_with_font(layouts, font) if layouts and len(layouts) == len(images)
                               else None))


def _with_font(layouts: list[PageLayout], font: ResolvedFont) -> list[PageLayout]:
    for layout in layouts:
        layout.font = font
    return layouts


def _prepare(text: str, config: RenderConfig | None, lang: str, engine: str, fonts_dir: Path | None,
             max_pages: int | None):
    """Checks and choices shared by every way of rendering a text: (config, font, warnings, engine)."""
    if not isinstance(text, str):
        raise RenderError("render.not_a_text")
    if not text.strip():
        raise RenderError("render.no_text")
    worker = _engine(engine)
    if max_pages is not None and len(text) > max_pages * MAX_CHARS_PER_PAGE:
        raise PageLimitError(-(-len(text) // MAX_CHARS_PER_PAGE), max_pages, estimated=True)  # at least this many
    config = config or RenderConfig.for_text(text, lang)
    font = resolve_font(config, text, fonts_dir)
    warnings = [*config.notes, *font.warnings]
    missing = missing_characters(text, font)
    if missing:
        shown = " ".join(missing[:MAX_MISSING_SHOWN]) + (" ..." if len(missing) > MAX_MISSING_SHOWN else "")
        warnings.append(Message("render.missing_chars", count=len(missing), font=font.path.name, chars=shown))
    return config, font, warnings, worker


def _done(result: RenderedPages) -> RenderedPages:
    for warning in result.warnings:
        logger.warning("%s", warning)
    logger.info("rendered %d characters into %d pages in %.2fs (%s)", result.characters, len(result.page_sizes),
                result.seconds, result.engine)
    return result


def render_document(doc: Document, config: RenderConfig | None = None, *, lang: str = "auto",
                    engine: str = "fast", fonts_dir: Path | None = None,
                    max_pages: int | None = None) -> RenderedPages:
    """All pages of a Document in reading order: its text parts rendered, its image parts passed on as they are.

    One config serves every text part (chosen from the whole text when not given), so pages look alike.
    max_pages bounds rendered and image pages together.
    """
    started = time.perf_counter()
    config = config or RenderConfig.for_text(doc.text, lang)
    images: list[Image.Image] = []
    layouts: list = []
    page_parts: list[int] = []
    warnings: list[str] = list(doc.warnings)
    font = None
    fallback = None
    for index, part in enumerate(doc.parts):
        left = None if max_pages is None else max_pages - len(images)
        if isinstance(part, ImagePart):
            if left is not None and left < 1:
                raise PageLimitError(len(images) + 1, max_pages)
            images.append(part.image)
            layouts.append(None)
            page_parts.append(index)
        elif part.text.strip():
            try:
                chunk = render_text(part.text, config, engine=engine, fonts_dir=fonts_dir, max_pages=left)
            except PageLimitError as exc:  # count the pages made so far too
                raise PageLimitError(exc.pages + len(images), max_pages, estimated=True) from None
            images.extend(chunk.images)
            layouts.extend(chunk.layouts or [None] * len(chunk.images))
            page_parts.extend([index] * len(chunk.images))
            font = chunk.font
            fallback = fallback or chunk.fallback
            warnings.extend(w for w in chunk.warnings if w not in warnings)
    if not images:
        raise RenderError("render.nothing_to_show", name=doc.name)
    if font is None:  # image pages only: report the font a text part would have used
        font = resolve_font(config, doc.text, fonts_dir)
    return RenderedPages(images=images, config=config, engine=engine, font=font, characters=doc.characters,
                         seconds=time.perf_counter() - started, warnings=warnings, fallback=fallback,
                         layouts=layouts if any(layout is not None for layout in layouts) else None,
                         page_parts=page_parts)

