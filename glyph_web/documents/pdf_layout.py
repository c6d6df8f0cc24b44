"""PDF text in reading order from where it is drawn (pdfplumber): tables as rows, columns one after the other.

pypdf's text layer follows the content stream, which need not follow the page: a table drawn cell by cell comes
out one cell per line, and two columns drawn line by line (left line, right line, ...) come out interleaved. Here
the text is rebuilt from the characters' positions instead:

- Lines: characters whose vertical middles lie within LINE_TOLERANCE of a font size share a line, read left to
  right; a gap wider than WORD_GAP em (or a drawn space) separates words. Pages whose text mostly runs another
  way (a landscape table on a portrait page) are read in that direction, slanted text (the text layer of a skewed
  scan) is straightened first, and text in other directions (a diagonal watermark, a label up the margin)
  follows the page's text, in drawing order. Text drawn right to left (Hebrew, Arabic) or down (vertical CJK)
  is left to pypdf, which reads in drawing order as before.
- Ruled tables: pdfplumber's table finder (lines strategy), run only on pages with enough ruling lines for a table
  of two rows and two columns. A table comes out one row per line, cells in order joined by ` | ` (as Word tables
  do, documents/docx.py), at its place among the text. Grids of one row or one column, and boxes of paragraphs,
  are not tables.
- Text-aligned tables (no rules) only when MIN_TABLE_ROWS consecutive lines split into the same number (at least
  MIN_TABLE_COLUMNS) of cells at gaps of CELL_GAP em or more, every column aligned left, right or centred: a false
  table is worse than none (aligned code would gain bars; lines in a monospaced font are never table rows).
- Columns: a variant of the recursive X-Y cut (Nagy and Seth, 1984; the ordering of pdfminer's and poppler's
  layout analyses is similar): a vertical gutter at least MIN_GUTTER em wide that at most MAX_CROSSING of the
  lines cross. Lines that cross it (titles, full-width figures and tables, headers and footers) cut the page into
  bands; a band with prose on both sides of the gutter is read left side then right side (and each side again,
  for three columns), whatever order the content stream draws in. A page header or footer (a first or last line
  set apart by HEADER_GAP) is read whole. Prose means lines of several words that fill their column and cover a
  good part of the band's height: table columns, labels, code and notes in a margin are none, and anything else
  reads line by line as before.
- Dot leaders ("Introduction ........ 3", "· · ·") collapse to one space.
- document_text keeps a running header or footer (the same first or last line, digits aside, on RUNNING_SHARE of
  the pages and at least RUNNING_MIN_PAGES) once, where it first occurs.

Characters come from pdfminer's layout objects (pdfplumber's Page.layout) rather than from pdfplumber's `chars`:
turning each character into a dict costs twice the interpretation of the page (scripts/bench_extract.py), and
only pages with ruling lines, where the table finder runs, pay it. Pages are closed after reading (pdfplumber
caches every object of a page until then). A page pdfplumber cannot read is read by pypdf, as before.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from glyph_web.documents.model import clean_control_chars

logger = logging.getLogger(__name__)

WORD_GAP = 0.15  # em; TeX's tightest justified space is 0.22 em, kerning stays under 0.1
LINE_TOLERANCE = 0.4  # em; baselines of one line differ by less, consecutive lines by about 1.2
LINE_SPREAD = 1.0  # em: a line's characters stand at most this far apart vertically (less than the leading)
CELL_GAP = 1.0  # em: a gap at least this wide inside a line may part table cells (justified spaces stay under)
ALIGN_TOLERANCE = 0.3  # em: cell edges of a text-aligned table line up to this
MIN_TABLE_ROWS = 3  # consecutive aligned lines before they are read as a table
MIN_TABLE_COLUMNS = 3  # and cells in each (two aligned columns are as often code, an option list or contents)
MONO_LETTERS = 4  # letters of one width on a line: a monospaced font, code (never a text-aligned table)
MAX_ROW_PITCH = 3.0  # em: lines further apart than this are not rows of one text-aligned table
MIN_GUTTER = 1.0  # em: the narrowest gap between two columns
MAX_CROSSING = 0.5  # share of a region's lines that may cross a gutter (they cut the region into bands)
MIN_COLUMN_LINES = 3  # lines on each side of a gutter before a band is read as columns
PROSE_WORDS = 3  # a column of prose: median words per line ...
PROSE_FILL = 0.5  # ... and median line width against the column's width (table columns and code are ragged)
COLUMN_COVER = 0.3  # ... and the share of the band's height its text covers (margin notes cover little)
COLUMN_BREAK = 1.5  # em: a wider vertical gap breaks a column's text (for its cover)
MAX_COLUMN_DEPTH = 3  # columns within columns (three or four columns side by side)
HEADER_GAP = 1.5  # line pitches: a first or last line this far from the rest is a page header or footer
MAX_SKEW = 0.18  # tan(10 degrees): text slanted more than this is not part of the page's lines
MAX_RULINGS = 5000  # ruling lines on a page beyond which it is a drawing: no table finding
PARAGRAPH_CELL = 150  # characters: a "table" whose median cell is longer is a box around paragraphs
RUNNING_SHARE = 0.6  # of the pages with text
RUNNING_MIN_PAGES = 3
MAX_GRID_BINS = 2000  # the gutter search looks at the page at most this finely (a poster at coarser steps)
MAX_GUTTERS = 12  # candidate gutters weighed per region, those fewest lines cross first

# 4+ dots (spaced or not), 2+ ellipsis characters, or 3+ spaced middle dots: a leader, read as one space
_LEADER = re.compile(r"[ \t]*(?:(?:[.·•…][ \t]?){4,}|…{2,}|·(?:[ \t]*·){2,})[ \t]*")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class LayoutNotes:
    """What the layout reader did to a document, for the caller's messages. Counts are of PDF pages unless said."""

    headers_dropped: int = 0  # running header and footer lines left out (each kept once, where it first occurs)
    tables: int = 0  # tables written one row per line (ruled and text-aligned)
    columns_pages: int = 0  # pages read column after column
    # positions (1-based) read by pypdf as before: pages pdfplumber could not read, and pages whose text runs
    # right to left or down (read in drawing order, which pypdf does as well)
    fallback_pages: tuple[int, ...] = ()


class TooMuchText(Exception):
    """More characters than max_chars: reading stopped at `page` (1-based position among the pages read)."""

    def __init__(self, page: int, characters: int):
        super().__init__(f"more than the allowed characters by page {page}")
        self.page, self.characters = page, characters


@dataclass(frozen=True)
class PageText:
    """One page as read: its text (None when it has none at all: a scan or a blank page), and what was found."""

    text: str | None
    tables: int = 0
    columns: bool = False
    fallback: bool = False


# ---------------------------------------------------------------------------------------------------------------
# One page


class _Word:
    __slots__ = ("x0", "x1", "top", "bottom", "text", "size")

    def __init__(self, x0: float, x1: float, top: float, bottom: float, text: str, size: float):
        self.x0, self.x1, self.top, self.bottom, self.text, self.size = x0, x1, top, bottom, text, size


class _Item:
    """A line of words, or a table (its rows already written), with the box it occupies (top grows downward)."""

    __slots__ = ("words", "lines", "x0", "x1", "top", "bottom", "edge", "mono")

    def __init__(self, words: list[_Word] | None = None, lines: list[str] | None = None,
                 box: tuple[float, float, float, float] | None = None, mono: bool = False):
        self.words, self.lines = words, lines
        self.mono = mono  # in a monospaced font: code, whose aligned columns are no table
        self.edge = False  # a page header or footer line: never part of a column
        if words:
            self.x0, self.x1 = words[0].x0, max(w.x1 for w in words)
            self.top, self.bottom = min(w.top for w in words), max(w.bottom for w in words)
        else:
            self.x0, self.top, self.x1, self.bottom = box

    def spans(self) -> list[tuple[float, float]]:
        """The horizontal stretches it covers (a table covers its width; a line, each word)."""
        return [(w.x0, w.x1) for w in self.words] if self.words else [(self.x0, self.x1)]


class _Found:
    """Counts for one page."""

    def __init__(self):
        self.tables = 0
        self.columns = False
        self.as_drawn = False  # text read in drawing order (right to left, vertical), not by position


def page_text(page) -> str:
    """The text of one pdfplumber page in reading order; "" for a page without text. The page stays open."""
    return _read_page(page)[0] or ""


def _read_page(page) -> tuple[str | None, _Found]:
    found = _Found()
    glyphs = _characters(page)
    chars = glyphs.chars
    if not chars and not glyphs.others:
        return None, found
    if glyphs.as_drawn:
        found.as_drawn = True
        return "\n".join(line for line in map(_tidy, _drawing_order(chars).split("\n")) if line), found
    items: list[_Item] = _tables(page, chars, glyphs.curves, found) if glyphs.curves else []
    if items:
        boxes = [(t.x0, t.top, t.x1, t.bottom) for t in items]
        chars = [c for c in chars if not _inside((c[0] + c[1]) / 2, (c[2] + c[3]) / 2, boxes)]
    items += [_Item(words, mono=mono) for words, mono in _lines(chars) if words]
    items.sort(key=lambda item: (item.top, item.x0))
    lines: list[str] = []
    if items:
        sizes = [w.size for item in items if item.words for w in item.words]
        em = statistics.median(sizes) if sizes else 10.0
        _mark_edges(items)
        lines = _read(items, em, 0, found)
    if glyphs.others:
        lines += _drawing_order(glyphs.others).split("\n")
    text = "\n".join(line for line in (_tidy(line) for line in lines) if line)
    return text, found


class _Glyphs:
    """A page's characters: those in its main direction as (x0, x1, top, bottom, text, size, LTChar) in a frame
    where that direction runs left to right and lines go down (pdfplumber's coordinates for upright, unskewed
    text), the others in the same form and in drawing order, the ruling lines (LTCurves) when a table could be
    there, and whether the main text runs otherwise than left to right (right to left, or vertical CJK)."""

    __slots__ = ("chars", "others", "curves", "as_drawn")

    def __init__(self, chars: list[tuple], others: list[tuple], curves: list | None, as_drawn: bool):
        self.chars, self.others, self.curves, self.as_drawn = chars, others, curves, as_drawn


def _characters(page) -> _Glyphs:
    from pdfminer.layout import LTChar, LTContainer, LTCurve

    # LTChars by direction, each in drawing order: running right, up, left, down; oblique
    drawn: tuple[list, list, list, list, list] = ([], [], [], [], [])
    curves = []
    horizontal = vertical = 0
    stack = [iter(page.layout)]
    while stack:
        obj = next(stack[-1], None)
        if obj is None:
            stack.pop()
        elif isinstance(obj, LTChar):
            a, b = obj.matrix[0], obj.matrix[1]
            if abs(b) <= MAX_SKEW * abs(a):
                drawn[0 if a > 0 else 2].append(obj)
            elif abs(a) <= MAX_SKEW * abs(b):
                drawn[1 if b > 0 else 3].append(obj)
            else:
                drawn[4].append(obj)  # a diagonal watermark, say
        elif isinstance(obj, LTCurve):
            curves.append(obj)
            width, height = obj.x1 - obj.x0, obj.y1 - obj.y0
            if height <= 2 < width:
                horizontal += 1
            elif width <= 2 < height:
                vertical += 1
            elif width > 2 and height > 2:
                horizontal, vertical = horizontal + 2, vertical + 2
        elif isinstance(obj, LTContainer):
            stack.append(iter(obj))
    counts = [len(chars) for chars in drawn[:4]]
    main = counts.index(max(counts))
    ux, uy = ((1, 0), (0, 1), (-1, 0), (0, -1))[main]  # the main direction, a unit vector (y up)
    # lines drawn at a slant (the text layer of a skewed scan): turned straight, by their median angle
    sample = drawn[main][::max(1, len(drawn[main]) // 256)]
    skew = statistics.median(math.atan2(-uy * c.matrix[0] + ux * c.matrix[1], ux * c.matrix[0] + uy * c.matrix[1])
                             for c in sample) if sample else 0.0
    if abs(skew) < 0.002:  # a tenth of a degree
        skew = 0.0
    cos, sin = math.cos(skew), math.sin(skew)
    # upright, straight text keeps pdfplumber's coordinates, which its table finder uses
    dx, dy = (float(page.mediabox[0]), float(page.height) + float(page.mediabox[1])) if main == 0 else (0.0, 0.0)

    def frame(chars: list) -> list[tuple]:
        if main == 0 and not skew:  # the common case, quickly
            return [(c.x0 + dx, c.x1 + dx, dy - c.y1, dy - c.y0, c.get_text(), c.size or 0.1, c) for c in chars]
        out = []
        for c in chars:
            half_w, half_h = (c.x1 - c.x0) / 2, (c.y1 - c.y0) / 2
            if uy:
                half_w, half_h = half_h, half_w
            cx, cy = c.x0 + (c.x1 - c.x0) / 2, c.y0 + (c.y1 - c.y0) / 2
            x, y = ux * cx + uy * cy, -uy * cx + ux * cy  # the centre in the frame (y up)
            if skew:
                x, y = x * cos + y * sin, y * cos - x * sin
            out.append((x - half_w + dx, x + half_w + dx, dy - y - half_h, dy - y + half_h, c.get_text(),
                        c.size or 0.1, c))
        return out

    chars = frame(drawn[main])
    others = [c for d in range(5) if d != main for c in frame(drawn[d])]
    tables = main == 0 and not skew and 3 <= horizontal and 3 <= vertical and horizontal + vertical <= MAX_RULINGS
    return _Glyphs(chars, others, curves if tables else None, _runs_backwards(chars))


def _runs_backwards(chars: list[tuple]) -> bool:
    """Whether the text, in drawing order, mostly steps right to left or down a column rather than left to
    right: Hebrew or Arabic drawn in logical order, or vertical CJK (drawn upright, so it looks horizontal)."""
    forward = backward = 0
    for p, q in zip(chars, chars[1:]):
        size = max(p[5], q[5])
        rise = (q[2] + q[3] - p[2] - p[3]) / 2
        if abs(rise) < 0.3 * size:
            if q[0] >= p[0]:
                forward += 1
            else:
                backward += 1
        elif 0.5 * size < rise < 1.5 * size and abs(q[0] + q[1] - p[0] - p[1]) < size:
            backward += 1  # the next character straight below
    return backward > forward


def _drawing_order(chars: list[tuple]) -> str:
    """Characters as drawn: a new line where the next one is far from the last, a space where it leaves a gap."""
    out: list[str] = []
    prev = None
    for c in chars:
        if prev is not None:
            size = max(prev[5], c[5])
            x, y = (c[0] + c[1] - prev[0] - prev[1]) / 2, (c[2] + c[3] - prev[2] - prev[3]) / 2
            gap = math.hypot(x, y) - max(c[1] - c[0], c[3] - c[2], prev[1] - prev[0], prev[3] - prev[2])
            if gap > 2 * size:
                out.append("\n")
            elif gap > WORD_GAP * size and not c[4].isspace() and not prev[4].isspace():
                out.append(" ")
        out.append(c[4])
        prev = c
    return "".join(out)


def _lines(chars: list[tuple]) -> Iterator[tuple[list[_Word], bool]]:
    """Words by line, top to bottom, each line left to right, and whether it is monospaced. Characters sorted by
    their vertical middles make a line while each is within LINE_TOLERANCE of the last, so a baseline that drifts
    a little (word by word) stays one line; a chain taller than LINE_SPREAD, which would join two lines, is cut at
    fixed steps instead."""
    chars.sort(key=lambda c: c[2] + c[3])
    line: list[tuple] = []
    last = size = 0.0
    for c in chars:
        middle = (c[2] + c[3]) / 2
        if line and middle - last > LINE_TOLERANCE * max(size, c[5]):
            yield from _cut(line)
            line = []
        line.append(c)
        last, size = middle, c[5]
    if line:
        yield from _cut(line)


def _cut(line: list[tuple]) -> Iterator[tuple[list[_Word], bool]]:
    first, last = line[0][2] + line[0][3], line[-1][2] + line[-1][3]  # twice the middles
    if last - first <= 2 * LINE_SPREAD * statistics.median(c[5] for c in line):
        yield _words(line)
        return
    part: list[tuple] = []
    anchor = size = 0.0
    for c in line:
        middle = (c[2] + c[3]) / 2
        if part and middle - anchor > LINE_TOLERANCE * max(size, c[5]):
            yield _words(part)
            part = []
        if not part:
            anchor, size = middle, c[5]
        part.append(c)
    yield _words(part)


def _words(line: list[tuple]) -> tuple[list[_Word], bool]:
    """A line's words left to right, and whether its letters all have the same width (a monospaced font)."""
    line.sort(key=lambda c: c[0])
    words: list[_Word] = []
    word = None
    last_x0, last_text = -math.inf, ""
    letters, narrowest, widest = 0, math.inf, 0.0  # letter widths in em
    for x0, x1, top, bottom, text, size, *_ in line:
        if text.isspace():
            word = None
            continue
        if text == last_text and abs(x0 - last_x0) < min(0.25 * size, 0.5 * (x1 - x0)):
            continue  # drawn twice at nearly the same place (fake bold): once; "ll" is two letters, a width apart
        last_x0, last_text = x0, text
        if text.isalpha():
            letters += 1
            narrowest, widest = min(narrowest, (x1 - x0) / size), max(widest, (x1 - x0) / size)
        if word is not None and x0 - word.x1 <= WORD_GAP * max(size, word.size):
            word.text += text
            word.x1, word.top, word.bottom = max(word.x1, x1), min(word.top, top), max(word.bottom, bottom)
            word.size = max(word.size, size)
        else:
            word = _Word(x0, x1, top, bottom, text, size)
            words.append(word)
    return words, letters >= MONO_LETTERS and widest - narrowest <= 0.02 * widest


def _tables(page, chars: list[tuple], curves: list, found: _Found) -> list[_Item]:
    """Ruled tables, their rows written. pdfplumber's finder (lines strategy) needs only the ruling lines, and the
    cells only the characters inside them: a page holding just those is searched, not pdfplumber's whole page,
    which would first turn every character into a dict."""
    try:
        ruled = _objects_page()(page, {})
        for curve in curves:
            obj = ruled.process_object(curve)
            ruled._objects.setdefault(obj["object_type"], []).append(obj)
        tables = ruled.find_tables()  # lines strategy: cells bounded by ruling lines and rectangle edges
        boxes = [table.bbox for table in tables]
        ruled._objects["char"] = [ruled.process_object(c[6]) for c in chars if _inside((c[0] + c[1]) / 2,
                                                                                        (c[2] + c[3]) / 2, boxes)]
        extracted = [(table, table.extract()) for table in tables]
    except Exception:  # the finder on odd geometry: the page reads without tables
        logger.warning("pdf page %s: table finding failed", getattr(page, "page_number", "?"), exc_info=True)
        return []
    items = []
    for table, cells in extracted:
        rows = [[_cell(c) for c in row if c is not None] for row in cells]
        filled = [cell for row in rows for cell in row if cell]
        if (sum(1 for row in rows if any(row)) < 2 or max(len(row) for row in rows) < 2
                or not any(sum(1 for cell in row if cell) >= 2 for row in rows)
                or statistics.median(len(cell) for cell in filled) > PARAGRAPH_CELL):
            continue  # a frame, a box with a title bar, or boxes of paragraphs: not a table
        lines = [" | ".join(row).rstrip() for row in rows if any(row)]
        items.append(_Item(lines=lines, box=tuple(float(v) for v in table.bbox)))
        found.tables += 1
    return items


def _inside(x: float, y: float, boxes: list[tuple[float, float, float, float]]) -> bool:
    return any(b[0] - 1 <= x <= b[2] + 1 and b[1] - 1 <= y <= b[3] + 1 for b in boxes)


@functools.cache
def _objects_page() -> type:
    from pdfplumber.page import DerivedPage

    class ObjectsPage(DerivedPage):
        """A pdfplumber page that holds only the objects it is given (pdfplumber's coordinates and attributes)."""

        def __init__(self, page, objects: dict):
            self.bbox = page.bbox
            super().__init__(page)
            self._objects = objects

    return ObjectsPage


def _cell(text: str | None) -> str:
    return _tidy(" ".join((text or "").split()))


def _tidy(line: str) -> str:
    return _LEADER.sub(" ", line).strip()


# ---------------------------------------------------------------------------------------------------------------
# Reading order


def _mark_edges(items: list[_Item]) -> None:
    """Mark the page header and footer lines (set apart from the body by a wide gap) as spanning the page."""
    if len(items) < 4:
        return
    pitches = [b.top - a.top for a, b in zip(items, items[1:]) if b.top > a.top]
    if not pitches:
        return
    far = HEADER_GAP * statistics.median(pitches)
    for i in range(min(2, len(items) - 1)):  # up to two header lines
        if items[i + 1].top - items[i].bottom > far:
            for item in items[:i + 1]:
                item.edge = True
            break
    for i in range(len(items) - 1, max(len(items) - 3, 0), -1):  # and two footer lines
        if items[i].top - items[i - 1].bottom > far:
            for item in items[i:]:
                item.edge = True
            break


def _read(items: list[_Item], em: float, depth: int, found: _Found) -> list[str]:
    """Lines of a region (items top to bottom) in reading order: columns one after the other where there are."""
    gutter = _gutter(items, em) if depth < MAX_COLUMN_DEPTH and len(items) >= 2 * MIN_COLUMN_LINES else None
    if gutter is None:
        return _write(items, em, found)
    a, b = gutter
    # runs of consecutive items that do not cross the gutter, each split into its left and right parts
    pieces: list[tuple[list[_Item], list[_Item], list[_Item]] | _Item] = []  # (whole, left, right) | crossing
    whole: list[_Item] = []
    left: list[_Item] = []
    right: list[_Item] = []
    for item in items:
        spans = item.spans()
        if item.edge or any(x0 < b and x1 > a for x0, x1 in spans):
            if whole:
                pieces.append((whole, left, right))
                whole, left, right = [], [], []
            pieces.append(item)
            continue
        whole.append(item)
        if item.words:
            on_left = [w for w in item.words if w.x1 <= a]
            on_right = [w for w in item.words if w.x0 >= b]
            if on_left:
                left.append(_Item(on_left, mono=item.mono))
            if on_right:
                right.append(_Item(on_right, mono=item.mono))
        else:
            (left if item.x1 <= a else right).append(item)
    if whole:
        pieces.append((whole, left, right))

    def columns(piece) -> bool:
        return isinstance(piece, tuple) and _column(piece[1], piece[0], em) and _column(piece[2], piece[0], em)

    if not any(columns(p) for p in pieces):
        return _write(items, em, found)
    out: list[str] = []
    plain: list[_Item] = []  # read line by line, together, so that a text-aligned table is seen whole
    for piece in pieces:
        if columns(piece):
            out += _write(plain, em, found)
            plain = []
            found.columns = True
            out += _read(piece[1], em, depth + 1, found) + _read(piece[2], em, depth + 1, found)
        else:
            plain += piece[0] if isinstance(piece, tuple) else [piece]
    return out + _write(plain, em, found)


def _gutter(items: list[_Item], em: float) -> tuple[float, float] | None:
    """The best vertical gap between columns in a region, as (left edge, right edge), or None.

    Lines are counted per stretch of the page (bins of `step` points): a gutter is a run of bins at least
    MIN_GUTTER em wide that at most MAX_CROSSING of the lines cover, with MIN_COLUMN_LINES lines wholly on each
    side; the one most lines do not cross wins (then the widest).
    """
    left_edge = min(item.x0 for item in items)
    width = max(item.x1 for item in items) - left_edge
    if width < 4 * MIN_GUTTER * em:
        return None
    step = max(1.0, width / MAX_GRID_BINS)
    count = int(width / step) + 2
    narrowest = max(1, math.ceil(MIN_GUTTER * em / step))
    delta = [0] * (count + 1)
    spans_by_item = []
    for item in items:
        bins = []
        for x0, x1 in item.spans():
            i, j = int((x0 - left_edge) / step), int((x1 - left_edge) / step)
            if bins and i - bins[-1][1] <= narrowest:  # gaps narrower than a gutter are covered
                bins[-1] = (bins[-1][0], max(bins[-1][1], j))
            else:
                bins.append((i, j))
        for i, j in bins:
            delta[i] += 1
            delta[j + 1] -= 1
        spans_by_item.append(bins)
    cover, running = [], 0
    for d in delta[:count]:
        running += d
        cover.append(running)
    allowed = MAX_CROSSING * len(items)
    candidates = []  # (lines crossing, -width, first bin, last bin)
    i = 0
    while i < count:
        if cover[i] > allowed:
            i += 1
            continue
        j = i
        while j + 1 < count and cover[j + 1] <= allowed:
            j += 1
        # within the run, the stretches fewest lines cross that are wide enough
        for level in sorted(set(cover[i:j + 1])):
            stretches = _stretches(cover, i, j, level, narrowest)
            if stretches:
                candidates += [(level, k - m, k, m) for k, m in stretches]
                break
        i = j + 1
    best, best_key = None, None
    for _level, _width, k, m in sorted(candidates)[:MAX_GUTTERS]:
        on_left = on_right = crossing = 0
        for bins in spans_by_item:
            if any(p <= m and q >= k for p, q in bins):
                crossing += 1
            else:
                on_left += any(q < k for _p, q in bins)
                on_right += any(p > m for p, _q in bins)
        if on_left >= MIN_COLUMN_LINES and on_right >= MIN_COLUMN_LINES:
            key = (len(items) - crossing, m - k)
            if best_key is None or key > best_key:
                best, best_key = (left_edge + k * step, left_edge + (m + 1) * step), key
    return best


def _stretches(cover: list[int], i: int, j: int, level: int, narrowest: int) -> list[tuple[int, int]]:
    """The runs of bins in i..j covered at most `level` times, at least `narrowest` bins long."""
    found, k = [], i
    while k <= j:
        if cover[k] > level:
            k += 1
            continue
        m = k
        while m + 1 <= j and cover[m + 1] <= level:
            m += 1
        if m - k + 1 >= narrowest:
            found.append((k, m))
        k = m + 1
    return found


def _column(items: list[_Item], band: list[_Item], em: float) -> bool:
    """Whether one side of a gutter in a band reads as a column of prose: not a table column, labels or code
    (short lines), nor notes in a margin (a few lines here and there beside the text)."""
    if len(items) < MIN_COLUMN_LINES:
        return False
    width = max(item.x1 for item in items) - min(item.x0 for item in items)
    words = statistics.median(len(item.words) if item.words else PROSE_WORDS for item in items)
    filled = statistics.median(item.x1 - item.x0 for item in items)
    if words < PROSE_WORDS or filled < PROSE_FILL * width:
        return False
    # the height its runs of consecutive lines cover, against the band's
    covered, top, bottom = 0.0, items[0].top, items[0].bottom
    for item in items[1:]:
        if item.top - bottom > COLUMN_BREAK * em:
            covered, top = covered + bottom - top, item.top
        bottom = max(bottom, item.bottom)
    covered += bottom - top
    return covered >= COLUMN_COVER * (max(item.bottom for item in band) - min(item.top for item in band))


def _write(items: list[_Item], em: float, found: _Found) -> list[str]:
    """Items as lines: a table's rows, or a line's words; runs of text-aligned lines as table rows."""
    out: list[str] = []
    cells = [_cells(item) if item.words and not item.mono else None for item in items]
    i = 0
    while i < len(items):
        end = _aligned_run(items, cells, i, em)
        if end - i >= MIN_TABLE_ROWS:
            found.tables += 1
            out += [" | ".join(text for _x0, _x1, text in cells[k]) for k in range(i, end)]
            i = end
            continue
        item = items[i]
        out += item.lines if item.lines is not None else [" ".join(w.text for w in item.words)]
        i += 1
    return out


def _cells(item: _Item) -> list[tuple[float, float, str]]:
    """A line cut at gaps of CELL_GAP em or more: (x0, x1, text) per piece."""
    pieces: list[list[_Word]] = [[item.words[0]]]
    for prev, word in zip(item.words, item.words[1:]):
        if word.x0 - prev.x1 >= CELL_GAP * max(prev.size, word.size):
            pieces.append([word])
        else:
            pieces[-1].append(word)
    return [(p[0].x0, p[-1].x1, " ".join(w.text for w in p)) for p in pieces]


def _aligned_run(items: list[_Item], cells: list, start: int, em: float) -> int:
    """The end of the run of lines from `start` that read as a text-aligned table (start itself when none)."""
    first = cells[start]
    if first is None or len(first) < MIN_TABLE_COLUMNS:
        return start
    tolerance = ALIGN_TOLERANCE * em

    def edges(row):  # per cell: its left edge, right edge and centre
        return [(x0, x1, (x0 + x1) / 2) for x0, x1, _text in row]

    # per cell and kind of edge, the lowest and highest seen so far in the run (None once they part)
    ranges: list[list[tuple[float, float] | None]] = [[(e, e) for e in cell] for cell in edges(first)]
    end = start + 1
    while (end < len(items) and cells[end] is not None and len(cells[end]) == len(first)
           and items[end].top - items[end - 1].top <= MAX_ROW_PITCH * em):
        grown = [[None if r is None or max(r[1], e) - min(r[0], e) > tolerance else (min(r[0], e), max(r[1], e))
                  for r, e in zip(cell, new)] for cell, new in zip(ranges, edges(cells[end]))]
        if not all(any(r is not None for r in cell) for cell in grown):
            break
        ranges = grown
        end += 1
    return end


# ---------------------------------------------------------------------------------------------------------------
# A document


def document_text(pdf, pages: Sequence[int | None] | None = None, fallback: Callable[[int], str] | None = None,
                  max_chars: int | None = None) -> tuple[list[str | None], LayoutNotes]:
    """The text of a pdfplumber PDF's pages, running headers and footers kept once, and what was done.

    pages: the pages to read, in order, as indexes into pdf.pages (None: all of them). An entry may repeat (read
    once) or be None (a page pdfplumber does not list, read by the fallback). fallback(position) gives the text
    of the position-th requested page by other means when pdfplumber fails on it; by default pypdf reads the same
    file. Returns one entry per requested page: its text, or None for a page with no text at all (a scan or a
    blank page); "" when all it had was a running header or footer kept elsewhere. Raises TooMuchText once the
    text read passes max_chars. Each page is closed after reading.
    """
    try:
        listed = pdf.pages
    except Exception:  # a page tree pdfminer cannot walk: every page by the fallback
        logger.warning("pdf: pdfplumber cannot list the pages", exc_info=True)
        if pages is None:
            raise
        listed, pages = [], [None] * len(pages)
    order = list(range(len(listed))) if pages is None else list(pages)
    if fallback is None:
        fallback = _PypdfText(pdf, [listed[i] if i is not None else None for i in order])
    results: list[PageText] = []
    done: dict[int, PageText] = {}
    characters = 0
    for position, index in enumerate(order):
        result = done.get(index) if index is not None else None
        if result is None:
            result = _read_one(listed[index] if index is not None else None, fallback, position)
            if index is not None:
                done[index] = result
        results.append(result)
        characters += len(result.text or "")
        if max_chars is not None and characters > max_chars:
            raise TooMuchText(position + 1, characters)
    texts, dropped = _drop_running_lines([r.text for r in results])
    counted = {id(r): r for r in results}.values()  # a page named twice counts once
    return texts, LayoutNotes(headers_dropped=dropped, tables=sum(r.tables for r in counted),
                              columns_pages=sum(r.columns for r in counted),
                              fallback_pages=tuple(p + 1 for p, r in enumerate(results) if r.fallback))


def read_text(data: bytes, reader, password: str | None = None, max_chars: int | None = None,
              pages: Sequence[int] | None = None) -> tuple[list[str | None], LayoutNotes]:
    """document_text for the pages of a pypdf PdfReader (already opened and decrypted): one entry per page of
    reader.pages, or per index in `pages` (0-based, into reader.pages) when given. pdfplumber opens the same bytes
    and its pages are matched to pypdf's by object number, so both agree on what page 3 is. Pages pdfplumber
    cannot open, list or read are read by pypdf, and noted. Here TooMuchText.page and LayoutNotes.fallback_pages
    are page numbers in reader.pages (1-based)."""
    import pdfplumber

    wanted = list(range(len(reader.pages))) if pages is None else list(pages)

    def by_pypdf(position: int) -> str:
        return _pypdf_page_text(reader.pages[wanted[position]])

    def numbered(notes: LayoutNotes) -> LayoutNotes:
        return replace(notes, fallback_pages=tuple(wanted[p - 1] + 1 for p in notes.fallback_pages))

    try:
        try:
            pdf = pdfplumber.open(io.BytesIO(data), password=password or "")
        except Exception:
            logger.warning("pdf: pdfplumber cannot open the file; pypdf reads it", exc_info=True)
            texts, notes = _all_by_fallback(len(wanted), by_pypdf, max_chars)
            return texts, numbered(notes)
        try:
            try:
                index = {page.page_obj.pageid: i for i, page in enumerate(pdf.pages)}
            except Exception:
                logger.warning("pdf: pdfplumber cannot list the pages; pypdf reads them", exc_info=True)
                texts, notes = _all_by_fallback(len(wanted), by_pypdf, max_chars)
                return texts, numbered(notes)
            order = []
            for number in wanted:
                ref = getattr(reader.pages[number], "indirect_reference", None)
                order.append(index.get(ref.idnum) if ref is not None else None)
            texts, notes = document_text(pdf, order, by_pypdf, max_chars)
            return texts, numbered(notes)
        finally:
            try:
                pdf.close()
            except Exception:  # closing walks the page list again
                pass
    except TooMuchText as exc:
        raise TooMuchText(wanted[exc.page - 1] + 1, exc.characters) from None


def _all_by_fallback(count: int, fallback: Callable[[int], str],
                     max_chars: int | None) -> tuple[list[str | None], LayoutNotes]:
    texts: list[str | None] = []
    characters = 0
    for position in range(count):
        text = _fallback_text(fallback, position)
        characters += len(text or "")
        if max_chars is not None and characters > max_chars:
            raise TooMuchText(position + 1, characters)
        texts.append(text)
    texts, dropped = _drop_running_lines(texts)
    return texts, LayoutNotes(headers_dropped=dropped, fallback_pages=tuple(range(1, count + 1)))


def _read_one(page, fallback: Callable[[int], str], position: int) -> PageText:
    if page is not None:
        try:
            text, found = _read_page(page)
            if not found.as_drawn:
                return PageText(clean_control_chars(text) if text else text, found.tables, found.columns)
            # right to left or vertical text: pypdf's reading, as before, which follows the drawing order too
        except Exception:  # pdfminer on a broken content stream, font or image: pypdf may still read it
            logger.warning("pdf: layout of page %d failed; pypdf reads it", position + 1, exc_info=True)
        finally:
            try:
                page.close()  # pdfplumber keeps the page's objects until closed
            except Exception:
                pass
    return PageText(_fallback_text(fallback, position), fallback=True)


def _fallback_text(fallback: Callable[[int], str], position: int) -> str | None:
    try:
        text = fallback(position)
    except Exception:
        logger.warning("pdf: text of page %d failed", position + 1, exc_info=True)
        text = ""
    text = clean_control_chars(text or "").rstrip("\n")
    return text if text.strip() else None


def _pypdf_page_text(page) -> str:
    return page.extract_text() or ""


class _PypdfText:
    """pypdf's text of a pdfplumber page, from the same bytes: the fallback when the caller gives none."""

    def __init__(self, pdf, pages: list):
        self._pdf, self._pages, self._reader, self._index = pdf, pages, None, None

    def __call__(self, position: int) -> str:
        from pypdf import PdfReader

        if self._reader is None:
            stream = self._pdf.stream
            data = stream.getvalue() if isinstance(stream, io.BytesIO) else _read_all(stream)
            self._reader = PdfReader(io.BytesIO(data))
            if self._reader.is_encrypted:
                self._reader.decrypt(self._pdf.password or "")
            self._index = {p.indirect_reference.idnum: p for p in self._reader.pages
                           if getattr(p, "indirect_reference", None) is not None}
        page = self._pages[position]
        found = self._index.get(page.page_obj.pageid) if page is not None else None
        return _pypdf_page_text(found) if found is not None else ""


def _read_all(stream) -> bytes:
    where = stream.tell()
    try:
        stream.seek(0)
        return stream.read()
    finally:
        stream.seek(where)


def _drop_running_lines(texts: list[str | None]) -> tuple[list[str | None], int]:
    """Running headers and footers kept once: a first (or last) line that, digits aside, is the first (last) line
    of RUNNING_SHARE of the pages with text, and of RUNNING_MIN_PAGES at least, stays where it first occurs and
    goes from the other pages. Only pages of two lines or more have a header or footer: a page's only line is
    its content ("Text of page 3" on every page of a short file is not a running header). Returns the texts and
    the number of lines dropped."""
    lines = [t.split("\n") if t else None for t in texts]
    with_text = [ls for ls in lines if ls]
    need = max(RUNNING_MIN_PAGES, math.ceil(RUNNING_SHARE * len(with_text)))
    dropped = 0
    for end in (0, -1):  # headers, then footers
        keys: dict[str, int] = {}
        for ls in with_text:
            if len(ls) >= 2:
                key = _running_key(ls[end])
                keys[key] = keys.get(key, 0) + 1
        running = {key for key, n in keys.items() if n >= need and key}
        seen: set[str] = set()
        for ls in with_text:
            if len(ls) < 2:
                continue
            key = _running_key(ls[end])
            if key in running:
                if key in seen:
                    del ls[end]
                    dropped += 1
                else:
                    seen.add(key)
    out = [None if ls is None else "\n".join(ls) for ls in lines]
    return out, dropped


def _running_key(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line).split())
