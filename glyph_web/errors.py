"""The errors a person sees.

Every exception here carries a message written for the user: what is wrong and what to do next. The edges
translate them (the CLI prints one line on stderr and exits 2; later the UI shows a message and the API an
OpenAI error). Anything that is not a GlyphError is a bug and is reported as such.
"""


class GlyphError(Exception):
    """Base class of errors shown to the user; str(err) is the whole message."""


class ConfigError(GlyphError):
    """A render config, setting or flag has a wrong value."""


class RenderError(GlyphError):
    """Text could not be rendered into pages (missing tool, unreadable font, bad text)."""


class DocumentError(GlyphError):
    """An upload cannot be used: unsupported, damaged, protected, or over a limit. Names the file."""


class TooLargeError(DocumentError):
    """A file over the upload limit (the API answers 413)."""


class PageLimitError(RenderError):
    """The pages would exceed the page limit; raised before the work that would make them."""

    def __init__(self, pages: int, limit: int, estimated: bool = False):
        self.pages, self.limit = pages, limit
        count = f"about {pages}" if estimated else str(pages)
        super().__init__(f"This would make {count} pages, over the limit of {limit} pages that one GPU is set "
                         f"to read. Use a shorter document or part of it, or raise the limit with --max-pages "
                         f"or GLYPH_MAX_PAGES.")


class EngineError(GlyphError):
    """The model cannot answer this request: not loaded, failed to load, or the prompt does not fit."""


class ContextTooLongError(EngineError):
    """The prompt plus the room asked for the answer exceeds the model's context; raised before any GPU work."""
