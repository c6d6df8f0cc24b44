"""Rendered pages kept by (document hash, render config, engine), least recently used first out.

Rendering a long document takes seconds; the same document asked about again (another question, another user,
a reload of the page) reuses its pages. The key holds everything that changes the pixels, so a changed
document or config renders afresh. Bounded by entries and by pixels, switchable off (max_entries=0).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from glyph_web.render.config import RenderConfig
from glyph_web.render.pages import RenderedPages


class PageCache:
    """A thread-safe LRU of RenderedPages."""

    def __init__(self, max_entries: int = 16, max_pixels: int = 400 * 1_000_000):
        self.max_entries = max_entries
        self.max_pixels = max_pixels  # ~1.2 GB of RGB pages
        self._items: OrderedDict[str, RenderedPages] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.pages_rendered = 0  # pages made on misses (for /metrics)

    @staticmethod
    def key(doc_sha256: str, config: RenderConfig, engine: str) -> str:
        return f"{doc_sha256}:{config.cache_key()}:{engine}"

    def get_or_render(self, key: str, render: Callable[[], RenderedPages]) -> RenderedPages:
        """The cached pages for key, or render() them and keep them."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        pages = render()  # outside the lock: rendering takes seconds
        with self._lock:
            self.pages_rendered += len(pages.page_sizes)
        if self.max_entries > 0:
            with self._lock:
                self._items[key] = pages
                self._items.move_to_end(key)
                self._evict()
        return pages

    def _evict(self) -> None:
        def pixels() -> int:
            return sum(w * h for p in self._items.values() for w, h in p.page_sizes)

        while self._items and (len(self._items) > self.max_entries or pixels() > self.max_pixels):
            self._items.popitem(last=False)
