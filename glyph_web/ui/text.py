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
    ("msg_pdf_damaged", r"(?P<name>.+?) could not be read as a PDF: it is damaged or not really a PDF\. Open it in a "
                        r"PDF viewer and save or print it to a new PDF\."),
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
    ("msg_unsupported", r"(?P<name>.+?) is (?P<what>.+?), which is not supported: (?P<todo>.+?)\. Supported are PDF, "
                        r"Word \(\.docx\), text \(\.txt, \.md\) and images \(\.png, \.jpg, \.webp\)\."),
    ("msg_word_members", r"(?P<name>.+?) holds (?P<count>[\d,]+) files inside, more than the (?P<limit>[\d,]+) a Word "
                         r"file may hold \(a damaged file or a zip bomb\?\)\. Open it in Word and save it again, or "
                         r"export it as PDF\."),
    ("msg_word_unpack", r"(?P<name>.+?) would unpack to (?P<size>[\d.]+) MB, over the (?P<limit>[\d.]+) MB limit for "
                        r"Word files \(a damaged file or a zip bomb\?\); if the file is genuine, raise "
                        r"--docx-max-unpacked-mb or GLYPH_DOCX_MAX_UNPACKED_MB\."),
    ("msg_image_pages_limit", r"(?P<name>.+?) has (?P<count>\d+) image pages, over the limit of (?P<limit>\d+) pages; "
                              r"raise it with --max-pages or GLYPH_MAX_PAGES\."),
    ("msg_scans_limit", r"(?P<name>.+?) has (?P<count>\d+) pages without text \(scans\), over the limit of "
                        r"(?P<limit>\d+) pages; raise it with --max-pages or GLYPH_MAX_PAGES, or split the file\."),
    ("msg_image_bomb", r"(?P<name>.+?) is too large an image(?P<dims>(?: \(\d+x\d+ pixels\))?): over (?P<million>\d+) "
                       r"million pixels, so it is refused as a possible decompression bomb\. Scale it down first\."),
    ("msg_nothing_to_show", r"(?P<name>.+?) has nothing to show: no text and no page images\."),
    ("msg_misnamed", r"(?P<name>.+?) is not what its name says; it was read as (?P<kind>a PDF|a Word document|text|an "
                     r"image)\."),
    ("msg_no_text_no_scans", r"(?P<name>.+?) contains no text and no scanned pages\."),
    ("msg_no_text", r"(?P<name>.+?) contains no text\."),
    ("msg_word_pictures", r"(?P<name>.+?): pictures inside Word files are not read; only their text is used\."),
    ("msg_not_utf8", r"(?P<name>.+?) is not UTF-8; it was read as (?P<encoding>\S+)\."),
    ("msg_pdf_blank", r"(?P<name>.+?): blank (?P<pages>pages? [\d, -]+) skipped\."),
    ("msg_pdf_scans", r"(?P<name>.+?): (?P<pages>page [\d-]+ has|pages [\d, -]+ have) no text layer \(scanned\?\), "
                      r"so (?P<pronoun>it is|they are) passed on as images, which the model reads less reliably than "
                      r"text\."),
]
_MESSAGES += [
    ("msg_context", r"This needs (?P<tokens>[\d,]+) tokens \((?P<pages>\d+) pages, (?P<visual>[\d,]+) of them "
                    r"visual\), but the model reads at most (?P<max>[\d,]+) tokens, (?P<answer>[\d,]+) of which are "
                    r"kept for the answer: about (?P<fit>\d+) (?P<fits>page fits|pages fit)"
                    r"(?P<at>(?: at [\d.]+ dpi)?)\. Use fewer pages, a lower DPI, or a smaller answer limit\."),
    ("msg_model_loading", r"The model is still loading; try again in a moment\."),
    ("msg_model_not_loaded", r"The model is not loaded\."),
    ("msg_model_unavailable", r"The model is not available: (?P<detail>.+)"),
]
_MESSAGES += [  # the model's load failures, shown in the status line
    ("msg_model_folder_missing", r"The model folder (?P<name>.+?) does not exist\. Point --model at a local checkpoint "
                                 r"folder, a Hugging Face id such as (?P<default>\S+), or use --model tiny\."),
    ("msg_model_no_config", r"The folder (?P<name>.+?) has no config\.json, so it is not a model checkpoint\. Point "
                            r"--model at the folder that holds config\.json, the weights and the processor\."),
    ("msg_model_offline", r"The model (?P<name>\S+) is not downloaded and the Hugging Face hub cannot be reached\. "
                          r"Download it on a machine with network access \(huggingface-cli download (?P<name2>\S+)\) "
                          r"and point --model \(GLYPH_MODEL\) at that folder, or use --model tiny for a smoke demo\."),
    ("msg_model_damaged", r"The checkpoint in (?P<name>.+?) could not be loaded \((?P<detail>.*)\)\. Check that the "
                          r"folder holds a complete GLM-4\.1V/Glyph checkpoint \(config\.json, weights, processor "
                          r"files\), or use --model tiny\."),
    ("msg_model_memory", r"Not enough GPU memory to load (?P<name>\S+): (?P<hint>use a GPU with more memory|try 4-bit "
                         r"loading \(--load-in-4bit\)), or the tiny demo model \(--model tiny\)\."),
]
_COMPILED = [(key, re.compile(pattern, re.S)) for key, pattern in _MESSAGES]
# groups taken from a fixed list of English phrases, each in the catalogue
_PHRASED = ("what", "todo", "kind", "pronoun", "fits", "hint")
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
            for group in _PHRASED:
                if group in values:
                    values[group] = catalogue(lang).get("phrase: " + values[group], values[group])
            # "pages 2, 5-7 have" -> "第 2, 5-7 页"
            if "pages" in values and lang == "zh" and not values["pages"].isdigit():
                numbers = re.sub(r"^pages? | ?ha(?:s|ve)$", "", values["pages"])
                values["pages"] = f"第 {numbers} 页"
            if values.get("at") and lang == "zh":  # " at 72 dpi" -> "在 72 dpi 下"
                values["at"] = f"在 {values['at'].strip()[3:]} 下"
            if "dims" in values and lang == "zh":
                values["dims"] = values["dims"].replace(" pixels", " 像素").replace("(", "（").replace(")", "）")
            return t(lang, key, **values)
    return message


TEXT = catalogue(DEFAULT_LANG)  # the English strings, for code that has no session language (tests, logs)
