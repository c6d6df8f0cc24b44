"""How much rendering text as pages saves: per page and in total, text tokens against visual tokens, and the KV
cache each would need. No torch, no gradio: the UI draws these numbers.

Text tokens come from the model's tokenizer when it is loaded; otherwise they are estimated (about four
characters a token for Western text, one per CJK character) and marked as an estimate. The KV cache per
token is layers x KV heads x head size x 2 (keys and values) x bytes per value, from the model's config.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


@dataclass(frozen=True)
class PageRow:
    page: int
    characters: int | None  # None: an image page, or a page whose text is not known
    text_tokens: int | None
    visual_tokens: int


@dataclass(frozen=True)
class Compression:
    rows: list[PageRow]
    estimated: bool  # text tokens estimated, not counted by the model's tokenizer

    @property
    def characters(self) -> int:
        return sum(r.characters or 0 for r in self.rows)

    @property
    def text_tokens(self) -> int:
        return sum(r.text_tokens or 0 for r in self.rows)

    @property
    def visual_tokens(self) -> int:
        return sum(r.visual_tokens for r in self.rows)

    @property
    def ratio(self) -> float | None:
        return self.text_tokens / self.visual_tokens if self.visual_tokens and self.text_tokens else None


def estimate_tokens(text: str) -> int:
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def compression(page_texts: list[str | None], visual_tokens: list[int],
                count_tokens: Callable[[str], int | None] = lambda text: None) -> Compression:
    rows, estimated = [], False
    for number, (text, visual) in enumerate(zip(page_texts, visual_tokens), 1):
        if text is None:
            rows.append(PageRow(number, None, None, visual))
            continue
        counted = count_tokens(text) if text else 0
        if counted is None:
            counted, estimated = estimate_tokens(text), True
        rows.append(PageRow(number, len(text), counted, visual))
    return Compression(rows, estimated)


def kv_bytes(tokens: int, geometry: dict) -> int:
    """Bytes of KV cache for `tokens` tokens: layers x KV heads x head size x 2 x bytes per value."""
    return tokens * geometry["layers"] * geometry["heads"] * geometry["dim"] * 2 * geometry["bytes"]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
