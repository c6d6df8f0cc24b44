"""Answer evidence: what an answer quotes or names that really stands in the document, and where.

The candidates are what a reader would check in the document: quoted passages, figures (numbers with their
unit or currency, dates), capitalised names, and runs of the answer's words (of CJK characters in Chinese).
A candidate is shown only where it occurs exactly once in the text the pages draw: a passage found twice, or
not at all, is left out, because nothing highlighted is better than a wrong highlight.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from glyph_web.render.textmap import PageText, is_wide, normalize

if TYPE_CHECKING:
    from PIL import Image

MIN_CHARS = 2
MAX_NGRAM_CANDIDATES = 400  # bounds the search work for a long answer (each is a scan of the document)

_QUOTES = [
    re.compile(r'"([^"\n]{2,400})"'),
    re.compile(r"\u201c([^\u201c\u201d]{2,400})\u201d"),
    # ‘ ’ is also an apostrophe: the opening mark must not follow a letter, the closing one not precede one
    re.compile(r"(?<!\w)\u2018([^\u2018\u2019]{2,400})\u2019(?!\w)"),
    re.compile(r"\u300c([^\u300c\u300d]{2,400})\u300d"),
    re.compile(r"\u300e([^\u300e\u300f]{2,400})\u300f"),
]
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026|\[\.\.\.\]|\[\u2026\])\s*")  # a quote with omissions: its parts
_EDGE_PUNCT = ".,;:!?\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u3001"
_EDGE_MARKS = "\"'()[]\u201c\u201d\u2018\u2019\u300c\u300d\u300e\u300f\u2026"  # quote marks, brackets

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
# (no one-letter words that are also English words or initials: "1984 in Paris", "in 1998 A new ...")
_UNITS = ("%|‰|°C|°F|°|km/h|mph|m/s|km²|m²|m³|km|cm|mm|nm|µm|m|kg|mg|g|lbs|lb|oz|ft|mi|"
          "N·m|Nm|kN|kWh|MWh|GWh|kW|MW|GW|W|kV|mV|V|mA|Hz|kHz|MHz|GHz|ms|s|min|h|hrs|"
          "ml|mL|L|kB|KB|MB|GB|TB|PB|bits|bit|px|pt|dpi|bn|USD|EUR|GBP|JPY|CNY|RMB|"
          "年|月|日|号|时|分|秒|元|万|亿|千|百|个|岁|次|人|米|公里|千克|克|吨")
_CURRENCY = r"[$€£¥₹₩]|US\$|USD|EUR|GBP|CNY|RMB"
_NUMBER = r"\d[\d,.]*\d|\d"
# a figure: currency? number unit? (units only where they end: "5 min" but not "5 minutes" -> "5 min")
_FIGURE = re.compile(
    rf"(?:(?P<cur>(?:{_CURRENCY})\s?)?(?P<num>{_NUMBER})(?:\s?(?P<unit>{_UNITS})(?![A-Za-z]))?)"
    rf"(?:\s(?P<month>{_MONTHS})\b)?")
_MONTH_DAY = re.compile(rf"\b(?:{_MONTHS})\s\d{{1,2}}(?:,\s\d{{4}})?(?!\d)")

_CONNECTORS = {"of", "de", "van", "von", "da", "del", "di", "du", "la", "le", "der", "den", "y"}
_LEADING = {"The", "A", "An", "In", "On", "At", "By", "For", "From", "To", "This", "That", "These", "Those",
            "It", "He", "She", "They", "We", "I", "His", "Her", "Its", "Their", "Our", "When", "While",
            "After", "Before", "According", "As", "If", "But", "And", "Or", "So", "Yes", "No", "Both",
            "Then", "There", "Here", "Which", "What", "Who"}
_NAME_WORD = r"(?:[A-Z]\.|[A-Z][\w'’-]*)"  # a dot only after an initial, not at a sentence's end
_NAME = re.compile(rf"{_NAME_WORD}(?:\s(?:(?:{'|'.join(sorted(_CONNECTORS))})\s)?{_NAME_WORD})+")
_STOP = {"the", "a", "an", "of", "in", "on", "at", "to", "for", "by", "and", "or", "but", "is", "are", "was",
         "were", "be", "been", "it", "its", "as", "that", "this", "with", "from", "which", "who", "he", "she",
         "they", "we", "i", "you", "his", "her", "their", "our", "not", "no", "yes", "so", "there", "has",
         "have", "had", "do", "does", "did", "will", "would", "can", "could", "also", "than", "then", "into"}
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{4,}")
_CJK_WINDOWS = (10, 8, 6, 4)


@dataclass
class Evidence:
    """A passage of the answer found once in the document: its page (1-based) and one box per line."""

    page: int
    passage: str
    boxes: list[tuple[int, int, int, int]]


def candidates(answer: str) -> list[str]:
    """What the answer quotes or names, most telling first: quoted passages, figures, capitalised names, then
    runs of its words (5 down to 3; for Chinese, runs of 4+ CJK characters), longest first; no repeats."""
    out: dict[str, None] = {}

    def add(text: str) -> None:
        text = _clean(text)
        if len(text) >= MIN_CHARS:
            out.setdefault(text, None)

    for pattern in _QUOTES:
        for m in pattern.finditer(answer):
            for part in _ELLIPSIS.split(m.group(1)):
                add(part)
    for m in _FIGURE.finditer(answer):
        digits = sum(c.isdigit() for c in m.group("num"))
        if digits >= 2 or m.group("month"):
            add(m.group(0))
    for m in _MONTH_DAY.finditer(answer):
        add(m.group(0))
    for m in _NAME.finditer(answer):
        words = m.group(0).split()
        while words and words[0] in _LEADING:
            words.pop(0)
        if len(words) >= 2:
            add(" ".join(words))
        if len(words) >= 3 and words[1] not in _CONNECTORS:  # "Yesterday Mary Smith": a sentence's start
            add(" ".join(words[1:]))
    grams: list[str] = []
    words = answer.split()  # (CJK text has no spaces to split on: its runs come below)
    for n in (5, 4, 3):
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if any(_content(w) for w in gram) and not _CJK_CHAR.search(" ".join(gram)):
                grams.append(" ".join(gram))
    for m in _CJK_RUN.finditer(answer):
        run = m.group(0)
        grams.append(run)
        for size in _CJK_WINDOWS:
            if size < len(run):
                grams.extend(run[i:i + size] for i in range(len(run) - size + 1))
    grams = [_clean(gram) for gram in grams[:MAX_NGRAM_CANDIDATES * 2]]
    for gram in sorted(grams, key=len, reverse=True)[:MAX_NGRAM_CANDIDATES]:
        add(gram)
    return list(out)


def _clean(text: str) -> str:
    """One space between words; no punctuation, quote marks or brackets at either end."""
    return " ".join(text.split()).strip(" " + _EDGE_PUNCT + _EDGE_MARKS)


def _content(word: str) -> bool:
    """A word that makes a run of words worth checking: not a stop word, a few letters long or a number."""
    w = word.strip(_EDGE_PUNCT + "\"'()[]").lower()
    return w not in _STOP and (len(w) >= 4 or any(c.isdigit() for c in w))


def find_evidence(answer: str, pages: list[PageText | None], limit: int = 3) -> list[Evidence]:
    """Up to `limit` passages of the answer that occur exactly once in the pages' text, longest first, each
    with its page and boxes, in reading order.

    A candidate inside one already found adds nothing; candidates whose single occurrences overlap or touch
    (runs of words the answer copied from one sentence) are shown as one passage, the document's text from
    the first to the last. Pages given as None (not laid out by the fast engine) cannot be searched, so
    uniqueness is judged on the others; a passage split by a page break is not shown.
    """
    known = [(number, page) for number, page in enumerate(pages, 1) if page is not None]
    if not known or limit <= 0:
        return []
    # one string for the whole document, so that a second occurrence on any page (or across a page break)
    # is seen by the same search
    parts = [page.normalized[0] for _, page in known]
    offsets = list(accumulate((len(p) + 1 for p in parts[:-1]), initial=0))
    doc = " ".join(parts)

    hits: list[tuple[int, int, int, str]] = []  # (start, end in doc, index into known, passage)
    for passage in sorted(candidates(answer), key=len, reverse=True):  # stable: ties keep candidates' order
        needle = normalize(passage)[0]
        if len(needle) < MIN_CHARS:
            continue
        found = _occurrences(doc, needle, 2)
        if len(found) != 1:
            continue
        start, end = found[0], found[0] + len(needle)
        k = bisect_right(offsets, start) - 1
        if end > offsets[k] + len(parts[k]):
            continue  # runs over a page break: no single page to show
        if any(s <= start and end <= e for s, e, _, _ in hits):
            continue
        hits.append((start, end, k, passage))

    groups: list[list] = []  # [start, end, k, passages]
    for start, end, k, passage in sorted(hits):
        last = groups[-1] if groups else None
        if last is not None and last[2] == k and start <= last[1] + 3 and _joins(doc[last[1]:start]):
            last[1] = max(last[1], end)
            last[3].append((start, end, passage))
        else:
            groups.append([start, end, k, [(start, end, passage)]])

    chosen = sorted(groups, key=lambda g: g[1] - g[0], reverse=True)[:limit]
    result = []
    for start, end, k, members in sorted(chosen, key=lambda g: g[0]):
        whole = [p for s, e, p in members if (s, e) == (start, end)]
        passage = whole[0] if whole else doc[start:end]
        number, page = known[k]
        where = page.normalized[1]
        local = start - offsets[k]
        boxes = page.boxes(where[local], where[local + (end - start) - 1] + 1)
        if boxes:
            result.append(Evidence(page=number, passage=passage, boxes=boxes))
    return result


def _joins(gap: str) -> bool:
    """Whether two occurrences this far apart read as one passage: overlapping, or apart by spaces and
    punctuation only."""
    return all(ch.isspace() or (not ch.isalnum() and not is_wide(ch)) or ch in _EDGE_PUNCT for ch in gap)


def _occurrences(hay: str, needle: str, most: int) -> list[int]:
    """Start offsets (up to `most`) where needle occurs as a whole: not inside a longer word or number."""
    hits: list[int] = []
    pos = hay.find(needle)
    while pos >= 0 and len(hits) < most:
        if _bounded(hay, pos, pos + len(needle)):
            hits.append(pos)
        pos = hay.find(needle, pos + 1)
    return hits


def _bounded(hay: str, start: int, end: int) -> bool:
    first, last = hay[start], hay[end - 1]
    if start > 0 and _word_char(first) and _word_char(hay[start - 1]):
        return False
    if end < len(hay) and _word_char(last) and _word_char(hay[end]):
        return False
    # "41" is not in "3.41" or "41,5": a separator between digits continues the number
    if first.isdigit() and start >= 2 and hay[start - 1] in ".," and hay[start - 2].isdigit():
        return False
    if last.isdigit() and end + 1 < len(hay) and hay[end] in ".," and hay[end + 1].isdigit():
        return False
    return True


def _word_char(ch: str) -> bool:
    # wide (CJK) characters have no word boundaries: a Chinese passage may start and end anywhere
    return ch.isalnum() and not is_wide(ch)


def highlight(image: Image.Image, boxes, color: tuple[int, int, int] = (255, 214, 0),
              alpha: float = 0.35) -> Image.Image:
    """A copy of image with a translucent rectangle over each box and a 2 px outline just outside it."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    base = image.convert("RGBA")
    overlay = PILImage.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    w, h = base.size
    fill = (*color, round(255 * alpha))
    edge = (*color, 230)
    for x0, y0, x1, y1 in boxes:
        x0, y0 = max(int(x0), 0), max(int(y0), 0)
        x1, y1 = min(int(x1), w), min(int(y1), h)
        if x1 <= x0 or y1 <= y0:
            continue
        draw.rectangle((x0 - 2, y0 - 2, x1 + 1, y1 + 1), outline=edge, width=2)  # PIL boxes are inclusive
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)
    out = PILImage.alpha_composite(base, overlay)
    return out if image.mode == "RGBA" else out.convert("RGB")
