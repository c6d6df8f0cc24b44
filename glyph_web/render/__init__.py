"""Text -> page images faithful to Glyph's training pipeline. Imports neither torch nor gradio."""

from glyph_web.render.config import LANGS, NEWLINE_MARKUPS, RenderConfig, has_cjk
from glyph_web.render.pages import ENGINE_NAMES, RenderedPages, render_document, render_text

__all__ = ["ENGINE_NAMES", "LANGS", "NEWLINE_MARKUPS", "RenderConfig", "RenderedPages", "has_cjk", "render_document",
           "render_text"]
