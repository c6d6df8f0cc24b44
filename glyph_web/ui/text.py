"""Every string the page shows, from one catalogue file per language (locales/en.json, locales/zh.json).

`t(lang, key, **values)` looks a string up and fills it in. Both catalogues hold the same keys with the same
placeholders (a test checks), so the page can switch language at any time. No gradio here.

Errors and notices (a refusal, a document's notes, the model's state) are not written here: they carry a message
key and its parameters (glyph_web/errors.py, catalogues in glyph_web/messages/), and the page says them in its
language with `errors.say(x, lang)`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
LANG_NAMES = {"en": "English", "zh": "中文"}  # each in its own language, as language pickers show them
_FOLDER = Path(__file__).with_name("locales")


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((_FOLDER / f"{lang}.json").read_text(encoding="utf-8"))


def pick_lang(value: str | None) -> str:
    """A supported language from a browser language tag (zh-CN, zh-Hans-TW, en-GB, ...)."""
    tag = (value or "").strip().lower()
    return "zh" if tag.startswith("zh") else "en"


def t(lang: str, key: str, **values) -> str:
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG)[key]
    return text.format(**values) if values else text


TEXT = catalogue(DEFAULT_LANG)  # the English strings, for code that has no session language (tests, logs)
