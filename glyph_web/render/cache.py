"""Rendered pages kept by (document hash, render config, engine), least recently used first out.

Rendering a long document takes seconds; the same document asked about again (another question, another user,
a reload of the page) reuses its pages. The key holds everything that changes the pixels, so a changed
document or config renders afresh. Bounded by entries and by bytes (the pages' pixels, uncompressed: width x
height x channels), switchable off (max_entries=0). Pages larger than the whole budget are handed back
without being kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from glyph_web.render.config import RenderConfig
from glyph_web.render.pages import RenderedPages

MB = 1024 * 1024
DEFAULT_BYTES = 1024 * MB  # half of the default --cache-mb: the Library keeps the other half


def pages_bytes(pages: RenderedPages) -> int:
    """Memory the page images hold, uncompressed (pages written to files and not kept hold none)."""
    return sum(img.width * img.height * len(img.getbands()) for img in pages.images)


class PageCache:
    """A thread-safe LRU of RenderedPages."""

    def __init__(self, max_entries: int = 16, max_bytes: int = DEFAULT_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[RenderedPages, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.pages_rendered = 0  # pages made on misses (for /metrics)

    @staticmethod
    def key(doc_sha256: str, config: RenderConfig, engine: str) -> str:
        return f"{doc_sha256}:{config.cache_key()}:{engine}"

    @property
    def bytes(self) -> int:
        """Memory the kept pages hold, uncompressed."""
        with self._lock:
            return self._bytes

    @property
    def entries(self) -> int:
        with self._lock:
            return len(self._items)

    def get_or_render(self, key: str, render: Callable[[], RenderedPages]) -> RenderedPages:
        """The cached pages for key, or render() them and keep them (when they fit)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found[0]
            self.misses += 1
        pages = render()  # outside the lock: rendering takes seconds
        size = pages_bytes(pages)
        with self._lock:
            self.pages_rendered += len(pages.page_sizes)
            if self.max_entries > 0 and size <= self.max_bytes:
                old = self._items.pop(key, None)  # another thread rendered the same pages meanwhile
                if old is not None:
                    self._bytes -= old[1]
                self._items[key] = (pages, size)
                self._bytes += size
                self._evict()
        return pages

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
            _, (_, size) = self._items.popitem(last=False)
            self._bytes -= size
