"""Text -> the reportlab paragraph markup that Glyph's official renderer builds.

Steps, as in thu-coai/Glyph `scripts/word2png_function.py`: remove soft hyphens (U+00AD) and zero-width spaces
(U+200B); XML-escape `&`, `<`, `>`; turn each run of two or more spaces into as many `&nbsp;` so that reportlab
does not collapse them; split on newlines and join every 30 source lines into one Paragraph with the newline
markup between them. The official tools read text files in Python's text mode, which turns `\\r\\n` and `\\r`
into `\\n`; we do the same so that a file saved on Windows renders like any other.
"""

from __future__ import annotations

import re

LINES_PER_PARAGRAPH = 30
_SPACE_RUN = re.compile(r" {2,}")


def normalize_newlines(text: str) -> str:
    """Any mix of \\r\\n, \\r and \\n becomes \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """The text as the official renderer sees it before markup (newlines normalised, invisible marks gone)."""
    return normalize_newlines(text).replace("\xad", "").replace("\u200b", "")


def escape(text: str) -> str:
    """xml.sax.saxutils.escape (& first, then < and >), without the 15 ms of urllib it imports."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def paragraph_markups(text: str, newline_markup: str) -> list[str]:
    """One reportlab markup string per Paragraph: 30 source lines each, joined by the newline markup."""
    escaped = _SPACE_RUN.sub(lambda m: "&nbsp;" * len(m.group()), escape(clean_text(text)))
    lines = escaped.split("\n")
    return [newline_markup.join(lines[i:i + LINES_PER_PARAGRAPH])
            for i in range(0, len(lines), LINES_PER_PARAGRAPH)]
