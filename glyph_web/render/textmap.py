"""Where each character of a fast-engine page stands on the page image, and where a passage occurs.

`page_text(layout, config, font)` replays the arithmetic of `fast._ops` and `fast_raster.render_page_array`
(numbers through reportlab's fp_str and poppler's parser, pen x accumulated per character in float64, device
position = translation + text position scaled by dpi / 72) without drawing anything, so a character's box is
where its glyph was really put. Auto-crop only cuts the right and bottom of a page, so these top-left based
pixel coordinates hold on the final page images too.

`PageText.find` matches a passage with whitespace runs standing for any whitespace run (a space in the source
may have become a line break), and line breaks next to a wide (CJK) character optional, because CJK wrapping
breaks lines between any two characters.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glyph_web.contracts import PageLayout
    from glyph_web.render.config import RenderConfig
    from glyph_web.render.fonts import ResolvedFont

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, origin top-left, y down
ASCENT = 0.8  # box top above the baseline, in font sizes
DESCENT = 0.25  # box bottom below the baseline
# typographic variants a quoting answer and the document may disagree on; one character for one, so that
# indices stay those of the page text
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


@dataclass
class PageText:
    """One page's text as drawn (lines joined with "\\n") and each character's box in page pixels.

    A "\\n" has a zero-width box at the end of its line. `size` is the page in pixels before auto-crop.
    """

    text: str
    char_boxes: list[Box]
    size: tuple[int, int] = (0, 0)
    _norm: tuple[str, list[int]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.char_boxes) != len(self.text):
            raise ValueError(f"{len(self.char_boxes)} boxes for {len(self.text)} characters")

    @property
    def normalized(self) -> tuple[str, list[int]]:
        """(the text in matching form, index of each of its characters in `text`); see `normalize`."""
        if self._norm is None:
            self._norm = normalize(self.text)
        return self._norm

    def find(self, passage: str) -> list[tuple[int, int]]:
        """(start, end) spans of `text` where passage occurs (case-sensitive; whitespace runs match any
        whitespace run; spans never start or end on whitespace)."""
        needle, _ = normalize(passage)
        if not needle:
            return []
        hay, where = self.normalized
        spans = []
        pos = hay.find(needle)
        while pos >= 0:
            spans.append((where[pos], where[pos + len(needle) - 1] + 1))
            pos = hay.find(needle, pos + 1)
        return spans

    def boxes(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """One rectangle per line for characters start..end (whole pixels, rounded outwards); whitespace at
        either end of a line's part is left out, and lines with nothing else give none."""
        out = []
        line: list[Box] = []

        def close() -> None:
            if line:
                out.append((math.floor(min(b[0] for b in line)), math.floor(min(b[1] for b in line)),
                            math.ceil(max(b[2] for b in line)), math.ceil(max(b[3] for b in line))))
                line.clear()

        start, end = max(start, 0), min(end, len(self.text))
        for i in range(start, end):
            if self.text[i] == "\n":
                close()
            elif not self.text[i].isspace() or (line and _more_ink(self.text, i + 1, end)):
                line.append(self.char_boxes[i])
        close()
        return out


def _more_ink(text: str, i: int, end: int) -> bool:
    """Whether a non-space character follows on the same line before end."""
    while i < end and text[i] != "\n":
        if not text[i].isspace():
            return True
        i += 1
    return False


def is_wide(ch: str) -> bool:
    """A character CJK text sets without spaces around it (lines may break on either side of it)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def normalize(text: str) -> tuple[str, list[int]]:
    """Text in the form passages are matched in, with the source index of each character kept.

    Quotes and nbsp are folded to ASCII; a whitespace run becomes one space, or nothing when it touches a wide
    character (CJK wrapping puts line breaks anywhere, and Chinese uses no spaces); leading and trailing
    whitespace go.
    """
    folded = text.translate(_FOLD)
    chars: list[str] = []
    where: list[int] = []
    i, n = 0, len(folded)
    while i < n:
        ch = folded[i]
        if ch.isspace():
            j = i
            while j < n and folded[j].isspace():
                j += 1
            if chars and j < n and not (is_wide(chars[-1]) or is_wide(folded[j])):
                chars.append(" ")
                where.append(i)
            i = j
            continue
        chars.append(ch)
        where.append(i)
        i += 1
    return "".join(chars), where


@lru_cache(maxsize=4096)
def _num(value: float) -> float:
    """The number reportlab writes and poppler reads back (fast._ops' num)."""
    from reportlab.lib.rl_accel import fp_str

    from glyph_web.render.fast_raster import poppler_number

    return poppler_number(fp_str(value))


def page_text(layout: PageLayout, config: RenderConfig, font: ResolvedFont) -> PageText:
    """The text a fast-engine page layout draws and every character's box on the page image."""
    from glyph_web.render.fast_raster import reportlab_widths

    width_of = reportlab_widths(str(font.path), font.index)
    kx = config.dpi / 72.0
    page_w, page_h = config.page_size
    W, H = math.ceil(kx * page_w), math.ceil(kx * page_h)
    # finish_pages resizes the page horizontally before cropping: x scales by the integer width's ratio
    scaled_w = int(W * config.horizontal_scale) if config.horizontal_scale != 1.0 else W
    sx = scaled_w / W
    size = _num(config.font_size)
    leading = _num(config.leading)
    up, down = ASCENT * size * kx, DESCENT * size * kx
    f = kx * page_h  # the base CTM's y translation

    lines: list[str] = []
    boxes: list[Box] = []
    end_x = end_top = end_bottom = 0.0  # where the previous line ends (its "\n" box)
    for piece in layout.pieces:
        ox, oy = (_num(v) for v in piece.origin)
        e, fy = ox * kx, oy * -kx + f  # the CTM after `cm`, as _concat computes it
        y = _num(piece.size[1] - config.font_size)
        for index, tw, runs in piece.lines:
            if index:
                y = y - leading
            text = "".join(t for _, t in runs)
            ws = _num(tw) if tw else 0.0
            dx = [(width_of(ord(ch)) * 0.001) * size + 0.0 for ch in text]
            dx = [(d + ws if ch == " " else d) * 1.0 for d, ch in zip(dx, text)]
            pens = list(accumulate(dx, initial=0.0))  # one more than characters: the line's end
            base = math.floor(y * -kx + fy)  # glyphs go at floor(device y): y fractions are dropped
            top, bottom = base - up, base + down
            xs = [(x * kx + e) * sx for x in pens]
            if lines:
                boxes.append((end_x, end_top, end_x, end_bottom))  # the "\n" closing the previous line
            for k in range(len(text)):
                boxes.append((xs[k], top, max(xs[k], xs[k + 1]), bottom))
            lines.append(text)
            end_x, end_top, end_bottom = xs[-1], top, bottom
    return PageText("\n".join(lines), boxes, (scaled_w, H))
