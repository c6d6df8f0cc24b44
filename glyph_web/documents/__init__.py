"""Uploads -> Document: text in reading order and page images that need no rendering. No torch, no gradio.

The file type is decided by content (magic bytes), not by the name: a renamed executable is refused, a PDF
saved as .txt is read as a PDF. Every refusal is a DocumentError whose message names the file and says what
to do; a limit's refusal names the limit. Those messages do not name the flags of any front door (the CLI adds
its own hint: `--password`, `--pages`, `--max-pages`).

A document with nothing to read (no bytes; text or Word files of only whitespace; a PDF whose pages read are
blank and textless) is refused, whichever front door reads it, so `extract`, `render`, the page and the API agree.

Figures inside PDFs and Word files (charts, pictures, drawings; see glyph_web.documents.figures) become image
pages after the text they belong to, unless Limits.figures is off.

Page ranges (`pages`, see glyph_web.documents.pages for the syntax and what they mean for each kind of file) narrow
PDFs to the chosen pages before their text is extracted or their scans are rasterised.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path, PurePath

from glyph_web.documents.model import MB, Document, ImagePart, Limits, Part, TextPart
from glyph_web.documents.pages import PageRanges, parse_pages
from glyph_web.errors import DocumentError, Message, TooLargeError

__all__ = ["Document", "DocumentError", "ImagePart", "Limits", "PageRanges", "TextPart", "combine", "from_text",
           "image_pages", "is_image", "load_bytes", "load_file", "load_files", "load_paths", "parse_pages", "sniff",
           "too_many_image_pages"]

logger = logging.getLogger(__name__)

# kind -> extensions that announce it; used only to mention a mismatch, never to decide
EXTENSIONS = {"pdf": {".pdf"}, "docx": {".docx"}, "text": {".txt", ".md", ".markdown", ".text"},
              "image": {".png", ".jpg", ".jpeg", ".webp"}}
_KNOWN_EXTENSIONS = set().union(*EXTENSIONS.values())
# magic bytes -> (what the file is, what to do instead): messages, said in the reader's language
_SAVE_AS_DOCX, _TO_PNG = Message("documents.todo_save_docx_pdf"), Message("documents.todo_convert_png")
_TO_PNG_PDF, _UNPACK = Message("documents.todo_convert_png_pdf"), Message("documents.todo_unpack")
_TIFF, _PROGRAM, _UPLOAD = Message("documents.what_tiff"), Message("documents.what_program"), Message(
    "documents.todo_upload_document")
_REFUSED_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Message("documents.what_old_office"), _SAVE_AS_DOCX),
    (b"GIF8", Message("documents.what_gif"), _TO_PNG),
    (b"BM", Message("documents.what_bmp"), _TO_PNG),
    (b"II*\x00", _TIFF, _TO_PNG_PDF),
    (b"MM\x00*", _TIFF, _TO_PNG_PDF),
    (b"{\\rtf", Message("documents.what_rtf"), _SAVE_AS_DOCX),
    (b"\x1f\x8b", Message("documents.what_gzip"), _UNPACK),
    (b"Rar!", Message("documents.what_rar"), _UNPACK),
    (b"7z\xbc\xaf", Message("documents.what_7zip"), _UNPACK),
    (b"\x7fELF", _PROGRAM, _UPLOAD),
    (b"MZ", _PROGRAM, _UPLOAD),
)
SET_HEADER = "===== {name} ====="


def sniff(data: bytes, name: str | None = None) -> str:
    """'pdf', 'docx', 'image' or 'text' from the content; DocumentError naming the file for anything else."""
    name = name or Message("documents.the_file")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if is_image(head):
        return "image"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, name)
    if head[4:8] == b"ftyp":
        raise _unsupported(name, Message("documents.what_heic"), Message("documents.todo_convert_png_jpeg"))
    for magic, what, todo in _REFUSED_MAGIC:
        if head.startswith(magic) and not (magic in (b"BM", b"MZ") and _looks_textual(head)):
            raise _unsupported(name, what, todo)
    return "text"


def is_image(head: bytes) -> bool:
    """Whether a file beginning with `head` (its first 12 bytes or more) is read as a picture: one page."""
    return b"%PDF-" not in head[:1024] and (head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))
                                            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def image_pages(doc: Document) -> int:
    return sum(isinstance(p, ImagePart) for p in doc.parts)


def too_many_image_pages(pages: int, limits: Limits, what: Message | None = None, *,
                         at_least: bool = False) -> DocumentError:
    """The refusal of image pages (pictures, scans) past the page limit, counted before more are decoded.

    `what` names the documents as a Message (said in the reader's language), e.g.
    Message("documents.request_documents"); by default "These documents"."""
    return DocumentError("documents.image_pages_over_at_least" if at_least else "documents.image_pages_over",
                         what=what or Message("documents.these_documents"), pages=pages, limit=limits.max_pages)


def load_bytes(data: bytes, name: str, limits: Limits | None = None, password: str | None = None,
               pages: str | PageRanges | None = None, *, room: int | None = None) -> Document:
    """One uploaded file as a Document. `name` is only shown to people (and says nothing about the type).
    `pages` ("1-40", "3,5-9", "10-"; None for all) narrows a PDF to those pages (see documents.pages).
    `room`: the image pages left for this file when it is one of a set (its figures are kept within it; see
    documents.figures); None: the page limit."""
    limits = limits or Limits()
    pages = parse_pages(pages)
    name = PurePath(name).name or Message("documents.upload_name")
    _check_size(len(data), name, limits)
    if not data:
        raise DocumentError("documents.empty", name=name)
    kind = sniff(data, name)
    if kind == "image" and pages is not None and not pages.includes(1):
        raise DocumentError("documents.pages_picture", name=name, pages=str(pages))
    doc = _load(kind, data, name, limits, password, pages, room)
    if not doc.images and not doc.text.strip():  # nothing to read: as an empty file
        raise (DocumentError("documents.pdf_nothing", name=name) if kind == "pdf"
               else DocumentError("documents.empty", name=name))
    if pages is not None and kind in ("docx", "text"):
        doc.warnings.insert(0, Message("documents.pages_not_applied", name=name, kind=_KIND_NAMES[kind]))
    ext = PurePath(name).suffix.lower()
    if ext in _KNOWN_EXTENSIONS and ext not in EXTENSIONS[kind]:  # any other text file (.csv, .log) is welcome
        doc.warnings.insert(0, Message("documents.misnamed", name=name, kind=_KIND_NAMES[kind]))
    pictures = image_pages(doc)
    if pictures > limits.max_pages:
        raise DocumentError("documents.image_pages_limit", name=name, count=pictures, limit=limits.max_pages)
    return doc


def load_file(path: str | Path, limits: Limits | None = None, password: str | None = None,
              pages: str | PageRanges | None = None, *, room: int | None = None) -> Document:
    """A file on disk as a Document; its size is checked before it is read. `pages`, `room`: as for load_bytes."""
    limits = limits or Limits()
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DocumentError("documents.folder", name=path.name)
        _check_size(size, path.name, limits)
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError("documents.not_found", path=str(path)) from None
    except PermissionError:
        raise DocumentError("documents.permission_denied", path=str(path)) from None
    except OSError as exc:
        raise DocumentError("documents.unreadable_file", path=str(path), reason=exc.strerror or str(exc)) from None
    return load_bytes(data, path.name, limits, password, pages, room=room)


def from_text(text: str, name: str | None = None, limits: Limits | None = None) -> Document:
    """Pasted text as a Document (control characters dropped, as for text files); named "pasted text"."""
    from glyph_web.documents.model import clean_control_chars, digest

    limits = limits or Limits()
    name = name or Message("documents.pasted_text")
    data = text.encode("utf-8")
    _check_size(len(data), name, limits)
    cleaned = clean_control_chars(text)
    if not cleaned.strip():
        raise DocumentError("documents.pasted_empty")
    return Document(name=name, kind="text", parts=[TextPart(cleaned)], sha256=digest(data))


def load_files(paths: list[str | Path], limits: Limits | None = None, password: str | None = None,
               pages: str | PageRanges | None = None) -> Document:
    """Several files as one context (see combine); a single file as itself."""
    if not paths:
        raise DocumentError("documents.no_document")
    return combine(load_paths(paths, limits, password, pages))


def load_paths(paths: list[str | Path], limits: Limits | None = None, password: str | None = None,
               pages: str | PageRanges | None = None) -> list[Document]:
    """Several files, read one after another within the page limit: pictures are counted from the files' first
    bytes before any is decoded, and the image pages read so far (pictures and scans) after each file, so that
    no more than the limit's worth of page images is ever decoded for one set; each file's figures are kept
    within what the files before it and the pictures after it leave. The password and the page ranges apply
    to every file (a range is refused before any file is read)."""
    limits = limits or Limits()
    pages = parse_pages(pages)
    is_picture = [_starts_as_image(p) for p in paths]
    pictures = sum(is_picture)
    if pictures > limits.max_pages:
        raise too_many_image_pages(pictures, limits)
    docs: list[Document] = []
    read = 0  # image pages so far
    for number, path in enumerate(paths, 1):
        pictures -= is_picture[number - 1]
        # a file's figures fit in what the files before it left, less the pictures still to come
        docs.append(load_file(path, limits, password, pages, room=limits.max_pages - read - pictures))
        read += image_pages(docs[-1])
        if read > limits.max_pages:
            raise too_many_image_pages(read, limits, at_least=number < len(paths))
    return docs


def _starts_as_image(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return is_image(f.read(1024))
    except OSError:  # load_file says what is wrong with it
        return False


def combine(docs: list[Document]) -> Document:
    """One multi-document context: each document's text is headed by its file name, in the order given."""
    if len(docs) == 1:
        return docs[0]
    parts: list[Part] = []
    warnings: list[str] = []
    for doc in docs:
        header = SET_HEADER.format(name=doc.name)
        body = list(doc.parts)
        if body and isinstance(body[0], TextPart):
            body[0] = TextPart(f"{header}\n{body[0].text}")
        else:
            body.insert(0, TextPart(header))
        for part in body:
            if parts and isinstance(part, TextPart) and isinstance(parts[-1], TextPart):
                parts[-1] = TextPart(f"{parts[-1].text}\n\n{part.text}")
            else:
                parts.append(part)
        warnings.extend(doc.warnings)
    sha = hashlib.sha256("\n".join(f"{d.name}\0{d.sha256}" for d in docs).encode()).hexdigest()
    return Document(name=Message("documents.set_name", count=len(docs)), kind="set", parts=parts, sha256=sha,
                    warnings=warnings)


_KIND_NAMES = {"pdf": Message("documents.kind_pdf"), "docx": Message("documents.kind_docx"),
               "text": Message("documents.kind_text"), "image": Message("documents.kind_image")}


def _load(kind: str, data: bytes, name: str, limits: Limits, password: str | None,
          pages: PageRanges | None, room: int | None) -> Document:
    if kind == "pdf":
        from glyph_web.documents.pdf import load_pdf
        return load_pdf(data, name, limits, password, pages, room)
    if kind == "docx":
        from glyph_web.documents.docx import load_docx
        return load_docx(data, name, limits, room)
    if kind == "image":
        from glyph_web.documents.images import load_image
        return load_image(data, name, limits)
    from glyph_web.documents.text import load_text
    return load_text(data, name)


def _check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_upload_bytes:
        raise TooLargeError("documents.too_large", name=name, size=size / MB, limit=limits.max_upload_mb)


def _zip_kind(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:  # zipfile raises several types for a cut or corrupt archive
        raise DocumentError("documents.damaged_zip", name=name) from None
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        raise _unsupported(name, Message("documents.what_excel"), Message("documents.todo_export_sheet"))
    if any(n.startswith("ppt/") for n in names):
        raise _unsupported(name, Message("documents.what_powerpoint"), Message("documents.todo_export_pdf"))
    if "content.xml" in names:
        raise _unsupported(name, Message("documents.what_opendocument"), _SAVE_AS_DOCX)
    raise _unsupported(name, Message("documents.what_zip"), Message("documents.todo_unpack_upload"))


def _looks_textual(head: bytes) -> bool:
    # "BM" and "MZ" are also how some text files begin ("MZ-200 manual", "BMW ...")
    return b"\x00" not in head and all(b >= 0x20 or b in b"\t\n\r" for b in head[:64])


def _unsupported(name: str, what: Message, todo: Message) -> DocumentError:
    return DocumentError("documents.unsupported", name=name, what=what, todo=todo)
