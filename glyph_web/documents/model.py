"""What the documents stage hands on: Document (ordered text and image parts), and the Limits it enforces."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from PIL import Image

MB = 1024 * 1024


@dataclass(frozen=True)
class TextPart:
    """Text to be rendered into pages."""

    text: str


@dataclass(frozen=True)
class ImagePart:
    """A page that needs no rendering (a scanned PDF page, a picture): RGB, within the pixel budget."""

    image: Image.Image
    label: str  # where it came from, for people: "scan.pdf, page 3"


Part = TextPart | ImagePart


@dataclass
class Document:
    """One upload (or several combined), in reading order.

    `parts` alternate between text to render and ready page images, in the order a reader meets them (a PDF
    whose page 3 is a scan gives text, image, text). `sha256` is the digest of the uploaded bytes (of the
    digests, for a combined set) and keys caches. `warnings` are sentences for the user.
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


@dataclass(frozen=True)
class Limits:
    """What one upload may cost. Each refusal names the limit and the flag / variable that raises it."""

    max_upload_mb: float = 50  # size of each uploaded file
    max_pages: int = 100  # pages the model would read, rendered and image pages together
    docx_max_unpacked_mb: float = 100  # total size of a DOCX's zip members once unpacked
    image_max_pixels: int = 28 * 28 * 2560  # image pages are scaled down to this (2,560 visual tokens)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# C0 controls except tab and newlines, DEL, and C1 controls render as boxes; ANSI escape sequences (colours in
# logs, terminal captures) are removed whole so that their parameters do not remain as text.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def clean_control_chars(text: str) -> str:
    """Text without characters that would render as boxes; tabs and line breaks are kept.

    Form feeds, vertical tabs and Unicode line/paragraph separators become newlines; a leading BOM goes.
    """
    text = _ANSI.sub("", text.removeprefix("\ufeff"))
    text = _BREAKS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)
