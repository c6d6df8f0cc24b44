"""Plain text and Markdown: find the encoding, refuse binary data, drop characters that render as boxes.

Order of trust: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; GB18030 (a superset of GBK and GB2312,
what Chinese Windows tools save) when the result reads like Chinese; Windows-1252 when the result reads like
Western text. Anything else, and data with many NUL bytes outside UTF-16/32, is refused as binary. A file that
holds only whitespace once decoded is refused as empty, like a file of no bytes.
"""

from __future__ import annotations

import codecs
import unicodedata

from glyph_web.documents.model import Document, TextPart, clean_control_chars, digest
from glyph_web.errors import DocumentError, Message

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SAMPLE = 64 * 1024  # plausibility is judged on the start of the text


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding name) of text data; DocumentError for binary data or an unknown encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError:
                raise DocumentError("documents.encoding_damaged", name=name, encoding=encoding.upper()) from None
    if data[:SAMPLE].count(0) > max(1, len(data[:SAMPLE]) // 100):  # a stray NUL in text is dropped later
        raise _binary(name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding, plausible in (("gb18030", _reads_as_chinese), ("cp1252", _reads_as_western)):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if plausible(text[:SAMPLE]):
            return text, encoding
    raise _binary(name)


def load_text(data: bytes, name: str) -> Document:
    text, encoding = decode_text(data, name)
    text = clean_control_chars(text)
    if not text.strip():  # only spaces and newlines (or controls): refused as an empty file is
        raise DocumentError("documents.empty", name=name)
    warnings = []
    if encoding not in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        warnings.append(Message("documents.not_utf8", name=name, encoding=encoding.upper()))
    return Document(name=name, kind="text", parts=[TextPart(text)], sha256=digest(data), warnings=warnings)


def _binary(name: str) -> DocumentError:
    return DocumentError("documents.binary", name=name)


def _printable_share(text: str) -> float:
    if not text:
        return 1.0
    good = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r")
    return good / len(text)


def _reads_as_chinese(text: str) -> bool:
    """Most non-ASCII characters are CJK ideographs or CJK punctuation, and nothing is unprintable."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide or _printable_share(text) < 0.99:
        return False
    cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
              or "\uff00" <= ch <= "\uffef")
    return cjk / len(wide) >= 0.8


def _reads_as_western(text: str) -> bool:
    """Mostly ASCII, with accented letters and typographic punctuation; no control characters."""
    if _printable_share(text) < 0.99:
        return False
    wide = [ch for ch in text if ord(ch) > 0x7F]
    letters = sum(1 for ch in wide if unicodedata.category(ch).startswith(("L", "P", "S", "Z")))
    return len(wide) <= 0.3 * len(text) and letters == len(wide)
