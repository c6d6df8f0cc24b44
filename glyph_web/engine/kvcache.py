"""Prefix reuse: KV caches of what the model has already read, kept per document, bounded by memory (LRU).

An entry is the cache after feeding a token sequence: a document's page prefix (`[gMASK]<sop><|user|>` and
the image tokens), or a whole conversation so far. A request looks for the stored sequence that shares the
longest prefix with its own ids, takes a copy of that cache cropped to the shared length, and prefills only
the rest: a follow-up question runs neither the image processor nor the vision encoder. Keys hold the
document hash, the render config and the model, so a changed document or config never meets stale state.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class CacheEntry:
    """The KV cache after the model was fed `ids` (in order); rope_deltas belong to the document's images."""

    ids: tuple[int, ...]
    cache: object  # transformers DynamicCache
    rope_deltas: object  # torch tensor (batch, 1)
    nbytes: int
    stamp: int = 0


@dataclass
class DocumentPrefix:
    """What is known of one document's pages without running the processor again."""

    ids: tuple[int, ...]  # the prompt up to the end of the last image
    image_tokens: int
    entries: list[CacheEntry] = field(default_factory=list)


class PrefixCache:
    """Stored KV caches by document key, evicted least-recently-used beyond budget_bytes."""

    def __init__(self, budget_bytes: int, enabled: bool = True):
        self.budget_bytes = budget_bytes
        self.enabled = enabled and budget_bytes > 0
        self._docs: dict[str, DocumentPrefix] = {}
        self._lock = threading.Lock()
        self._clock = itertools.count(1)
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for d in self._docs.values() for e in d.entries)

    def document(self, key: str) -> DocumentPrefix | None:
        return self._docs.get(key) if self.enabled else None

    def remember_document(self, key: str, ids: tuple[int, ...], image_tokens: int) -> DocumentPrefix | None:
        if not self.enabled:
            return None
        with self._lock:
            doc = self._docs.get(key)
            if doc is None or doc.ids != ids:
                doc = self._docs[key] = DocumentPrefix(ids=ids, image_tokens=image_tokens)
            return doc

    def best(self, key: str, ids: list[int], min_shared: int = 1) -> tuple[CacheEntry | None, int]:
        """The entry sharing the longest prefix with ids, and that length (capped below len(ids)).

        A match shorter than min_shared (e.g. one that stops inside the pages) counts as a miss.
        """
        if not self.enabled:
            return None, 0
        with self._lock:
            doc = self._docs.get(key)
            best, best_len = None, 0
            for entry in doc.entries if doc else ():
                shared = _common_prefix(entry.ids, ids)
                if shared > best_len:
                    best, best_len = entry, shared
            if best is None or best_len < min_shared:
                self.misses += 1
                return None, 0
            best.stamp = next(self._clock)
            self.hits += 1
            # at least one token must be fed to get the next token's logits
            return best, min(best_len, len(ids) - 1)

    def store(self, key: str, entry: CacheEntry, replaces: CacheEntry | None = None) -> None:
        """Keep entry; drop `replaces` (the shorter entry a conversation grew from); evict to the budget."""
        if not self.enabled or entry.nbytes > self.budget_bytes:
            return
        with self._lock:
            doc = self._docs.get(key)
            if doc is None:
                return
            entry.stamp = next(self._clock)
            doc.entries = [e for e in doc.entries if e is not replaces and e.ids != entry.ids]
            doc.entries.append(entry)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()

    def _evict(self) -> None:
        while self.nbytes > self.budget_bytes:
            doc_key, doc, oldest = min(((k, d, e) for k, d in self._docs.items() for e in d.entries),
                                       key=lambda item: item[2].stamp)
            doc.entries.remove(oldest)
            logger.info("kv cache: evicted %d tokens of %s (%.1f MB)", len(oldest.ids), doc_key[:12],
                        oldest.nbytes / 2**20)


def _common_prefix(a: tuple[int, ...], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
