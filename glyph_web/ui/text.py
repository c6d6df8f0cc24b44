"""Every string the page shows, from one catalogue file per language (locales/en.json, locales/zh.json).

`t(lang, key, **values)` looks a string up and fills it in. Both catalogues hold the same keys with the same
placeholders (a test checks), so the page can switch language at any time. No gradio here.
"""

from __future__ import annotations

import json
import re
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


# Messages written by the documents module and the renderer (in English, for the CLI and logs) and the catalogue
# entry that says the same in the page's language; unknown messages stay as they are.
_MESSAGES = [
    ("msg_too_large", r"(?P<name>.+?) is (?P<size>[\d.]+) MB, over the upload limit of (?P<limit>[\d.]+) MB; raise it "
                      r"with --max-upload-mb or GLYPH_MAX_UPLOAD_MB\."),
    ("msg_binary", r"(?P<name>.+?) is not a text file or a supported document \(it looks like binary data\)\. Upload "
                   r"PDF, Word \(\.docx\), text \(\.txt, \.md\) or images \(\.png, \.jpg, \.webp\)\."),
    ("msg_pasted_empty", r"The pasted text is empty\."),
    ("msg_empty", r"(?P<name>.+?) is empty\."),
    ("msg_page_limit", r"This would make (?P<count>(?:about )?\d+) pages, over the limit of (?P<limit>\d+) pages that "
                       r"one GPU is set to read\. Use a shorter document or part of it, or raise the limit with "
                       r"--max-pages or GLYPH_MAX_PAGES\."),
    ("msg_font_fallback", r"Font (?P<name>\S+) was not found; pages are set in (?P<fallback>\S+) instead\. Glyph was "
                          r"trained on (?P<trained>Source Han Sans|Verdana), so answers may be less accurate: "
                          r"(?P<hint>.+)\."),
    ("msg_missing_chars", r"(?P<count>\d+) distinct characters are not in font (?P<font>\S+) and show as blank boxes: "
                          r"(?P<chars>.*)"),
    ("msg_damaged_zip", r"(?P<name>.+?) is a damaged ZIP or Word file \(did it download completely\?\); download or "
                        r"save it again\."),
]
_COMPILED = [(key, re.compile(pattern, re.S)) for key, pattern in _MESSAGES]


def localize(lang: str, message: str) -> str:
    """A message of the documents module or the renderer in the page's language, where the catalogue has it."""
    if lang == DEFAULT_LANG:
        return message
    for key, pattern in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            if values.get("count", "").startswith("about "):
                values["count"] = t(lang, "msg_about", n=values["count"][6:])
            return t(lang, key, **values)
    return message


TEXT = catalogue(DEFAULT_LANG)  # the English strings, for code that has no session language (tests, logs)
