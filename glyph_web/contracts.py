"""The contracts: the data every stage hands to the next, below them all. No torch, no gradio, no web framework.

- AnswerRequest: one question about a set of pages, with the conversation so far (chat -> backends -> engine);
- GenerationSettings: sampling and length;
- ModelState: what the model (local or remote) is doing, for status lines and /readyz;
- StreamEvent and Usage: what a backend yields while it answers, consumed by the page, the API and the CLI.

- Limits: what one upload may cost (the documents stage enforces it; settings and front doors set it);
- RenderOptions: how documents become pages (settings make them, the render stage reads them);
- PageLayout: what the fast renderer draws on a page (render -> chat's evidence and compression).

Stages import these from here, never from the stage that happens to produce them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # page images; Pillow is imported by the stages that make them
    from PIL import Image

MB = 1024 * 1024
# The most characters one rendered page can hold (a page of Glyph's layout holds about 9,500 of English): the
# renderer refuses text over the page limit by this count before laying it out, and the documents stage stops
# reading text past it.
MAX_CHARS_PER_PAGE = 30_000

Status = Literal["not_loaded", "loading", "ready", "failed"]
EventKind = Literal["thinking", "text", "usage", "done"]


@dataclass(frozen=True)
class Limits:
    """What one upload may cost. Each refusal names the limit and the flag / variable that raises it."""

    max_upload_mb: float = 50  # size of each uploaded file
    max_pages: int = 100  # pages the model would read, rendered and image pages together
    docx_max_unpacked_mb: float = 100  # total size of a DOCX's zip members once unpacked
    image_max_pixels: int = 28 * 28 * 2560  # image pages are scaled down to this (2,560 visual tokens)
    figures: bool = True  # pictures and drawings inside PDF and Word files go on as image pages

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)


@dataclass(frozen=True)
class RenderOptions:
    """How documents become pages: made from the settings in one place (Settings.render_options), the page's
    DPI and newline controls overriding theirs; RenderConfig.for_options turns them into a page layout."""

    dpi: float | None = None  # None: the config's own
    newline: str | None = None  # "br" or "marker"; None: the config's own
    lang: str = "auto"  # the preset: en, zh, or auto (by the text)
    config_path: str | None = None  # an official-format config file instead of the preset for lang
    engine: str = "fast"
    fonts_dir: str | None = None
    max_pages: int = Limits.max_pages


Colour = tuple[float, float, float]  # r, g, b in 0..1, as reportlab writes them


@dataclass(slots=True)
class LayoutPiece:
    """One drawn paragraph piece of a page layout, as reportlab draws it: the `cm` origin and the size in points
    (from the page's bottom left), the background colour, and the lines as (line index, word spacing Tw, runs),
    each run a (colour, text) pair."""

    origin: tuple[float, float]
    size: tuple[float, float]
    bg: Colour
    lines: list[tuple[int, float, list[tuple[Colour, str]]]] = field(default_factory=list)


@dataclass(slots=True)
class PageLayout:
    """What the fast renderer draws on one page: made by render/fast_layout.py, drawn by render/fast.py, and read
    again by the evidence (chat) to find where the answer's words stand on the page."""

    page_bg: Colour
    pieces: list[LayoutPiece] = field(default_factory=list)
    font: Any = None  # the ResolvedFont it was set in, once rendered (render/fonts.py)

    def text(self) -> str:
        """The text the page draws, a line per line (nbsp as drawn: a space)."""
        return "\n".join("".join(text for _, text in runs) for piece in self.pieces for _, _, runs in piece.lines)


@dataclass(frozen=True)
class ModelState:
    """What the model is doing, for status lines and /readyz."""

    status: Status = "not_loaded"
    detail: str = ""  # loading step, or the reason of a failure written for a person
    progress: float | None = None  # 0..1 while loading
    model: str = ""
    device: str = ""
    precision: str = ""
    memory_gb: float | None = None  # device memory in use (GPU), or process RSS on CPU
    noise: bool = False  # the tiny random model: answers are noise

    @property
    def ready(self) -> bool:
        return self.status == "ready"


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling and length; defaults are the official Glyph demo's."""

    max_new_tokens: int = 8192
    temperature: float = 0.3  # 0: greedy
    top_p: float = 0.85
    repetition_penalty: float = 1.1
    stop_token_ids: tuple[int, ...] = (151329, 151348, 151336)
    seed: int | None = None
    ignore_stop: bool = False  # benchmarks: always generate max_new_tokens


@dataclass(frozen=True)
class AnswerRequest:
    """One question about a set of pages, with the conversation so far.

    `pages_key` identifies the pages (document hash + render config): requests with the same key share the
    KV cache of the pages. `history` holds earlier (question, raw answer) turns, oldest first.
    """

    pages: list[Image.Image]
    pages_key: str
    question: str
    history: tuple[tuple[str, str], ...] = ()
    dpi: float | None = None  # only for messages ("N pages fit at 72 dpi")


@dataclass(frozen=True)
class Usage:
    """Token counts and timings of one answer."""

    prompt_tokens: int = 0  # everything the model read for this answer, visual tokens included
    visual_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens taken from the KV cache instead of being prefilled
    ttft_s: float | None = None  # request start -> first token sampled
    total_s: float = 0.0
    finish_reason: str = "stop"  # "stop" (a stop token), "length" (max tokens), "cancelled" (stop pressed)

    @property
    def decode_tokens_per_s(self) -> float | None:
        if self.ttft_s is None or self.completion_tokens < 2 or self.total_s <= self.ttft_s:
            return None
        return (self.completion_tokens - 1) / (self.total_s - self.ttft_s)


@dataclass(frozen=True)
class StreamEvent:
    """One piece of an answer: a thinking delta, an answer text delta, the usage, or the end.

    `raw` on a "done" event is the whole generated text with its tags, as the model wrote it.
    """

    kind: EventKind
    text: str = ""
    usage: Usage | None = None
    raw: str = field(default="", repr=False)
