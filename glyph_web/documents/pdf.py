"""PDF: the text layer page by page (pypdf), and pages without one (scans) passed on as images.

A page whose text layer is empty is rasterised as it is with poppler and handed on as a page image, at its
place in the document, so a PDF that mixes text pages and scanned pages keeps both in reading order. Blank
pages are dropped. Password-protected files are refused unless the password is given.
"""

from __future__ import annotations

import io
import logging

from glyph_web import poppler
from glyph_web.documents.images import fit_pixels
from glyph_web.documents.model import Document, ImagePart, Limits, Part, TextPart, clean_control_chars, digest
from glyph_web.errors import DocumentError

logger = logging.getLogger(__name__)

SCAN_DPI = 150  # enough for print-size text on a scan; the page is then fitted into the pixel budget
BLANK_TOLERANCE = 8  # grey levels: a raster with nothing darker than this off white is a blank page


def load_pdf(data: bytes, name: str, limits: Limits, password: str | None = None) -> Document:
    reader = _open(data, name, password)
    try:
        count = len(reader.pages)
    except Exception:
        raise _damaged(name) from None
    texts: list[str | None] = []  # None: no text layer
    for index in range(count):
        try:
            text = clean_control_chars(reader.pages[index].extract_text() or "").rstrip("\n")
        except Exception:  # one unreadable page should not lose the rest
            logger.warning("pdf %s: text of page %d failed", name, index + 1, exc_info=True)
            text = ""
        texts.append(text if text.strip() else None)
    scanned = [i + 1 for i, t in enumerate(texts) if t is None]
    if len(scanned) > limits.max_pages:
        raise DocumentError(f"{name} has {len(scanned)} pages without text (scans), over the limit of "
                            f"{limits.max_pages} pages; raise it with --max-pages or GLYPH_MAX_PAGES, or split "
                            f"the file.")
    images = dict(zip(scanned, _rasterize(data, scanned, name, limits))) if scanned else {}
    parts: list[Part] = []
    blank, kept_scans = [], []
    for number, text in enumerate(texts, 1):
        if text is not None:
            if parts and isinstance(parts[-1], TextPart):
                parts[-1] = TextPart(parts[-1].text + "\n" + text)
            else:
                parts.append(TextPart(text))
        elif _is_blank(images[number]):
            blank.append(number)
        else:
            kept_scans.append(number)
            parts.append(ImagePart(images[number], f"{name}, page {number}"))
    warnings = []
    if kept_scans:
        warnings.append(f"{name}: {_pages(kept_scans)} no text layer (scanned?), so "
                        f"{'it is' if len(kept_scans) == 1 else 'they are'} passed on as images, which the model "
                        f"reads less reliably than text.")
    if blank:
        warnings.append(f"{name}: blank {_pages(blank, verb=False)} skipped.")
    if not parts:
        warnings.append(f"{name} contains no text and no scanned pages.")
    return Document(name=name, kind="pdf", parts=parts, sha256=digest(data), warnings=warnings)


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
            raise DocumentError(f"{name} is encrypted with AES, and reading it needs the `cryptography` "
                                f"package: pip install cryptography.") from None
        except Exception:  # pypdf raises several types for a wrong key or a broken encryption dict
            opened = 0
        if not opened:
            if password:
                raise DocumentError(f"{name} is password-protected and the password given is wrong.")
            raise DocumentError(f"{name} is password-protected. Give its password (--password), or save a "
                                f"copy without protection and upload that.")
    return reader


def _rasterize(data: bytes, numbers: list[int], name: str, limits: Limits):
    ranges: list[tuple[int, int]] = []
    for n in numbers:
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    try:
        images = poppler.rasterize(data, SCAN_DPI, ranges, DocumentError)
    except DocumentError as exc:
        raise DocumentError(f"{name}: its scanned pages could not be read ({exc})") from None
    return [fit_pixels(img, limits.image_max_pixels) for img in images]


def _is_blank(img) -> bool:
    lo, _hi = img.convert("L").getextrema()
    return lo >= 255 - BLANK_TOLERANCE


def _pages(numbers: list[int], verb: bool = True) -> str:
    """'page 3 has' / 'pages 2, 5-7 have' (or without the verb)."""
    runs, start = [], numbers[0]
    for prev, cur in zip(numbers, numbers[1:] + [None]):
        if cur != prev + 1:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
    single = len(numbers) == 1
    words = f"page{'' if single else 's'} {', '.join(runs)}"
    return f"{words} {'has' if single else 'have'}" if verb else words


def _damaged(name: str) -> DocumentError:
    return DocumentError(f"{name} could not be read as a PDF: it is damaged or not really a PDF. Open it in a "
                         f"PDF viewer and save or print it to a new PDF.")
