"""Figures: the pictures and drawings inside PDF and Word files, passed on to the model as image pages.

Glyph reads page images, so a chart whose numbers are stated nowhere but in the chart reaches the model as a
picture, right after the text it belongs to: a PDF page's figures after that page's text, a Word picture after
the paragraph (or table) that holds it. Settings.figures (`--no-figures`, GLYPH_FIGURES=0) turns this off.

What becomes a figure
- PDF, pages with text: the raster images the page draws (image XObjects, also inside form XObjects), found by
  reading the page's content stream, in their order from top to bottom; and drawings made of vector paths
  (charts, diagrams), rasterised by poppler and cropped to the drawing (see "Vector drawings"). Pages without
  text keep their own path (pdf.py rasterises the whole page as a scan), and the page-sized image under an
  invisible OCR text layer is the scan of a text page, not a figure. Inline images (BI ... EI) are left alone:
  they hold icons and glyphs.
- Word: the pictures of the body (DrawingML blips, VML image data; of alternate content the choice, else its
  fallback: the picture Word keeps of a chart), in document order. Headers and footers are not read.

What is left out, each counted in the document's notes
- small pictures, by their declared size: under MIN_SIDE pixels on a side, under MIN_AREA pixels in all, thinner
  than images.MAX_ASPECT, or drawn under MIN_DRAWN points on a side (icons, bullets, rules, spacers);
- repeats: the same picture (the digest of its stored bytes) or the same drawing again: passed once;
- huge pictures: over images.MAX_SOURCE_PIXELS declared: never decoded;
- figures over the budget, kept first come first served in reading order: the image pages must fit
  limits.max_pages beside the scans and the text (estimated at TEXT_CHARS_PER_PAGE characters a page, and each
  figure ends a text part, which may cost a page), and one document decodes at most DOCUMENT_SOURCE_PIXELS of
  declared pixels;
- pictures that cannot be decoded (a damaged stream, EMF/WMF drawings in Word files).
Nothing is decoded or rasterised before its declared size has passed these checks and the budget.

Vector drawings
Content streams are read with a small tokenizer (one regular expression, not pypdf's parser): path construction
and painting, the transformation matrix (q/Q/cm, form matrices), text positions and render mode, and XObjects.
Painted paths (clipping paths are not) are laid on a grid of GRID points; touching cells make one drawing.
Paths that cover most of the page (frames, backgrounds) are left out. A drawing is a figure when it is at least
MIN_DRAWING_SIDE points on each side and MIN_DRAWING_AREA in all, holds MIN_DRAWING_OPS path operators of which
MIN_SHAPE_OPS are shapes (curves, diagonal lines, filled areas: what ruled tables and underlines lack), and its
operators outweigh the text inside it (a table of ruled cells stays text). A page's figure drawings go as one
picture: their region with MARGIN points around it (axis labels and titles are text beside the paths), or the
whole page when that region is most of it.

Bounds: a page's content is read for at most PAGE_TOKENS tokens and PAGE_PATHS painted paths, a document's for
DOCUMENT_TOKENS tokens (later pages are not searched, and the notes say from which page); forms nest at most
FORM_DEPTH deep. A page cut short by these bounds that shows a drawing is passed whole: poppler draws it in C.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import math
import re
import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageOps

from glyph_web.documents.images import MAX_ASPECT, MAX_SOURCE_PIXELS, fit_pixels, to_rgb
from glyph_web.documents.model import Limits
from glyph_web.errors import Message

logger = logging.getLogger(__name__)

MIN_SIDE = 64  # pixels: icons, bullets and rules are smaller
MIN_AREA = 96 * 96  # pixels in all: a 64x100 strip is a rule, not a figure
MIN_DRAWN = 18.0  # points (a quarter inch): a large picture drawn this small is an icon
SCAN_COVER = 0.8  # share of the page an image covers to be the scan under an OCR text layer
DOCUMENT_SOURCE_PIXELS = 400_000_000  # declared pixels decoded for one document's figures
TEXT_CHARS_PER_PAGE = 3_000  # rendered page estimate (a page holds ~9,500 English characters, fewer of CJK)
PICTURE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # Word pictures Pillow decodes

PAGE_TOKENS = 250_000  # content tokens read for one page (~0.2 s)
DOCUMENT_TOKENS = 3_000_000  # and for one document
PAGE_PATHS = 20_000  # painted paths kept for one page
PAGE_TEXTS = 20_000  # text positions kept for one page
FORM_DEPTH = 8
GRID = 36.0  # points (half an inch): paths closer than a cell or two belong to one drawing
MAX_GRID = 100  # cells on a side, whatever the page size
BACKGROUND_SHARE = 0.5  # a path covering more of the page is a frame or a background
MIN_DRAWING_SIDE = 54.0  # points
MIN_DRAWING_AREA = 90.0 * 90.0  # points squared
MIN_DRAWING_OPS = 16
MIN_SHAPE_OPS = 4
SHAPE_WEIGHT = 8  # a shape operator outweighs this many characters of text inside the drawing
MARGIN = 24.0  # points around a drawing: its labels
WHOLE_PAGE = 0.8  # a region covering more of the page than this is the page
THIN = 3.0  # points: a filled rectangle thinner than this is a rule, not an area

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, PDF page space (y up)
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_FILLS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PAINTS = _FILLS | {b"S", b"s"}
_SHOWS = {b"Tj", b"TJ", b"'", b'"'}

# One token of a content stream: 1 literal string (one level of nested parentheses), 2 array (with strings),
# 3 hex string, 4 name, 5 number, 6 operator (also true/false/null); then comments, dictionary brackets and
# stray bytes, which are skipped.
_TOKEN = re.compile(rb"""
    (\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\))
  | (\[(?:[^\[\]()]|\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\))*\])
  | (<[0-9A-Fa-f\s]*>)
  | (/[^\s/\[\]()<>{}%]*)
  | ([+-]?(?:\d+\.?\d*|\.\d+))
  | ([A-Za-z'"][A-Za-z0-9*'"]*)
  | %[^\r\n]*
  | <<|>>|\S
""", re.X | re.S)
# A path construction operator after its last operand (what the quick look at a text page counts).
_PATH_OPERATOR = re.compile(rb"[\d.]\s+(?:re|[lcmvy])(?![A-Za-z0-9*'\"])")
_END_INLINE_IMAGE = re.compile(rb"\sEI(?=\s|$)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass
class Figure:
    """One figure found, not yet decoded: a PDF image XObject, a PDF page's drawing, or a Word picture."""

    page: int  # PDF: the page it is on; Word: the picture's number in the body
    top: float = 0.0  # PDF: its top edge (points, y up), to order a page's figures
    source: Any = None  # PDF: the image XObject; Word: the picture's bytes; None: a drawing
    box: Box | None = None  # a drawing's region; None: the whole page
    pixels: int = 0  # declared pixels (decoded for an image; a drawing is rasterised within the budget)


@dataclass
class Tally:
    """What became of a document's figures, for its notes."""

    passed: list[int] = field(default_factory=list)  # PDF: the page of each figure passed on (Word: numbers)
    small: int = 0
    repeated: int = 0
    huge: int = 0
    unreadable: int = 0
    unsupported: int = 0  # Word: pictures in formats that cannot be decoded here (EMF, WMF)
    over_pages: int = 0
    over_pixels: int = 0
    unsearched_from: int | None = None  # PDF: the first page not searched (the work bound was reached)
    decoded: int = 0  # images decoded (the tests count the work)

    def notes(self, name: str, limits: Limits, pages: str | None = None) -> list[Message]:
        """The document's notes: `pages` names the pages of the figures passed (PDF), None for a Word file."""
        notes = []
        count = len(self.passed)
        if count and pages is not None:
            notes.append(Message("documents.figures_pdf_one", name=name, pages=pages) if count == 1 else
                         Message("documents.figures_pdf_many", name=name, count=count, pages=pages))
        elif count:
            notes.append(Message("documents.figures_word_one", name=name) if count == 1 else
                         Message("documents.figures_word_many", name=name, count=count))
        if self.small:
            notes.append(Message("documents.figures_small", name=name, count=self.small, side=MIN_SIDE))
        if self.repeated:
            notes.append(Message("documents.figures_repeated", name=name, count=self.repeated))
        if self.huge:
            notes.append(Message("documents.figures_huge", name=name, count=self.huge,
                                 million=MAX_SOURCE_PIXELS // 1_000_000))
        if self.unsupported:
            notes.append(Message("documents.figures_unsupported", name=name, count=self.unsupported))
        if self.unreadable:
            notes.append(Message("documents.figures_unreadable", name=name, count=self.unreadable))
        if self.over_pages:
            notes.append(Message("documents.figures_over_pages", name=name, count=self.over_pages,
                                 limit=limits.max_pages))
        if self.over_pixels:
            notes.append(Message("documents.figures_over_pixels", name=name, count=self.over_pixels,
                                 million=DOCUMENT_SOURCE_PIXELS // 1_000_000))
        if self.unsearched_from is not None:
            notes.append(Message("documents.figures_unsearched", name=name, page=self.unsearched_from))
        return notes


def judge(width: int, height: int) -> str | None:
    """Why a picture of this declared size is left out ("small", "huge", "unreadable"), or None to keep it."""
    if width < 1 or height < 1:
        return "unreadable"
    if width * height > MAX_SOURCE_PIXELS:
        return "huge"
    if min(width, height) < MIN_SIDE or width * height < MIN_AREA or max(width, height) / min(width, height) > \
            MAX_ASPECT:
        return "small"
    return None


def fit(events: list, limits: Limits, tally: Tally, room: int | None = None) -> list[Figure]:
    """The figures that fit the budget, in reading order; the others are counted in `tally`.

    `events` is the document in reading order: an int for a piece of text (its characters), None for a page
    image that is not a figure (a scan), a Figure for a figure. Each figure is one image page, and it ends the
    text part before it (rendered text starts a new page after it). `room`: image pages left for this document
    (a set of files shares the page limit); None: the page limit.
    """
    def pages(chars: int) -> int:
        return -(-chars // TEXT_CHARS_PER_PAGE)

    rest = sum(e for e in events if isinstance(e, int))  # characters after the point reached
    scans_left = sum(e is None for e in events)  # each may yet end a text part
    images = scans_left  # image pages: every scan, and the figures kept so far
    closed = current = pixels = 0  # text pages of the parts ended; characters of the open part
    room = limits.max_pages if room is None else room
    kept = []
    for event in events:
        if event is None:
            closed, current, scans_left = closed + pages(current), 0, scans_left - 1
        elif isinstance(event, int):
            current, rest = current + event, rest - event
        elif closed + pages(current) + pages(rest) + scans_left + images + 1 > limits.max_pages or images >= room:
            tally.over_pages += 1
        elif pixels + event.pixels > DOCUMENT_SOURCE_PIXELS:
            tally.over_pixels += 1
        else:
            kept.append(event)
            images, pixels = images + 1, pixels + event.pixels
            closed, current = closed + pages(current), 0
    return kept


# --- PDF --------------------------------------------------------------------------------------------------------


@dataclass
class PageScan:
    """What one PDF page draws, as far as its content stream was read."""

    tokens: int = 0
    cut: bool = False  # a bound stopped the reading
    images: list[tuple[Any, Any, Box]] = field(default_factory=list)  # (identity, image XObject, where drawn)
    paths: list[tuple[float, float, float, float, int, int]] = field(default_factory=list)  # box, ops, shapes
    texts: list[tuple[float, float, int]] = field(default_factory=list)  # x, y, characters of visible text
    visible: int = 0  # characters shown
    invisible: int = 0  # characters in render mode 3 or 7 (an OCR layer)


class _Budget:
    def __init__(self, tokens: int) -> None:
        self.tokens = tokens


def find_pdf_figures(reader, text_pages: list[int], tally: Tally) -> dict[int, list[Figure]]:
    """The figures of the given pages (those with text), by page, each page's from top to bottom; not decoded.
    Small, huge and repeated pictures are counted in `tally` and left out here."""
    budget = _Budget(DOCUMENT_TOKENS)
    seen: set = set()  # digests of the pictures and signatures of the drawings found so far
    digests: dict[Any, Any] = {}  # identity of an image XObject -> its digest (hashed once)
    found: dict[int, list[Figure]] = {}
    for number in text_pages:
        if budget.tokens <= 0:
            tally.unsearched_from = number
            break
        page = reader.pages[number - 1]
        try:
            scan = scan_page(page, budget)
            page_box = _page_box(page)
        except Exception:  # a broken page costs its figures, not the document
            logger.warning("figures of page %d could not be looked for", number, exc_info=True)
            continue
        figures = _page_images(scan, page_box, number, seen, digests, tally)
        drawing = _page_drawing(scan, page_box, number, seen, tally)
        if drawing is not None:
            figures.append(drawing)
        if figures:
            found[number] = sorted(figures, key=lambda f: -f.top)
    return found


def scan_page(page, budget: _Budget | None = None) -> PageScan:
    """Read a page's content stream (and its forms) within PAGE_TOKENS and the document's budget."""
    budget = budget or _Budget(DOCUMENT_TOKENS)
    scan = PageScan()
    contents = page.get_contents()
    if contents is None:
        return scan
    data = contents.get_data()
    resources = _resolve(page.get("/Resources"))
    xobjects = resources.get("/XObject") if isinstance(resources, dict) else None
    if not xobjects and sum(1 for _ in itertools.islice(_PATH_OPERATOR.finditer(data), MIN_DRAWING_OPS)) < \
            MIN_DRAWING_OPS:
        return scan  # no picture, and too few paths for a drawing: most text pages end here, at C speed
    _Walker(scan, min(PAGE_TOKENS, budget.tokens)).walk(data, resources, _IDENTITY, 0, 0)
    budget.tokens -= scan.tokens
    return scan


def decode_pdf_image(xobject, limits: Limits) -> Image.Image | None:
    """An image XObject as an RGB picture within the pixel budget; None when it cannot be decoded."""
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)  # a stream that lies about its size
            img = xobject.decode_as_image()
            if img is None or img.width * img.height > MAX_SOURCE_PIXELS:
                return None
            img.load()
            return fit_pixels(to_rgb(img), limits.image_max_pixels)
    except Exception:  # pypdf and Pillow raise many types for a damaged or unsupported stream
        logger.warning("a PDF image could not be decoded", exc_info=True)
        return None
    finally:
        _forget_decoded(xobject)


def _forget_decoded(stream) -> None:
    # pypdf keeps a stream's decoded bytes on the object (`decoded_self`); a figure's are not needed again
    if getattr(stream, "decoded_self", None) is not None:
        stream.decoded_self = None


def _page_box(page) -> Box:
    box = page.mediabox
    x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 - x0 < 1 or y1 - y0 < 1:
        return 0.0, 0.0, 612.0, 792.0
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _page_images(scan: PageScan, page_box: Box, number: int, seen: set, digests: dict, tally: Tally) -> list[Figure]:
    figures = []
    page_area = (page_box[2] - page_box[0]) * (page_box[3] - page_box[1])
    ocr_layer = scan.visible == 0 and scan.invisible > 0
    for identity, xobject, (x0, y0, x1, y1) in scan.images:
        try:
            width, height = _int(xobject.get("/Width")), _int(xobject.get("/Height"))
        except (TypeError, ValueError, OverflowError):
            tally.unreadable += 1
            continue
        if ocr_layer and _overlap((x0, y0, x1, y1), page_box) >= SCAN_COVER * page_area:
            continue  # the scan under an OCR text layer: the page's text is read instead, as before
        reason = judge(width, height)
        if reason is None and min(x1 - x0, y1 - y0) < MIN_DRAWN:
            reason = "small"
        if reason is not None:
            setattr(tally, reason, getattr(tally, reason) + 1)
            continue
        if identity not in digests:
            raw = getattr(xobject, "_data", b"")  # the stored (encoded) bytes: no decoding to compare
            digests[identity] = (hashlib.sha256(raw).digest(), width, height) if raw else identity
        if digests[identity] in seen:
            tally.repeated += 1
            continue
        seen.add(digests[identity])
        figures.append(Figure(page=number, top=y1, source=xobject, pixels=width * height))
    return figures


def _page_drawing(scan: PageScan, page_box: Box, number: int, seen: set, tally: Tally) -> Figure | None:
    drawings = drawing_regions(scan, page_box)
    if not drawings:
        return None
    px0, py0, px1, py1 = page_box
    x0 = max(px0, min(b[0] for b, _ in drawings) - MARGIN)
    y0 = max(py0, min(b[1] for b, _ in drawings) - MARGIN)
    x1 = min(px1, max(b[2] for b, _ in drawings) + MARGIN)
    y1 = min(py1, max(b[3] for b, _ in drawings) + MARGIN)
    whole = scan.cut or (x1 - x0) * (y1 - y0) > WHOLE_PAGE * (px1 - px0) * (py1 - py0)
    # the drawings' boxes and operators: the same on another page is the same drawing (a large vector logo)
    signature = ("drawing", tuple((*(round(v) for v in box), ops) for box, ops in drawings))
    if signature in seen:  # the same drawing on another page (a large vector logo, a form's frame)
        tally.repeated += 1
        return None
    seen.add(signature)
    return Figure(page=number, top=py1 if whole else y1, box=None if whole else (x0, y0, x1, y1))


def drawing_regions(scan: PageScan, page_box: Box) -> list[tuple[Box, int]]:
    """The drawings on a page that are figures (see the module's notes): (box in points, path operators)."""
    if sum(p[4] for p in scan.paths) < MIN_DRAWING_OPS:
        return []
    px0, py0, px1, py1 = page_box
    page_area = (px1 - px0) * (py1 - py0)
    cell = max(GRID, (px1 - px0) / MAX_GRID, (py1 - py0) / MAX_GRID)
    cols, rows = max(1, math.ceil((px1 - px0) / cell)), max(1, math.ceil((py1 - py0) / cell))

    def span(lo: float, hi: float, origin: float, count: int) -> tuple[int, int]:
        return (min(count - 1, max(0, int((lo - origin) // cell))), min(count - 1, max(0, int((hi - origin) // cell))))

    marked = bytearray(cols * rows)
    placed = []  # (path, first cell)
    for path in scan.paths:
        x0, y0, x1, y1 = path[:4]
        if (x1 - x0) * (y1 - y0) > BACKGROUND_SHARE * page_area or x1 < px0 or y1 < py0 or x0 > px1 or y0 > py1:
            continue
        i0, i1 = span(x0, x1, px0, cols)
        j0, j1 = span(y0, y1, py0, rows)
        for j in range(j0, j1 + 1):
            marked[j * cols + i0:j * cols + i1 + 1] = b"\x01" * (i1 - i0 + 1)
        placed.append((path, j0 * cols + i0))
    labels = _label(marked, cols, rows)
    groups: dict[int, list] = {}  # label -> [x0, y0, x1, y1, ops, shapes, text]
    for (x0, y0, x1, y1, ops, shapes), first in placed:
        g = groups.setdefault(labels[first], [x0, y0, x1, y1, 0, 0, 0])
        g[0], g[1], g[2], g[3] = min(g[0], x0), min(g[1], y0), max(g[2], x1), max(g[3], y1)
        g[4] += ops
        g[5] += shapes
    for x, y, chars in scan.texts:
        if px0 <= x <= px1 and py0 <= y <= py1:
            i, _ = span(x, x, px0, cols)
            j, _ = span(y, y, py0, rows)
            label = labels[j * cols + i]
            if label in groups:
                groups[label][6] += chars
    return [((x0, y0, x1, y1), ops) for x0, y0, x1, y1, ops, shapes, text in groups.values()
            if min(x1 - x0, y1 - y0) >= MIN_DRAWING_SIDE and (x1 - x0) * (y1 - y0) >= MIN_DRAWING_AREA
            and ops >= MIN_DRAWING_OPS and shapes >= MIN_SHAPE_OPS and shapes * SHAPE_WEIGHT + ops >= text]


def _label(marked: bytearray, cols: int, rows: int) -> list[int]:
    """Connected marked cells (8 neighbours) labelled 1, 2, ...; 0 for unmarked cells."""
    labels = [0] * (cols * rows)
    next_label = 0
    for start in range(cols * rows):
        if not marked[start] or labels[start]:
            continue
        next_label += 1
        labels[start] = next_label
        todo = [start]
        while todo:
            at = todo.pop()
            j, i = divmod(at, cols)
            for dj in (-1, 0, 1):
                for di in (-1, 0, 1):
                    jj, ii = j + dj, i + di
                    if 0 <= jj < rows and 0 <= ii < cols:
                        k = jj * cols + ii
                        if marked[k] and not labels[k]:
                            labels[k] = next_label
                            todo.append(k)
    return labels


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _resolve(value):
    return value.get_object() if hasattr(value, "get_object") else value


def _int(value) -> int:
    return int(_resolve(value))


def _mul(m, n):
    """The matrix m then n (PDF's row-vector convention: [x y 1] m n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


class _Walker:
    """A content stream interpreter that keeps only what figures need (see the module's notes)."""

    def __init__(self, scan: PageScan, limit: int) -> None:
        self.scan = scan
        self.limit = limit

    def walk(self, data: bytes, resources, ctm, tr: int, depth: int) -> None:
        scan = self.scan
        stack: list[tuple] = []  # q/Q: (ctm, text render mode)
        nums: list[bytes] = []
        name = b""
        shown = 0  # characters of the last string or array
        tm = tlm = _IDENTITY
        leading = 0.0
        # the path being built: its box (page space), operators, shapes (curves, diagonals), areas (rectangles)
        bx0 = by0 = math.inf
        bx1 = by1 = -math.inf
        ops = shapes = areas = 0
        cx = cy = sx = sy = 0.0
        xobjects = None
        pos = 0
        while True:
            resume = None
            for match in _TOKEN.finditer(data, pos):
                scan.tokens += 1
                if scan.tokens > self.limit:
                    scan.cut = True
                    return
                kind = match.lastindex
                if kind == 5:
                    nums.append(match.group(5))
                    continue
                if kind == 4:
                    name = match.group(4)
                    continue
                if kind in (1, 2, 3):
                    size = match.end() - match.start() - 2
                    shown = size if kind == 1 else size // (2 if kind == 2 else 4)
                    continue
                if kind != 6:
                    continue
                op = match.group(6)
                try:
                    if op in (b"m", b"l", b"c", b"v", b"y", b"re"):
                        need = {b"m": 2, b"l": 2, b"c": 6, b"v": 4, b"y": 4, b"re": 4}[op]
                        if len(nums) < need:
                            continue
                        v = [float(x) for x in nums[-need:]]
                        if op == b"re":
                            x, y, w, h = v
                            points = [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]
                        else:
                            points = list(zip(v[0::2], v[1::2]))
                        a, b, c, d, e, f = ctm
                        page_points = [(a * x + c * y + e, b * x + d * y + f) for x, y in points]
                        xs = [p[0] for p in page_points]
                        ys = [p[1] for p in page_points]
                        if not all(math.isfinite(t) for t in xs + ys):
                            continue
                        bx0, by0 = min(bx0, *xs), min(by0, *ys)
                        bx1, by1 = max(bx1, *xs), max(by1, *ys)
                        ops += 1
                        lx, ly = page_points[-1] if op != b"re" else page_points[0]
                        if op == b"l" and abs(lx - cx) > 0.5 and abs(ly - cy) > 0.5:
                            shapes += 1
                        elif op in (b"c", b"v", b"y"):
                            shapes += 1
                        elif op == b"re" and min(max(xs) - min(xs), max(ys) - min(ys)) >= THIN:
                            areas += 1
                        cx, cy = lx, ly
                        if op in (b"m", b"re"):
                            sx, sy = lx, ly
                    elif op == b"h":
                        cx, cy = sx, sy
                    elif op in _PAINTS or op == b"n":
                        if op != b"n" and ops:
                            if len(scan.paths) >= PAGE_PATHS:
                                scan.cut = True
                                return
                            scan.paths.append((bx0, by0, bx1, by1, ops, shapes + (areas if op in _FILLS else 0)))
                        bx0 = by0 = math.inf
                        bx1 = by1 = -math.inf
                        ops = shapes = areas = 0
                    elif op == b"q":
                        if len(stack) < 1024:
                            stack.append((ctm, tr))
                    elif op == b"Q":
                        if stack:
                            ctm, tr = stack.pop()
                    elif op == b"cm":
                        if len(nums) >= 6:
                            m = tuple(float(x) for x in nums[-6:])
                            if all(math.isfinite(t) for t in m):
                                ctm = _mul(m, ctm)
                    elif op == b"BT":
                        tm = tlm = _IDENTITY
                    elif op == b"Tm":
                        if len(nums) >= 6:
                            tm = tlm = tuple(float(x) for x in nums[-6:])
                    elif op in (b"Td", b"TD"):
                        if len(nums) >= 2:
                            tx, ty = float(nums[-2]), float(nums[-1])
                            if op == b"TD":
                                leading = -ty
                            tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
                    elif op == b"T*":
                        tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -leading), tlm)
                    elif op == b"TL":
                        if nums:
                            leading = float(nums[-1])
                    elif op == b"Tr":
                        if nums:
                            tr = int(float(nums[-1]))
                    elif op in _SHOWS:
                        if op in (b"'", b'"'):
                            tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -leading), tlm)
                        if tr in (3, 7):
                            scan.invisible += shown
                        else:
                            scan.visible += shown
                            if len(scan.texts) < PAGE_TEXTS:
                                a, b, c, d, e, f = ctm
                                x, y = tm[4], tm[5]
                                scan.texts.append((a * x + c * y + e, b * x + d * y + f, shown))
                    elif op == b"Do":
                        if xobjects is None:
                            xobjects = _resolve(resources.get("/XObject")) if resources is not None else None
                            xobjects = xobjects if isinstance(xobjects, dict) else {}
                        self._do(xobjects, name, ctm, tr, depth)
                        if scan.cut:
                            return
                    elif op == b"ID":  # inline image data: skipped whole
                        end = _END_INLINE_IMAGE.search(data, match.end() + 1)
                        if end is None:
                            return
                        resume = end.end()
                        break
                except (ValueError, OverflowError, ZeroDivisionError):
                    pass  # a malformed operand: the operator is ignored
                finally:
                    if kind == 6:
                        nums.clear()
            if resume is None:
                return
            pos = resume

    def _do(self, xobjects: dict, name: bytes, ctm, tr: int, depth: int) -> None:
        if b"#" in name:
            name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        ref = dict.get(xobjects, name.decode("latin-1"))
        if ref is None:
            return
        try:
            xobject = _resolve(ref)
            subtype = xobject.get("/Subtype")
        except Exception:  # a broken reference draws nothing
            return
        identity = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else ("direct", id(xobject))
        a, b, c, d, e, f = ctm
        if subtype == "/Image":
            xs = (e, a + e, c + e, a + c + e)
            ys = (f, b + f, d + f, b + d + f)
            self.scan.images.append((identity, xobject, (min(xs), min(ys), max(xs), max(ys))))
        elif subtype == "/Form" and depth < FORM_DEPTH:
            try:
                matrix = xobject.get("/Matrix")
                matrix = tuple(float(_resolve(v)) for v in _resolve(matrix)) if matrix is not None else _IDENTITY
                if len(matrix) != 6 or not all(math.isfinite(t) for t in matrix):
                    matrix = _IDENTITY
                resources = _resolve(xobject.get("/Resources"))
                data = xobject.get_data()
            except Exception:  # a broken form draws nothing
                return
            self.walk(data, resources if isinstance(resources, dict) else None, _mul(matrix, ctm), tr, depth + 1)


# --- Word -------------------------------------------------------------------------------------------------------


def picture_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a picture's header, decoding no pixels; None for a format Pillow cannot decode."""
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as img:
                return img.size
    except Image.DecompressionBombError:
        return MAX_SOURCE_PIXELS + 1, 1  # judged huge
    except Exception:  # EMF, WMF, SVG, or damaged
        return None


def decode_picture(data: bytes, limits: Limits) -> Image.Image | None:
    """A Word picture as an RGB page within the pixel budget (turned upright); None when it cannot be."""
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as img:
                if img.width * img.height > MAX_SOURCE_PIXELS:
                    return None
                img.load()
                page = to_rgb(ImageOps.exif_transpose(img))
        return fit_pixels(page, limits.image_max_pixels)
    except Exception:  # Pillow raises many types for a damaged picture
        logger.warning("a Word picture could not be decoded", exc_info=True)
        return None
