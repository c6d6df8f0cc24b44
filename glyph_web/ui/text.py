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
    ("msg_pdf_damaged", r"(?P<name>.+?) could not be read as a PDF: it is damaged or not really a PDF\. Open it in a PDF "
                        r"viewer and save or print it to a new PDF\."),
    ("msg_pdf_password", r"(?P<name>.+?) is password-protected\. Give its password \(--password\), or save a copy "
                         r"without protection and upload that\."),
    ("msg_image_unreadable", r"(?P<name>.+?) is not a PNG, JPEG or WebP image, or it is damaged\."),
    ("msg_image_thin", r"(?P<name>.+?) is (?P<width>\d+)x(?P<height>\d+) pixels: too long and thin to read as a page "
                       r"\(the model takes at most (?P<ratio>\d+):1\)\. Crop it into shorter pieces\."),
    ("msg_image_truncated", r"(?P<name>.+?) is damaged or incomplete \(the image data ends early or is corrupt\); "
                            r"export or download it again\."),
    ("msg_word_damaged", r"(?P<name>.+?) could not be read as a Word document: it may be damaged\. Open it in Word "
                         r"and save it again, or export it as PDF\."),
    ("msg_word_template", r"(?P<name>.+?) is a Word template or macro-enabled document, which cannot be read here\. "
                          r"Open it in Word and save it as a Word Document \(\.docx\), or export it as PDF\."),
    ("msg_encoding_damaged", r"(?P<name>.+?) starts like (?P<encoding>\S+) text but is damaged further on; save it "
                             r"again as UTF-8\."),
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
