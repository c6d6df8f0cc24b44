"""What the documents stage hands on: Document (ordered text and image parts), and the Limits it enforces."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from glyph_web.contracts import MB, Limits  # noqa: F401 - the documents stage's names for them

if TYPE_CHECKING:  # Pillow loads where images are made, not for every text document
    from PIL import Image


@dataclass(frozen=True)
class TextPart:
    """Text to be rendered into pages."""

    text: str


@dataclass(frozen=True)
class ImagePart:
    """A page that needs no rendering (a scanned PDF page, a picture, a figure inside a document): RGB, within
    the pixel budget."""

    image: Image.Image
    label: str  # where it came from, for people: "scan.pdf, page 3"


Part = TextPart | ImagePart


@dataclass
class Document:
    """One upload (or several combined), in reading order.

    `parts` alternate between text to render and ready page images, in the order a reader meets them (a PDF
    whose page 3 is a scan gives text, image, text; a figure follows the text of its page or paragraph).
    `sha256` is the digest of the uploaded bytes (of the digests, for a combined set) and keys caches.
    `warnings` are sentences for the user: Messages (str holding the English text, with `.render(lang)` for the
    page's language).
    """

    name: str
    kind: str  # "pdf" | "docx" | "text" | "image" | "set"
    parts: list[Part]
    sha256: str
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All text parts joined: the text that goes to the renderer."""
        return "\n".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def images(self) -> list[Image.Image]:
        return [p.image for p in self.parts if isinstance(p, ImagePart)]

    @property
    def characters(self) -> int:
        return sum(len(p.text) for p in self.parts if isinstance(p, TextPart))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Controls that reportlab would draw as boxes: C0 controls that are not whitespace, DEL, and C1 controls except
# NEL. ANSI escape sequences (colours in logs, terminal captures) go whole, so that their parameters do not remain
# as text. Whitespace controls (form feed, vertical tab, U+001C-U+001F, NEL, U+2028/9) stay: Glyph's official
# renderer sets them as spaces, and so do we.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def clean_control_chars(text: str) -> str:
    """Text without the control characters that would render as boxes; whitespace and newlines are kept.

    \\r\\n and \\r become \\n (as Python's text mode reads files); a leading BOM goes.
    """
    text = _ANSI.sub("", text.removeprefix("\ufeff"))
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
