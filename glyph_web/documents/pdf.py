"""PDF: the text layer page by page (pypdf), and pages without one (scans) passed on as images.

A page whose text layer is empty is rasterised as it is with poppler and handed on as a page image, at its
place in the document, so a PDF that mixes text pages and scanned pages keeps both in reading order. Blank
pages are dropped. Password-protected files are refused unless the password is given.

With page ranges (glyph_web.documents.pages) only the chosen pages are read: text is extracted and scans are
rasterised for them alone, so the text and scan budgets count only them, and the warnings name them.

Before any text is extracted the page tree is counted, and a file with more pages than could ever fit the page
limit is refused at once: by its declared /Count when that is already too many (a lie that says fewer is caught
by the count itself, which stops as soon as it passes the bound). Scanned pages are rasterised at SCAN_DPI, or
lower for pages too large for RASTER_PIXELS times the pixel budget at it, and pdftoppm never draws more.

Figures (Limits.figures, on by default; see glyph_web.documents.figures): the pictures a text page draws and its
vector drawings (charts, diagrams) follow that page's text as image pages, within the page budget, decoded (or
rasterised, cropped to the drawing) only once their declared sizes have passed. Drawings that poppler cannot draw
are left out with a note; they do not refuse the document as an unreadable scan does.
"""

from __future__ import annotations

import io
import logging
import math

from glyph_web import poppler
from glyph_web.documents import figures as _figures
from glyph_web.documents import pdf_layout
from glyph_web.documents.images import fit_pixels
from glyph_web.documents.model import Document, ImagePart, Limits, Part, TextPart, digest
from glyph_web.documents.pages import PageRanges
from glyph_web.errors import DocumentError, Message

logger = logging.getLogger(__name__)

SCAN_DPI = 150  # enough for print-size text on a scan; the page is then fitted into the pixel budget
BLANK_TOLERANCE = 8  # grey levels: a raster with nothing darker than this off white is a blank page
# PDF pages read for one page the model reads: text pages are merged before rendering (a page of slides or of
# short lines may hold little), so a PDF may have more pages than the page limit, but not this many more.
PDF_PAGES_PER_PAGE = 10
# Page-tree entries (pages and the nodes above them) walked per PDF page allowed, before giving up.
TREE_ENTRIES_PER_PAGE = 4
MAX_TREE_DEPTH = 100  # as pypdf's own bound
# A scanned page is drawn with at most this many times the pixel budget (then scaled into it): A4 and Letter
# at SCAN_DPI fit, a poster-sized page is drawn at a lower resolution instead of at full size.
RASTER_PIXELS = 4
DEFAULT_PAGE = (612.0, 792.0)  # points; poppler's own fallback for a page without a usable MediaBox


def load_pdf(data: bytes, name: str, limits: Limits, password: str | None = None,
             pages: PageRanges | None = None, room: int | None = None) -> Document:
    """The PDF's text page by page, its scans and figures as image pages at their place. `room`: image pages
    left for this file's figures when it is one of a set (None: the page limit)."""
    reader = _open(data, name, password)
    _check_page_tree(reader, name, limits)  # the whole file: it bounds what the parser walks
    try:
        count = len(reader.pages)
    except Exception:
        raise _damaged(name) from None
    chosen = list(range(1, count + 1)) if pages is None else pages.numbers(count)
    if pages is not None and not chosen:
        raise DocumentError("documents.pages_none", name=name, count=count, pages=str(pages))
    from glyph_web.contracts import MAX_CHARS_PER_PAGE

    most = limits.max_pages * MAX_CHARS_PER_PAGE  # more than the page limit could ever show: refused
    texts, notes = _read_texts(data, reader, password, chosen, name, limits, most)
    scanned = [n for n, t in texts.items() if t is None]
    if len(scanned) > limits.max_pages:
        raise DocumentError("documents.pdf_scans_limit", name=name, count=len(scanned), limit=limits.max_pages)
    tally = _figures.Tally()
    chosen_figures = _choose_figures(reader, texts, limits, tally, room) if limits.figures else []
    images = dict(zip(scanned, _rasterize(data, reader, scanned, name, limits))) if scanned else {}
    figure_images = _figure_images(data, reader, chosen_figures, name, limits, tally)
    parts: list[Part] = []
    blank, kept_scans = [], []
    for number, text in texts.items():
        if text is not None:
            if parts and isinstance(parts[-1], TextPart):
                parts[-1] = TextPart(parts[-1].text + "\n" + text)
            else:
                parts.append(TextPart(text))
            parts.extend(ImagePart(img, Message("documents.figure_label", name=name, page=number))
                         for img in figure_images.get(number, []))
        elif _is_blank(images[number]):
            blank.append(number)
        else:
            kept_scans.append(number)
            parts.append(ImagePart(images[number], Message("documents.scan_label", name=name, page=number)))
    warnings = []
    if pages is not None:
        warnings.append(Message("documents.pages_used_one" if len(chosen) == 1 else "documents.pages_used_many",
                                name=name, pages=_pages(chosen), count=count))
    if kept_scans:
        warnings.append(Message("documents.pdf_scans_one" if len(kept_scans) == 1 else "documents.pdf_scans_many",
                                name=name, pages=_pages(kept_scans)))
    if blank:
        warnings.append(Message("documents.pdf_blank_one" if len(blank) == 1 else "documents.pdf_blank_many",
                                name=name, pages=_pages(blank)))
    warnings.extend(tally.notes(name, limits, _pages(sorted(set(tally.passed))) if tally.passed else ""))
    warnings.extend(_layout_notes(notes, name))
    if not parts:
        warnings.append(Message("documents.no_text_no_scans", name=name))
    # the digest keys the page and KV caches: a range of the file is another document than the whole file
    sha = digest(data) if pages is None else digest(f"{digest(data)}\0pages {chosen}".encode())
    return Document(name=name, kind="pdf", parts=parts, sha256=sha, warnings=warnings)


def _read_texts(data: bytes, reader, password: str | None, chosen: list[int], name: str, limits: Limits,
                most: int) -> tuple[dict[int, str | None], pdf_layout.LayoutNotes]:
    """Page number -> its text in reading order (pdf_layout: tables as rows, columns one after the other,
    running headers kept once); None for a page without a text layer (a scan, or blank). Pages drawn by the same
    content streams and resources (a page tree naming one page many times, or pages sharing their drawing) are
    read once: reading is the costly part, and such a file could otherwise make it a thousand times over."""
    first: dict[tuple, int] = {}  # what draws a page -> the first chosen page drawn so
    source: dict[int, int] = {}  # page number -> the page whose text it has (itself, or the first drawn alike)
    for number in chosen:
        key = _drawn_by(reader.pages[number - 1])
        source[number] = first.setdefault(key, number) if key is not None else number
    reads = [number for number in chosen if source[number] == number]
    try:
        read, notes = pdf_layout.read_text(data, reader, password, max_chars=most, pages=[n - 1 for n in reads])
    except pdf_layout.TooMuchText as exc:
        raise _too_much_text(name, limits, most, exc.page) from None
    by_number = dict(zip(reads, read))
    texts: dict[int, str | None] = {}
    characters = 0
    for number in chosen:
        text = by_number[source[number]]
        characters += len(text or "")
        if characters > most:
            raise _too_much_text(name, limits, most, number)
        # "" is a page whose only line was a running header kept on another page: text, not a scan
        texts[number] = None if text is None or (text and not text.strip()) else text
    return texts, notes


def _too_much_text(name: str, limits: Limits, most: int, page: int) -> DocumentError:
    return DocumentError("documents.pdf_text_limit_one" if limits.max_pages == 1 else
                         "documents.pdf_text_limit_many", name=name, limit=limits.max_pages, most=most, page=page)


def _layout_notes(notes: pdf_layout.LayoutNotes, name: str) -> list[Message]:
    """What the layout reader did, said to the reader where it changes what the model sees."""
    said = []
    if notes.tables:
        said.append(Message("documents.pdf_tables", name=name, count=notes.tables))
    if notes.columns_pages:
        said.append(Message("documents.pdf_columns", name=name, count=notes.columns_pages))
    if notes.headers_dropped:
        said.append(Message("documents.pdf_running_lines", name=name, count=notes.headers_dropped))
    if notes.fallback_pages:
        logger.info("pdf %s: pages %s read in drawing order (pypdf)", name, _pages(list(notes.fallback_pages)))
    return said


def _choose_figures(reader, texts: dict[int, str | None], limits: Limits, tally: _figures.Tally,
                    room: int | None) -> list[_figures.Figure]:
    """The figures of the text pages that fit the budget, in reading order (scans count as image pages)."""
    found = _figures.find_pdf_figures(reader, [n for n, t in texts.items() if t is not None], tally)
    events: list = []
    for number, text in texts.items():
        events.append(None if text is None else len(text))
        events.extend(found.get(number, ()))
    return _figures.fit(events, limits, tally, room)


def _figure_images(data: bytes, reader, chosen: list[_figures.Figure], name: str, limits: Limits,
                   tally: _figures.Tally) -> dict[int, list]:
    """page number -> the pictures of its figures, in order: images decoded, drawings rasterised (cropped)."""
    drawings = {f.page: f.box for f in chosen if f.source is None}
    drawn: dict = {}
    if drawings:
        numbers = sorted(drawings)
        try:
            drawn = dict(zip(numbers, _rasterize(data, reader, numbers, name, limits, drawings)))
        except DocumentError:
            logger.warning("pdf %s: drawings could not be rasterised", name, exc_info=True)
            tally.unreadable += len(drawings)
    out: dict[int, list] = {}
    for figure in chosen:
        if figure.source is None:
            img = drawn.get(figure.page)
        else:
            tally.decoded += 1
            img = _figures.decode_pdf_image(figure.source, limits)
            if img is None:
                tally.unreadable += 1
        if img is not None and not _is_blank(img):
            out.setdefault(figure.page, []).append(img)
            tally.passed.append(figure.page)
    return out


def _open(data: bytes, name: str, password: str | None):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception:
        logger.warning("pdf %s failed to open", name, exc_info=True)
        raise _damaged(name) from None
    if reader.is_encrypted:
        try:
            # Many PDFs are encrypted with an empty user password (only editing is restricted): they open.
            opened = reader.decrypt(password or "")
            if not opened and password is None:
                opened = reader.decrypt("")
        except DependencyError:
            raise DocumentError("documents.pdf_aes", name=name) from None
        except Exception:  # pypdf raises several types for a wrong key or a broken encryption dict
            opened = 0
        if not opened:
            if password:
                raise DocumentError("documents.pdf_wrong_password", name=name)
            raise DocumentError("documents.pdf_password", name=name)
    return reader


def _check_page_tree(reader, name: str, limits: Limits) -> None:
    """Refuse a PDF with more pages than PDF_PAGES_PER_PAGE x the page limit, before pypdf lists its pages.

    pypdf's page list walks the whole tree, and a few kilobytes of shared page-tree nodes can name millions of
    pages; this walk stops once the bound is passed. The declared /Count is believed only when it refuses.
    """
    from pypdf.generic import ArrayObject, DictionaryObject

    most = limits.max_pages * PDF_PAGES_PER_PAGE
    try:
        tree = reader.trailer["/Root"].get_object()["/Pages"].get_object()
    except Exception:
        raise _damaged(name) from None
    if not isinstance(tree, DictionaryObject):
        raise _damaged(name)
    try:
        declared = int(tree.get("/Count", 0))  # (resolved when given by reference)
    except (TypeError, ValueError, OverflowError):
        declared = 0
    if declared > most:
        raise _too_many_pages(name, Message("documents.pdf_pages_declared", count=declared), most, limits)

    def kids(node) -> list:
        found = node.get("/Kids")
        found = found.get_object() if found is not None else None
        return list(found) if isinstance(found, ArrayObject) else []

    pages = entries = 0
    path = {id(tree)}  # the /Pages nodes from the root to the one being walked: a kid among them is a cycle
    stack = [(tree, iter(kids(tree)))]
    try:
        while stack:
            node, todo = stack[-1]
            kid = next(todo, None)
            if kid is None:
                stack.pop()
                path.discard(id(node))
                continue
            obj = kid.get_object()
            if not isinstance(obj, DictionaryObject) or not obj:
                continue  # pypdf skips these too
            entries += 1
            if entries > TREE_ENTRIES_PER_PAGE * most + 64:
                raise _too_many_pages(name, Message("documents.pdf_page_tree", count=entries - 1), most, limits)
            if id(obj) in path:
                raise _damaged(name)
            if obj.get("/Type") == "/Pages" if "/Type" in obj else "/Kids" in obj:
                if len(stack) > MAX_TREE_DEPTH:
                    raise _damaged(name)
                path.add(id(obj))
                stack.append((obj, iter(kids(obj))))
            else:
                pages += 1
                if pages > most:
                    raise _too_many_pages(name, Message("documents.pdf_pages_more", count=most), most, limits)
    except DocumentError:
        raise
    except Exception:  # pypdf raises several types for a broken object
        raise _damaged(name) from None


def _drawn_by(page) -> tuple | None:
    """What a page's text comes from: its content streams, its resources and its rotation (None when they
    cannot be told apart from another page's). Pages sharing them, as in a page tree that names one page many
    times, have the same text, which is extracted once."""
    from pypdf.generic import ArrayObject, IndirectObject

    def ref(value):
        if isinstance(value, IndirectObject):
            return value.idnum, value.generation
        if isinstance(value, ArrayObject) and all(isinstance(v, IndirectObject) for v in value):
            return tuple((v.idnum, v.generation) for v in value)
        return None

    contents, resources = dict.get(page, "/Contents"), dict.get(page, "/Resources")
    drawn = ref(contents) if contents is not None else ()
    # resources given directly (not by reference) are one object when they come from the same page or parent
    held = ref(resources) if isinstance(resources, IndirectObject) else ("direct", id(resources))
    if drawn is None:
        return None
    try:
        return drawn, held, int(page.rotation) % 360
    except Exception:
        return None


def _too_many_pages(name: str, what: Message, most: int, limits: Limits) -> DocumentError:
    return DocumentError("documents.pdf_too_many_pages", name=name, what=what, most=most,
                         per_page=PDF_PAGES_PER_PAGE, limit=limits.max_pages)


def _raster_plan(page, limits: Limits) -> tuple[float, int, int]:
    """(dpi, width, height in pixels) for rasterising a page: SCAN_DPI, or lower for a page that would have more
    than RASTER_PIXELS x the pixel budget at it. From the MediaBox and /Rotate, which are what pdftoppm draws."""
    try:
        box = page.mediabox
        width, height = abs(float(box.width)), abs(float(box.height))
        turned = int(page.rotation) % 180 == 90
    except Exception:
        (width, height), turned = DEFAULT_PAGE, False
    if not (math.isfinite(width) and math.isfinite(height) and width >= 1 and height >= 1):
        width, height = DEFAULT_PAGE
    if turned:
        width, height = height, width
    budget = RASTER_PIXELS * limits.image_max_pixels
    dpi = float(SCAN_DPI)
    area = width * height * (dpi / 72) ** 2
    if area > budget:
        dpi *= math.sqrt(budget / area)
    # pdftoppm rounds the page size up; a pixel more each way keeps a normal page whole
    return dpi, math.ceil(width * dpi / 72) + 1, math.ceil(height * dpi / 72) + 1


def _rasterize(data: bytes, reader, numbers: list[int], name: str, limits: Limits,
               crops: dict[int, tuple | None] | None = None):
    """The pages `numbers` (ascending) as pictures within the pixel budget; `crops` maps a page to the region
    (points, page space) to keep of it, None for all of it."""
    jobs: list[poppler.Pages] = []
    boxes = []  # per page, in order: the pixel box to keep, or None
    for n in numbers:
        dpi, width, height = _raster_plan(reader.pages[n - 1], limits)
        region = (crops or {}).get(n)
        boxes.append(_crop_pixels(reader.pages[n - 1], region, dpi) if region is not None else None)
        last = jobs[-1] if jobs else None
        if last is not None and last.last == n - 1 and (last.dpi, last.width, last.height) == (dpi, width, height):
            jobs[-1] = last._replace(last=n)
        else:
            jobs.append(poppler.Pages(n, n, dpi, width, height))
    pending = iter(boxes)  # poppler hands the pages back in the order asked

    def finish(img):
        box = next(pending, None)
        if box is not None:
            left, top, right, bottom = box
            img = img.crop((max(0, left), max(0, top), min(img.width, right), min(img.height, bottom)))
        return fit_pixels(img, limits.image_max_pixels)

    try:
        # each page is scaled into the pixel budget as it is read: no more than one full-size page at a time
        return poppler.rasterize(data, SCAN_DPI, jobs, DocumentError, finish=finish)
    except DocumentError as exc:
        raise DocumentError("documents.pdf_scans_unreadable", name=name, reason=exc) from None


def _crop_pixels(page, region: tuple, dpi: float) -> tuple[int, int, int, int] | None:
    """A region of the page (points, page space) in the pixels pdftoppm draws at dpi; None (the whole page) for
    a rotated page or a region that cannot be placed."""
    try:
        if int(page.rotation) % 360:
            return None
        box = page.mediabox
        left, top = min(float(box.left), float(box.right)), max(float(box.bottom), float(box.top))
    except Exception:
        return None
    x0, y0, x1, y1 = region
    scale = dpi / 72
    try:
        pixels = (math.floor((x0 - left) * scale), math.floor((top - y1) * scale), math.ceil((x1 - left) * scale),
                  math.ceil((top - y0) * scale))
    except (OverflowError, ValueError):  # a page box that is not a number
        return None
    return pixels if pixels[2] - pixels[0] >= 1 and pixels[3] - pixels[1] >= 1 else None


def _is_blank(img) -> bool:
    lo, _hi = img.convert("L").getextrema()
    return lo >= 255 - BLANK_TOLERANCE


def _pages(numbers: list[int]) -> str:
    """'3' / '2, 5-7': the page numbers in runs (the messages say "page"/"pages" around them)."""
    runs, start = [], numbers[0]
    for prev, cur in zip(numbers, numbers[1:] + [None]):
        if cur != prev + 1:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(runs)


def _damaged(name: str) -> DocumentError:
    return DocumentError("documents.pdf_damaged", name=name)
