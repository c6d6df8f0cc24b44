"""Conversations over prepared documents: the library of prepared documents, turns and their streaming,
identifiers, answer evidence and compression figures. No torch, no gradio."""

from glyph_web.chat.conversation import EXPORT_WORDS, Conversation, Turn, build_request, stream_turn
from glyph_web.chat.library import DEFAULT_CACHE_MB, Library, PreparedDocument, RenderOptions

__all__ = ["DEFAULT_CACHE_MB", "EXPORT_WORDS", "Conversation", "Library", "PreparedDocument", "RenderOptions",
           "Turn", "build_request", "stream_turn"]
