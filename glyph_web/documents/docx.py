"""Word (.docx) uploads -> text parts, and the pictures between them, in the order a reader meets the content.

A .docx is a zip of XML parts. python-docx opens the package and finds its parts; the text itself is read here
from the XML, because python-docx's text leaves out some of what a reader sees on the page: list numbers and
bullets (Word computes them only when it lays out the page), and text inside tracked insertions and content
controls. Headings become markdown-style `#` lines and table rows `a | b | c` lines, so that the structure stays
visible on the rendered pages. Headers, footers, footnotes, comments and text boxes are not read.

Pictures of the body (Limits.figures, on by default; see glyph_web.documents.figures) become image pages right
after the paragraph that holds them (after the table, for a picture in a table cell), splitting the text there;
small, repeated, huge and undecodable ones are left out with a note, and the budget is checked on their
declared sizes before any is decoded. With figures off, pictures are dropped with a note, as they always were.

The zip is checked before python-docx reads it: python-docx unpacks every part into memory, so a small upload
that unpacks to gigabytes (a zip bomb) would exhaust memory.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from glyph_web.documents import figures as _figures
from glyph_web.documents.model import MB, Document, ImagePart, Limits, Part, TextPart, clean_control_chars, digest
from glyph_web.errors import DocumentError, Message

if TYPE_CHECKING:
    from docx.parts.document import DocumentPart

logger = logging.getLogger(__name__)

MAX_MEMBERS = 10_000  # a long report with many pictures has a few hundred parts

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


# Where pictures sit: DrawingML blips (r:embed), VML image data (r:id), and alternate content (mc:Choice, else
# mc:Fallback: the picture Word keeps of a chart or SmartArt).
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_ALTERNATE, _CHOICE, _FALLBACK = f"{{{_MC}}}AlternateContent", f"{{{_MC}}}Choice", f"{{{_MC}}}Fallback"


_VAL = _w("val")
_P, _TBL, _TR, _TC, _R = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("r")
_SDT, _SDT_CONTENT = _w("sdt"), _w("sdtContent")
# Elements that only wrap content. Text in a tracked insertion (w:ins, w:moveTo) is part of the document as it
# reads now; deleted text (w:del, w:moveFrom) is not, so those wrappers are absent here and their text skipped.
_BLOCK_WRAPPERS = {_w("customXml"), _w("ins"), _w("moveTo")}
_INLINE_WRAPPERS = {_w(t) for t in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple", "dir", "bdo")}
# What a run's children read as. Field codes (w:instrText) and deleted text (w:delText) are left out; a page or
# column break inside a paragraph still separates the words around it.
_RUN_TEXT = {_w("tab"): "\t", _w("ptab"): "\t", _w("br"): "\n", _w("cr"): "\n", _w("noBreakHyphen"): "-"}

# Main-part content types of Word files that python-docx refuses although they hold the same XML.
_OTHER_WORD_TYPES = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)

_HEADING = re.compile(r"heading ([1-9])", re.IGNORECASE)
_NESTED_LIST_STYLE = re.compile(r"List (?:Bullet|Number|Continue)? ?([2-9])", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{4,}")  # three or more empty lines


def load_docx(data: bytes, name: str, limits: Limits, room: int | None = None) -> Document:
    """Text of a .docx in document order: headings, paragraphs, list items with their bullet/number, tables one
    row per line; with limits.figures, the pictures of the body as image parts at their place.

    The caller has checked that `data` is a zip holding word/document.xml and within the upload size. Raises
    DocumentError when the file would unpack beyond `limits.docx_max_unpacked_mb` or cannot be read. `room`: the
    image pages left for this file's pictures when it is one of a set (None: the page limit).
    """
    members = _check_zip(data, name, limits)
    try:
        items, main = _read_body(data, name, limits.figures)
    except DocumentError:
        raise
    except Exception:  # noqa: BLE001 - any failure inside python-docx or lxml means an unreadable file
        # The traceback names the part and the parser's complaint (lxml gives line and column, not the text).
        logger.warning("could not read %s as a Word document", name, exc_info=True)
        raise _damaged(name) from None

    warnings = []
    tally = _figures.Tally()
    if limits.figures:
        parts = _with_pictures(items, main, name, limits, tally, room)
    else:
        parts = [TextPart(_tidy("\n".join(item for item in items if isinstance(item, str))))]
    if not any(isinstance(p, TextPart) and p.text.strip() for p in parts):
        warnings.append(Message("documents.no_text", name=name))
    if not limits.figures and any(m.startswith("word/media/") for m in members):
        warnings.append(Message("documents.word_pictures", name=name))
    warnings.extend(tally.notes(name, limits))
    if any(isinstance(p, ImagePart) for p in parts):  # (without pictures: one text part, even an empty one)
        parts = [p for p in parts if isinstance(p, ImagePart) or p.text.strip()]
    return Document(name=name, kind="docx", parts=parts, sha256=digest(data), warnings=warnings)


@dataclass(frozen=True)
class _Picture:
    """A picture of the body, by the relationship id of its image part."""

    rel_id: str


def _with_pictures(items: list, main: DocumentPart, name: str, limits: Limits, tally: _figures.Tally,
                   room: int | None) -> list[Part]:
    """Text parts split at the pictures that are passed on; the others are counted in `tally`."""
    seen: set[bytes] = set()
    events: list = []  # for figures.fit: characters of text, and the pictures that may be passed
    blobs: dict[int, bytes] = {}
    chars = 0
    for item in items:
        if isinstance(item, str):
            chars += len(item) + 1
            continue
        blob = _picture_blob(main, item.rel_id)
        if blob is None:  # a linked (not embedded) picture, or a broken relationship
            continue
        size = _figures.picture_size(blob)
        if size is None:
            tally.unsupported += 1
            continue
        reason = _figures.judge(*size)
        if reason is not None:
            setattr(tally, reason, getattr(tally, reason) + 1)
            continue
        key = hashlib.sha256(blob).digest()
        if key in seen:
            tally.repeated += 1
            continue
        seen.add(key)
        events += [chars, _figures.Figure(page=len(blobs) + 1, source=item, pixels=size[0] * size[1])]
        blobs[id(item)] = blob
        chars = 0
    events.append(chars)
    kept = {id(f.source) for f in _figures.fit(events, limits, tally, room)}
    parts: list[Part] = []
    lines: list[str] = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)
        elif id(item) in kept:
            tally.decoded += 1
            picture = _figures.decode_picture(blobs[id(item)], limits)
            if picture is None:
                tally.unreadable += 1
                continue
            text = _tidy("\n".join(lines))
            if text.strip():
                parts.append(TextPart(text))
            lines = []
            tally.passed.append(len(tally.passed) + 1)
            parts.append(ImagePart(picture, Message("documents.picture_label", name=name, number=len(tally.passed))))
    parts.append(TextPart(_tidy("\n".join(lines))))
    return parts


def _picture_blob(main: DocumentPart, rel_id: str) -> bytes | None:
    try:
        rel = main.rels.get(rel_id)
        return None if rel is None or rel.is_external else rel.target_part.blob
    except Exception:  # noqa: BLE001 - a broken relationship costs the picture
        logger.warning("picture %s of a Word document is unreadable", rel_id, exc_info=True)
        return None


def _damaged(name: str) -> DocumentError:
    return DocumentError("documents.word_damaged", name=name)


def _check_zip(data: bytes, name: str, limits: Limits) -> list[str]:
    """Member names of the zip, refusing one that would unpack beyond the limits.

    The declared sizes are enough: Python's zipfile stops reading a member at its declared size and then fails
    its CRC check, so a member that lies about its size cannot unpack to more.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception:  # noqa: BLE001 - a truncated or corrupt central directory
        logger.warning("could not open %s as a zip", name, exc_info=True)
        raise _damaged(name) from None
    if len(infos) > MAX_MEMBERS:
        raise DocumentError("documents.word_members", name=name, count=len(infos), limit=MAX_MEMBERS)
    unpacked = sum(info.file_size for info in infos)
    limit = limits.docx_max_unpacked_mb
    if unpacked > limit * MB:
        raise DocumentError("documents.word_unpack", name=name, size=unpacked / MB, limit=limit)
    return [info.filename for info in infos]


def _read_body(data: bytes, name: str, pictures: bool) -> tuple[list, DocumentPart]:
    """The body as lines of text (and, with `pictures`, _Pictures) in document order, and the main part."""
    # python-docx is imported here so that importing this module stays cheap for callers that never see a .docx.
    from docx.opc.constants import CONTENT_TYPE
    from docx.package import Package

    main = Package.open(io.BytesIO(data)).main_document_part
    if main.content_type in _OTHER_WORD_TYPES:
        raise DocumentError("documents.word_template", name=name)
    if main.content_type != CONTENT_TYPE.WML_DOCUMENT_MAIN:
        raise ValueError(f"main part has content type {main.content_type!r}")
    extractor = _Extractor(_Styles(main.styles.element), _Numbering(_numbering_root(main, name)), pictures)
    return extractor.body(main.element.body), main


def _numbering_root(main: DocumentPart, name: str) -> etree._Element | None:
    """The numbering part's root; None for a document without lists (python-docx's `numbering_part` would raise
    NotImplementedError there, as it cannot create an empty one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    try:
        return main.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    except KeyError:
        return None
    except Exception:  # noqa: BLE001 - a broken numbering part costs the numbers, not the text
        logger.warning("numbering of %s is unreadable; list items get bullets", name, exc_info=True)
        return None


def _tidy(text: str) -> str:
    text = clean_control_chars(text)
    # Lines holding only spaces or tabs look empty on the page and are counted as empty.
    text = "\n".join(line if line.strip() else "" for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n\n", text).strip("\n")


# ---------------------------------------------------------------------------------------------------------------
# Paragraph styles: heading names and inherited numbering.


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _child_val(el: etree._Element | None, *path: str) -> str | None:
    """w:val of the element at `path` below `el`, or None where any step is missing."""
    for tag in path:
        if el is None:
            return None
        el = el.find(_w(tag))
    return None if el is None else el.get(_VAL)


class _Styles:
    """Paragraph styles by id: their names and the numbering they pass on through w:basedOn."""

    def __init__(self, root: etree._Element) -> None:
        self._by_id: dict[str, etree._Element] = {}
        self.default_id: str | None = None
        for style in root.iterfind(_w("style")):
            if style.get(_w("type"), "paragraph") != "paragraph":
                continue
            style_id = style.get(_w("styleId"))
            if style_id is None:
                continue
            self._by_id.setdefault(style_id, style)
            if style.get(_w("default")) in ("1", "true", "on") and self.default_id is None:
                self.default_id = style_id

    def name(self, style_id: str | None) -> str:
        style = self._by_id.get(style_id or "")
        return (_child_val(style, "name") or "") if style is not None else ""

    def chain(self, style_id: str | None) -> Iterator[etree._Element]:
        """The style and the styles it is based on, nearest first; a loop of w:basedOn ends the walk."""
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self._by_id:
            seen.add(style_id)
            style = self._by_id[style_id]
            yield style
            style_id = _child_val(style, "basedOn")


# ---------------------------------------------------------------------------------------------------------------
# List numbers: python-docx leaves them to us, as Word computes them only when it lays out the page.

_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
# Bullets drawn from the Symbol and Wingdings fonts are stored as private-use code points (U+F0B7 is Symbol's
# dot) or as letters that only look like bullets in that font ("o" in Courier New, "§" in Wingdings).
_BULLET_LOOKALIKES = {"o": "◦", "§": "▪"}
_PLACEHOLDER = re.compile(r"%([1-9])")


def _roman(n: int) -> str:
    out = []
    for value, digits in _ROMAN:
        count, n = divmod(n, value)
        out.append(digits * count)
    return "".join(out)


def _format_number(n: int, fmt: str) -> str:
    if fmt == "none":
        return ""
    if n > 0 and fmt in ("lowerLetter", "upperLetter"):
        # Word goes a..z, then aa, bb, .. zz, then aaa: the letter repeated, not spreadsheet-style columns.
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if 0 < n < 4000 and fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _bullet(lvl_text: str) -> str:
    if lvl_text in _BULLET_LOOKALIKES:
        return _BULLET_LOOKALIKES[lvl_text]
    if len(lvl_text) == 1 and 0xF000 <= ord(lvl_text) <= 0xF0FF:
        return "•"
    return lvl_text if lvl_text.isprintable() else "•"


@dataclass
class _Level:
    fmt: str
    text: str | None  # w:lvlText; None when missing
    start: int
    legal: bool  # w:isLgl: every number in this level's text is shown as decimal ("1.1", not "I.a")
    style_id: str | None  # w:pStyle: the paragraph style that selects this level


class _Numbering:
    """The numbering part, and the counters that turn its definitions into the numbers Word shows."""

    def __init__(self, root: etree._Element | None) -> None:
        self._abstract: dict[str, etree._Element] = {}
        self._by_style_link: dict[str, etree._Element] = {}
        self._nums: dict[str, etree._Element] = {}
        self._counters: dict[str, dict[int, int]] = {}  # per numId: level -> last number given
        self._levels: dict[tuple[str, int], _Level | None] = {}
        if root is None:
            return
        for abstract in root.iterfind(_w("abstractNum")):
            self._abstract.setdefault(abstract.get(_w("abstractNumId"), ""), abstract)
            link = _child_val(abstract, "styleLink")
            if link:
                self._by_style_link.setdefault(link, abstract)
        for num in root.iterfind(_w("num")):
            self._nums.setdefault(num.get(_w("numId"), ""), num)

    def level_for_style(self, num_id: str, style_id: str | None) -> int | None:
        """The level whose w:pStyle names the paragraph's style (how heading styles pick "1.1" over "1")."""
        for ilvl in range(9):
            level = self._level(num_id, ilvl)
            if level is not None and style_id and level.style_id == style_id:
                return ilvl
        return None

    def marker(self, num_id: str, ilvl: int) -> str:
        """The bullet or number of the next item at `ilvl` in list `num_id`; counts the item."""
        level = self._level(num_id, ilvl)
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else (level.start if level else 1)
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new item restarts the levels below it
        if level is None or level.text is None:
            return "•"
        if level.fmt == "bullet":
            return _bullet(level.text) if level.text else ""

        def number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            ref = self._level(num_id, k)
            # A level above that has not been used yet shows its start value, as in Word.
            n = counters.get(k, ref.start if ref else 1)
            fmt = "decimal" if level.legal or ref is None or ref.fmt == "bullet" else ref.fmt
            return _format_number(n, fmt)

        return _PLACEHOLDER.sub(number, level.text)

    def _level(self, num_id: str, ilvl: int) -> _Level | None:
        key = (num_id, ilvl)
        if key not in self._levels:
            self._levels[key] = self._find_level(num_id, ilvl)
        return self._levels[key]

    def _find_level(self, num_id: str, ilvl: int) -> _Level | None:
        num = self._nums.get(num_id)
        if num is None:
            return None
        lvl = None
        start_override = None
        for override in num.iterfind(_w("lvlOverride")):
            if _int(override.get(_w("ilvl")), -1) == ilvl:
                start_override = _child_val(override, "startOverride")
                lvl = override.find(_w("lvl"))  # an override may replace the level outright
        if lvl is None:
            abstract = self._abstract_of(_child_val(num, "abstractNumId"))
            if abstract is not None:
                lvl = next((e for e in abstract.iterfind(_w("lvl")) if _int(e.get(_w("ilvl")), -1) == ilvl), None)
        if lvl is None:
            return None
        start = _int(start_override, _int(_child_val(lvl, "start"), 1))
        legal = lvl.find(_w("isLgl")) is not None and _child_val(lvl, "isLgl") not in ("0", "false", "off")
        return _Level(fmt=_child_val(lvl, "numFmt") or "decimal", text=_child_val(lvl, "lvlText"), start=start,
                      legal=legal, style_id=_child_val(lvl, "pStyle"))

    def _abstract_of(self, abstract_id: str | None) -> etree._Element | None:
        abstract = self._abstract.get(abstract_id or "")
        # A list that uses a numbering style holds no levels itself, only w:numStyleLink to the list that does.
        link = _child_val(abstract, "numStyleLink") if abstract is not None else None
        if link and link in self._by_style_link:
            return self._by_style_link[link]
        return abstract


# ---------------------------------------------------------------------------------------------------------------
# The walk through the body.


class _Extractor:
    """Lines of text from the body, with one numbering state for the whole document."""

    def __init__(self, styles: _Styles, numbering: _Numbering, pictures: bool = False) -> None:
        self._styles = styles
        self._numbering = numbering
        self._find_pictures = pictures

    def body(self, body: etree._Element) -> list:
        """Lines, each followed by the _Pictures of its paragraph (of its table, for the last row)."""
        lines: list = []
        after_table = False
        for block in _blocks(body):
            if block.tag == _TBL:
                rows = self._table_rows(block)
                if rows:
                    if lines and lines[-1]:
                        lines.append("")
                    lines.extend(rows)
                    after_table = True
                lines.extend(self._pictures(block))
                continue
            line = self._paragraph(block, in_table=False)
            # A table is set off by one empty line; Word's mandatory (often empty) paragraph after a table is it.
            if after_table and line:
                lines.append("")
            after_table = False
            lines.append(line)
            lines.extend(self._pictures(block))
        return lines

    def _pictures(self, block: etree._Element) -> list[_Picture]:
        return [_Picture(rel_id) for rel_id in _pictures(block)] if self._find_pictures else []

    def _paragraph(self, p: etree._Element, in_table: bool) -> str:
        text = _inline_text(p).strip("\n")
        style_id = _child_val(p, "pPr", "pStyle") or self._styles.default_id
        numbered = self._numbering_of(p, style_id)
        marker = ""
        if numbered is not None:
            num_id, ilvl = numbered
            marker = self._numbering.marker(num_id, ilvl)
            if marker and not in_table:
                marker = "  " * max(ilvl, self._style_depth(style_id)) + marker
        heading = self._heading_level(style_id) if not in_table else 0
        if heading and text.strip():
            return "#" * heading + " " + (f"{marker.strip()} " if marker else "") + text
        if marker:
            return f"{marker} {text}".rstrip()
        return text

    def _style_depth(self, style_id: str | None) -> int:
        # Word's "List Bullet 2", "List Number 3" styles nest by indentation alone: each is a one-level list of
        # its own (level 0), so without this their items would not look nested.
        match = _NESTED_LIST_STYLE.fullmatch(self._styles.name(style_id))
        return int(match.group(1)) - 1 if match else 0

    def _heading_level(self, style_id: str | None) -> int:
        name = self._styles.name(style_id)
        if name.lower() == "title":
            return 1
        match = _HEADING.fullmatch(name)
        return int(match.group(1)) if match else 0

    def _numbering_of(self, p: etree._Element, style_id: str | None) -> tuple[str, int] | None:
        """(numId, level) of a list paragraph, else None.

        numId and level are inherited separately: the paragraph may set only the level of its style's list, and
        a style may set a level without a list (the built-in Subtitle does). numId 0 switches numbering off.
        """
        num_pr = p.find(f"{_w('pPr')}/{_w('numPr')}")
        num_id = _child_val(num_pr, "numId")
        ilvl = _child_val(num_pr, "ilvl")
        for style in self._styles.chain(style_id):
            style_num_pr = style.find(f"{_w('pPr')}/{_w('numPr')}")
            if style_num_pr is None:
                continue
            num_id = num_id if num_id is not None else _child_val(style_num_pr, "numId")
            ilvl = ilvl if ilvl is not None else _child_val(style_num_pr, "ilvl")
        if num_id is None or num_id.strip() == "0":
            return None
        if ilvl is None:
            level = self._numbering.level_for_style(num_id, style_id)
            return num_id, level or 0
        return num_id, min(max(_int(ilvl, 0), 0), 8)

    def _table_rows(self, tbl: etree._Element) -> list[str]:
        rows = []
        for tr in _children(tbl, _TR):
            # Each w:tc once: a cell spanning columns is one element (python-docx's row.cells repeats it), and
            # a vertically merged cell keeps its text in the first row, leaving the rows below it empty.
            cells = [self._cell_text(tc) for tc in _children(tr, _TC)]
            if any(cells):
                rows.append(" | ".join(cells).rstrip())
        return rows

    def _cell_text(self, tc: etree._Element) -> str:
        parts = []
        for block in _blocks(tc):
            if block.tag == _TBL:
                parts.extend(self._table_rows(block))  # nested tables flatten into the cell
            else:
                parts.append(self._paragraph(block, in_table=True))
        return " ".join(" ".join(part.split("\n")).strip() for part in parts if part.strip())


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables of a body or cell in document order, including those in content controls."""
    for child in container:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)
        elif child.tag in _BLOCK_WRAPPERS:
            yield from _blocks(child)


def _pictures(el: etree._Element) -> list[str]:
    """Relationship ids of the pictures inside a paragraph or table, in document order; deleted content is
    skipped, and of alternate content the first choice that holds pictures, else the fallback."""
    found: list[str] = []
    for child in el:
        tag = child.tag
        if tag == _BLIP:
            rel_id = child.get(f"{{{_RELS}}}embed")
            if rel_id:
                found.append(rel_id)
        elif tag == _IMAGEDATA:
            rel_id = child.get(f"{{{_RELS}}}id")
            if rel_id:
                found.append(rel_id)
        elif tag == _ALTERNATE:
            choices = [_pictures(c) for c in child.iterfind(_CHOICE)]
            chosen = next((c for c in choices if c), None)
            found.extend(chosen if chosen is not None else
                         [rel_id for fallback in child.iterfind(_FALLBACK) for rel_id in _pictures(fallback)])
        elif tag not in (_w("del"), _w("moveFrom")) and isinstance(tag, str):
            found.extend(_pictures(child))
    return found


def _children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with `tag`, looking through content controls and custom XML that may wrap rows and cells."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content, tag)
        elif child.tag in _BLOCK_WRAPPERS:
            yield from _children(child, tag)


def _inline_text(el: etree._Element) -> str:
    """A paragraph's text as it reads: runs, also inside links, fields, content controls and insertions."""
    out: list[str] = []
    for child in el:
        tag = child.tag
        if tag == _R:
            for item in child:
                if item.tag == _w("t"):
                    out.append(item.text or "")
                elif item.tag in _RUN_TEXT:
                    out.append(_RUN_TEXT[item.tag])
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                out.append(_inline_text(content))
        elif tag in _INLINE_WRAPPERS:
            out.append(_inline_text(child))
    return "".join(out)
