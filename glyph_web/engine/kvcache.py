"""Prefix reuse: KV caches of what the model has already read, found by the longest common token prefix.

An entry is the cache after feeding a token sequence: a document's pages (the prompt up to its last image
token), or a whole conversation so far. A request looks for the stored sequence of the same pages that shares
the longest prefix with its own ids, as vLLM's prefix caching does, takes a copy of that cache cropped to the
shared length, and prefills only the rest. Nothing assumes the chat template renders a conversation as an
extension of the previous prompt: where the history is rendered differently from what the model generated
(GLM-4.5V's `<think></think>` + answer), the match simply ends there and the pages are still reused.

Entries are grouped by the pages' key (document hash, render config, font): image tokens are one id repeated,
so two documents of the same page sizes have the same ids and only the key tells them apart. Memory is bounded
by bytes and by a count of entries (least recently used out); a key with no entries left is forgotten.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_ENTRIES = 256  # bounds the prefix scan and the bookkeeping, whatever the entries' sizes


@dataclass
class CacheEntry:
    """The KV cache after the model was fed `ids` (in order); rope_deltas belong to the document's images."""

    ids: tuple[int, ...]
    cache: object  # transformers DynamicCache
    rope_deltas: object  # torch tensor (batch, 1)
    nbytes: int
    prompt_len: int = 0  # of ids, what was prompt (the rest was generated)
    pages: bool = False  # the pages alone (the prompt up to its last image token), shared by conversations
    stamp: int = 0


class PrefixCache:
    """Stored KV caches by pages key, evicted least-recently-used beyond budget_bytes or max_entries."""

    def __init__(self, budget_bytes: int, enabled: bool = True, max_entries: int = MAX_ENTRIES):
        self.budget_bytes = budget_bytes
        self.max_entries = max_entries
        self.enabled = enabled and budget_bytes > 0
        self._docs: dict[str, list[CacheEntry]] = {}
        self._lock = threading.Lock()
        self._clock = itertools.count(1)
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._nbytes()

    @property
    def entries(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._docs.values())

    @property
    def keys(self) -> int:
        """How many pages keys have entries (records of documents with nothing cached are not kept)."""
        with self._lock:
            return len(self._docs)

    def entries_of(self, key: str) -> list[CacheEntry]:
        with self._lock:
            return list(self._docs.get(key, ()))

    def best(self, key: str, ids: list[int], min_shared: int = 1) -> tuple[CacheEntry | None, int]:
        """The entry of these pages sharing the longest prefix with ids, and that length (capped below len(ids)).

        A match shorter than min_shared (e.g. one that stops inside the pages) counts as a miss.
        """
        if not self.enabled:
            return None, 0
        ids = tuple(ids)
        with self._lock:
            best, best_len = None, 0
            for entry in self._docs.get(key, ()):
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
        """Keep entry; drop `replaces` (the entry a conversation grew from); evict to the bounds."""
        if not self.enabled or entry.nbytes > self.budget_bytes:
            return
        with self._lock:
            entry.stamp = next(self._clock)
            kept = [e for e in self._docs.get(key, ()) if e is not replaces and e.ids != entry.ids]
            self._docs[key] = [*kept, entry]
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()

    def _nbytes(self) -> int:
        return sum(e.nbytes for entries in self._docs.values() for e in entries)

    def _evict(self) -> None:
        while self._docs and (self._nbytes() > self.budget_bytes
                              or sum(len(v) for v in self._docs.values()) > self.max_entries):
            key, oldest = min(((k, e) for k, entries in self._docs.items() for e in entries),
                              key=lambda item: item[1].stamp)
            self._docs[key].remove(oldest)
            if not self._docs[key]:
                del self._docs[key]
            logger.info("kv cache: evicted %d tokens of %s (%.1f MB)", len(oldest.ids), key[:12],
                        oldest.nbytes / 2**20)


def _common_prefix(a: tuple[int, ...], b: tuple[int, ...], chunk: int = 2048) -> int:
    """Length of the common prefix; whole chunks are compared in C (prompts are tens of thousands of ids)."""
    n = min(len(a), len(b))
    i = 0
    while i + chunk <= n and a[i:i + chunk] == b[i:i + chunk]:
        i += chunk
    while i < n and a[i] == b[i]:
        i += 1
    return i
