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
from typing import Protocol

from PIL import Image

from glyph_web.errors import ConfigError, RenderError
from glyph_web.render.config import RenderConfig
from glyph_web.render.crop import finish_pages
from glyph_web.render.fonts import ResolvedFont, missing_characters, resolve_font
from glyph_web.render.tokens import visual_tokens

logger = logging.getLogger(__name__)

MAX_MISSING_SHOWN = 8


class Engine(Protocol):
    name: str

    def rasterize(self, text: str, config: RenderConfig, font: ResolvedFont) -> list[Image.Image]: ...


def _engines() -> dict[str, type]:
    from glyph_web.render.reference import ReferenceEngine

    return {ReferenceEngine.name: ReferenceEngine}


ENGINE_NAMES = ("reference",)


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

    @property
    def page_sizes(self) -> list[tuple[int, int]]:
        """(width, height) in pixels per page."""
        return [img.size for img in self.images]

    @property
    def visual_tokens(self) -> list[int]:
        """GLM-4.1V visual tokens per page (its smart resize to 28-pixel blocks)."""
        return [visual_tokens(w, h) for w, h in self.page_sizes]

    def summary(self) -> dict:
        """Plain data for JSON output and logs."""
        tokens = self.visual_tokens
        return {
            "pages": len(self.images),
            "characters": self.characters,
            "page_sizes": [list(size) for size in self.page_sizes],
            "visual_tokens": tokens,
            "visual_tokens_total": sum(tokens),
            "dpi": self.config.dpi,
            "engine": self.engine,
            "font": str(self.font.path),
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write page_001.png, page_002.png, ... into out_dir (created when missing)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for number, img in enumerate(self.images, 1):
            path = out / f"page_{number:03d}.png"
            img.save(path, "PNG")
            paths.append(path)
        return paths


def render_text(text: str, config: RenderConfig | None = None, *, lang: str = "auto",
                engine: str = "reference", fonts_dir: Path | None = None) -> RenderedPages:
    """Render text into Glyph pages. Without a config, the official preset for `lang` is used."""
    if not isinstance(text, str):
        raise RenderError("Only text can be rendered.")
    if not text.strip():
        raise RenderError("There is no text to render: the input is empty or only whitespace.")
    engines = _engines()
    if engine not in engines:
        raise ConfigError(f"Unknown render engine {engine!r}: use one of {', '.join(engines)}.")
    started = time.perf_counter()
    config = config or RenderConfig.for_text(text, lang)
    font = resolve_font(config, text, fonts_dir)
    warnings = [*config.notes, *font.warnings]
    missing = missing_characters(text, font)
    if missing:
        shown = " ".join(missing[:MAX_MISSING_SHOWN]) + (" ..." if len(missing) > MAX_MISSING_SHOWN else "")
        warnings.append(f"{len(missing)} distinct characters are not in font {font.path.name} and show as "
                        f"blank boxes: {shown}")
    raw = engines[engine]().rasterize(text, config, font)
    images = finish_pages(raw, config)
    seconds = time.perf_counter() - started
    for warning in warnings:
        logger.warning("%s", warning)
    logger.info("rendered %d characters into %d pages in %.2fs (%s)", len(text), len(images), seconds, engine)
    return RenderedPages(images=images, config=config, engine=engine, font=font, characters=len(text),
                         seconds=seconds, warnings=warnings)
