"""The errors a person sees, by message key.

Every exception here carries a message key and its parameters; the text lives in the catalogues,
`glyph_web/messages/<lang>/<stage>.json` (English and Simplified Chinese), one file per stage so that a stage's
messages sit together. `str(err)` is the English message (logs, the CLI); `err.render(lang)` says it in the
page's or the API client's language. Anything that is not a GlyphError is a bug and is reported as such.
"""

from __future__ import annotations

import json
import logging
import string
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

MESSAGES = Path(__file__).with_name("messages")
LANGS = ("en", "zh")
DEFAULT_LANG = "en"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language: key -> template with {placeholders} (str.format)."""
    merged: dict[str, str] = {}
    for path in sorted((MESSAGES / lang).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def message(key: str, lang: str = DEFAULT_LANG, /, **params) -> str:
    """The message `key` in `lang` (English where that language lacks it), its placeholders filled."""
    template = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(key) or catalogue(DEFAULT_LANG).get(key)
    if template is None:  # a bug, but the person still gets the facts
        logger.error("no message %r in the catalogues", key)
        return f"{key}: {params}" if params else key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        logger.exception("message %r does not fit its parameters %r", key, params)
        return f"{template} {params}"


def _rendered(params: dict, lang: str) -> dict:
    # a parameter that is itself a message (a refusal inside a refusal) is said in the same language
    return {name: value.render(lang) if isinstance(value, (Message, GlyphError)) else value
            for name, value in params.items()}


class Message(str):
    """A message for a person that is not an error (a document's notes, the model's state): a str holding the
    English text, with its key and parameters to say it in another language."""

    key: str
    params: dict

    def __new__(cls, key: str, /, **params):
        text = super().__new__(cls, message(key, DEFAULT_LANG, **_rendered(params, DEFAULT_LANG)))
        text.key, text.params = key, params
        return text

    def render(self, lang: str = DEFAULT_LANG) -> str:
        return message(self.key, lang, **_rendered(self.params, lang))

    def __reduce__(self):  # pickles (to the render workers) as a Message again
        return _message, (self.key, self.params)


def _message(key: str, params: dict) -> Message:
    return Message(key, **params)


def say(text, lang: str = DEFAULT_LANG) -> str:
    """Any message in a language: a Message or GlyphError by its key, anything else as it is."""
    return text.render(lang) if isinstance(text, (Message, GlyphError)) else str(text)


class GlyphError(Exception):
    """Base class of errors shown to the user: a message key and its parameters (see the catalogues)."""

    def __init__(self, key: str, /, **params):
        self.key, self.params = key, params
        super().__init__(message(key, DEFAULT_LANG, **_rendered(params, DEFAULT_LANG)))

    def render(self, lang: str = DEFAULT_LANG) -> str:
        """The message in a language of the catalogues."""
        return message(self.key, lang, **_rendered(self.params, lang))

    def as_message(self) -> Message:
        """The error's message as a notice (a str that is still said in any language by its key)."""
        return Message(self.key, **self.params)


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
        super().__init__("render.page_limit_estimated" if estimated else "render.page_limit", pages=pages,
                         limit=limit)


class EngineError(GlyphError):
    """The model cannot answer this request: not loaded, failed to load, or the prompt does not fit."""


class ContextTooLongError(EngineError):
    """The prompt plus the room asked for the answer exceeds the model's context; raised before any GPU work."""
