"""Page ranges: which pages of a document to read ("1-40", "3,5-9", "10-"), parsed once and applied per document.

Syntax: items separated by commas, each a page number `N`, a closed range `N-M` or an open range `N-` (to the
last page); 1-based and inclusive; spaces are ignored, and full-width digits, the Chinese comma (，、) and dashes
(–, —, ~, ～) are read as their ASCII forms. The chosen pages are read in the document's order, each once,
whatever the order and overlap of the items. A page number of 0, a reversed range (9-5), a page past MAX_PAGE,
anything else, more than MAX_RANGES items or a text longer than MAX_TEXT characters is refused with a
DocumentError that shows the syntax. None or a blank text means every page.

What a range means for each kind of document (applied in glyph_web.documents.load_bytes):

- PDF: only the chosen pages are read: their text is extracted and their scans rasterised, so the text and
  scan budgets count the chosen pages only. Chosen pages past the last page are left out ("1-40" of a 30-page
  file reads 1-30); a range that leaves no page of the file is refused. A warning says which pages were read
  ("pages 1-40 of 212"). The page-tree bound (PDF_PAGES_PER_PAGE x the page limit) still applies to the whole
  file: it guards the parser, before any page is chosen.
- A picture (PNG, JPEG, WebP) is page 1: read when the range includes 1, refused otherwise.
- Word and text files have no pages of their own (their pages come from the renderer): the whole file is read
  and a warning says the range was not applied to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glyph_web.errors import DocumentError

MAX_TEXT = 200  # characters of a page-range text
MAX_RANGES = 50  # comma-separated items
MAX_PAGE = 1_000_000  # a page number above this is a typo, not a page
_ITEM = re.compile(r"(\d+)(?:(-)(\d+)?)?")
_SAME = str.maketrans({"，": ",", "、": ",", "–": "-", "—": "-", "~": "-", "～": "-", "－": "-"})


@dataclass(frozen=True)
class PageRanges:
    """Pages chosen by a reader: 1-based inclusive (first, last) ranges; `last` None runs to the last page."""

    ranges: tuple[tuple[int, int | None], ...]

    def __str__(self) -> str:  # the normalised text: "1-40, 45, 50-"
        return ", ".join(str(a) if a == b else f"{a}-" if b is None else f"{a}-{b}" for a, b in self.ranges)

    def numbers(self, count: int) -> list[int]:
        """The chosen pages of a document of `count` pages, in order, each once (pages past the end left out)."""
        chosen: set[int] = set()
        for first, last in self.ranges:
            chosen.update(range(first, min(count, last if last is not None else count) + 1))
        return sorted(chosen)

    def includes(self, page: int) -> bool:
        return any(first <= page and (last is None or page <= last) for first, last in self.ranges)


def parse_pages(text: str | PageRanges | None) -> PageRanges | None:
    """The page ranges a text names; None when the text is None or blank (every page). DocumentError when it
    is malformed, names page 0, a reversed range or a page past MAX_PAGE, or is too long."""
    if text is None or isinstance(text, PageRanges):
        return text
    if not isinstance(text, str):
        raise _bad(repr(text)[:40])
    if len(text) > MAX_TEXT:
        raise DocumentError("documents.pages_too_long", chars=len(text), most=MAX_TEXT)
    cleaned = re.sub(r"\s+", "", text.translate(_SAME))
    if not cleaned:
        return None
    items = cleaned.split(",")
    if len(items) > MAX_RANGES:
        raise DocumentError("documents.pages_too_many", count=len(items), most=MAX_RANGES)
    ranges = []
    for item in items:
        match = _ITEM.fullmatch(item)
        if match is None:
            raise _bad(item or ",")
        first = int(match[1])
        last = None if match[2] and match[3] is None else int(match[3] or first)
        if first == 0 or last == 0:
            raise DocumentError("documents.pages_zero", item=item)
        if max(first, last or 0) > MAX_PAGE:
            raise DocumentError("documents.pages_too_high", item=item, most=MAX_PAGE)
        if last is not None and last < first:
            raise DocumentError("documents.pages_reversed", item=item, first=first, last=last)
        ranges.append((first, last))
    return PageRanges(tuple(ranges))


def _bad(item: str) -> DocumentError:
    return DocumentError("documents.pages_malformed", item=item)
