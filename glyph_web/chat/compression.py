"""How much rendering text as pages saves: per page and in total, text tokens against visual tokens, and the KV
cache each would need. No torch, no gradio: the UI draws these numbers.

Text tokens come from the model's tokenizer when it is loaded; otherwise they are estimated (about four
characters a token for Western text, one per CJK character) and marked as an estimate. The KV cache per
token is layers x KV heads x head size x 2 (keys and values) x bytes per value, from the model's config.

What each page holds is known where the fast engine laid it out. Pages the reference engine drew (the fast
layout declined their text) are known only as a group, the pages of one part of the document: that part's
characters and tokens are counted whole and shared out over its pages by page size (visual tokens, which the
auto-cropped last page has fewer of), and those rows say they are shared out. The totals count the whole text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


@dataclass(frozen=True)
class PageRow:
    page: int
    characters: int | None  # None: an image page, or a page whose text is not known
    text_tokens: int | None
    visual_tokens: int
    shared: bool = False  # a reference-engine page: its part's counts shared out by page size, not its own


@dataclass(frozen=True)
class Compression:
    rows: list[PageRow]
    estimated: bool  # text tokens estimated, not counted by the model's tokenizer

    @property
    def shared(self) -> bool:
        """Some rows hold a share of their part's counts, not what their page holds."""
        return any(r.shared for r in self.rows)

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
                count_tokens: Callable[[str], int | None] = lambda text: None,
                shared: Sequence[tuple[str, Sequence[int]]] = ()) -> Compression:
    """Rows per page. `page_texts`: what each page holds, None where unknown; `shared`: (text, page numbers
    from 1) for pages whose text is known only together (see reference_groups): counted whole, shared out."""
    estimated = False

    def count(text: str) -> int:
        nonlocal estimated
        counted = count_tokens(text) if text else 0
        if counted is None:
            counted, estimated = estimate_tokens(text), True
        return counted

    rows: dict[int, PageRow] = {}
    for number, (text, visual) in enumerate(zip(page_texts, visual_tokens), 1):
        rows[number] = PageRow(number, None, None, visual) if text is None else \
            PageRow(number, len(text), count(text), visual)
    for text, numbers in shared:
        numbers = [n for n in numbers if n in rows and rows[n].characters is None]
        if not numbers:
            continue
        weights = [rows[n].visual_tokens for n in numbers]
        for n, chars, tokens in zip(numbers, share(len(text), weights), share(count(text), weights)):
            rows[n] = PageRow(n, chars, tokens, rows[n].visual_tokens, shared=True)
    return Compression([rows[n] for n in sorted(rows)], estimated)


def reference_groups(texts: Sequence[str | None], page_texts: Sequence[str | None],
                     page_parts: Sequence[int] | None) -> list[tuple[str, list[int]]]:
    """(text, page numbers from 1) for each text part of a document whose pages the fast layout did not lay
    out. `texts`: the document's parts in order (None for an image part); `page_parts`: the part each page
    shows (RenderedPages.page_parts). Without page_parts, only a document of text alone none of whose pages
    were laid out can be placed: the whole text over every page."""
    if page_parts is None:
        if texts and None not in texts and all(text is None for text in page_texts):
            return [("\n".join(texts), list(range(1, len(page_texts) + 1)))]
        return []
    groups: dict[int, list[int]] = {}
    for number, (part, text) in enumerate(zip(page_parts, page_texts), 1):
        if text is None and 0 <= part < len(texts) and texts[part] is not None:
            groups.setdefault(part, []).append(number)
    return [(texts[part], numbers) for part, numbers in groups.items()]


def share(total: int, weights: Sequence[int]) -> list[int]:
    """`total` in whole numbers in proportion to `weights`, adding up to it (largest remainders first; even
    shares when the weights are all zero)."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    quotients = [divmod(total * w, whole) for w in weights]
    parts = [q for q, _ in quotients]
    by_remainder = sorted(range(len(weights)), key=lambda i: -quotients[i][1])
    for i in by_remainder[:total - sum(parts)]:
        parts[i] += 1
    return parts


def kv_bytes(tokens: int, geometry: dict) -> int:
    """Bytes of KV cache for `tokens` tokens: layers x KV heads x head size x 2 x bytes per value."""
    return tokens * geometry["layers"] * geometry["heads"] * geometry["dim"] * 2 * geometry["bytes"]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
