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
