"""write_document: a document straight into page files, pages drawn while the layout goes on.

This is the command line's path (the app keeps pages in memory, see pages.py). Each page is drawn, cropped,
written as page_NNN.png and dropped, so memory stays that of a few pages however long the document is.

With the fast engine the layout (one process, in order: where a page ends decides where the next begins) and
the drawing (any page, any order) overlap: as the layout completes a page, it goes to the least busy worker
of a PagePool (pool.py) while that one has fewer than BACKLOG pages waiting; pages no worker can take yet
wait here and go out as workers report. Without workers (no fork on this OS, or threads running) this
process draws every page itself, the same pixels.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from glyph_web.documents.model import Document, ImagePart
from glyph_web.errors import Message, PageLimitError, RenderError
from glyph_web.render.config import RenderConfig
from glyph_web.render.draw import draw_page
from glyph_web.render.fonts import resolve_font
from glyph_web.render.pages import RenderedPages, _done, _prepare, page_file, render_text
from glyph_web.render.pool import PagePool, PoolError

logger = logging.getLogger(__name__)

BACKLOG = 2  # pages queued per worker: enough to keep it busy; more would fill the pipe and stall the layout


def write_document(doc: Document, out_dir: str | Path, config: RenderConfig | None = None, *,
                   lang: str = "auto", engine: str = "fast", fonts_dir: Path | None = None,
                   max_pages: int | None = None, pool: PagePool | None = None,
                   workers: int | None = None) -> RenderedPages:
    """render_document's pages as out_dir/page_001.png, ... (RGB PNG); the result has `files` and `sizes`
    and no images. `pool`: drawing processes to use; without one, `workers` processes are started with the
    first page (default: the CPUs, at most 4; 1 draws in this process). On any failure no page file of this
    call is left behind.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = config or RenderConfig.for_text(doc.text, lang)
    pages = _Pages(out, config, pool, workers)
    warnings: list[str] = list(doc.warnings)
    font = fallback = None
    try:
        for part in doc.parts:
            left = None if max_pages is None else max_pages - pages.count
            if isinstance(part, ImagePart):
                if left is not None and left < 1:
                    raise PageLimitError(pages.count + 1, max_pages)
                pages.add_image(part.image)
                continue
            if not part.text.strip():
                continue
            try:
                part_config, font, part_warnings, worker = _prepare(part.text, config, lang, engine, fonts_dir,
                                                                    left)
            except PageLimitError as exc:
                raise PageLimitError(exc.pages + pages.count, max_pages, estimated=True) from None
            warnings.extend(w for w in part_warnings if w not in warnings)
            if hasattr(worker, "iter_plan") and _stream_text(pages, worker, part.text, part_config, font, left,
                                                             max_pages):
                continue
            fallback = fallback or getattr(worker, "fallback", None)
            try:  # the reference engine, or a text the fast engine leaves to it
                chunk = render_text(part.text, config, engine="reference", fonts_dir=fonts_dir, max_pages=left)
            except PageLimitError as exc:
                raise PageLimitError(exc.pages + pages.count, max_pages, estimated=True) from None
            for img in chunk.images:
                pages.add_image(img)
        if not pages.count:
            raise RenderError("render.nothing_to_show", name=doc.name)
        sizes = pages.finish()
    except BaseException:
        pages.close(kill=True)  # stop drawing before the files go
        pages.remove_all()
        raise
    pages.close()
    if font is None:
        font = resolve_font(config, doc.text, fonts_dir)
    return _done(RenderedPages(images=[], config=config, engine=engine, font=font, characters=doc.characters,
                               seconds=time.perf_counter() - started, warnings=warnings, fallback=fallback,
                               files=pages.paths(), sizes=sizes))


def _stream_text(pages: _Pages, worker, text: str, config: RenderConfig, font, left: int | None,
                 max_pages: int | None) -> bool:
    """Lay text out with the fast engine, handing each page on as it comes; False (and nothing of this text
    written) where the fast engine leaves it to the reference engine."""
    from glyph_web.render.fast import Fallback

    first = pages.count
    made = 0
    pending = None  # one page behind the layout: the last page of a text is cropped at the bottom
    try:
        for layout in worker.iter_plan(text, config, font):
            made += 1
            if left is not None and made > left:
                continue  # over the limit: count the pages, draw none
            if pending is not None:
                pages.add_plan(pending, False, font)
            pending = layout
    except Fallback:
        pages.rollback(first)
        return False
    if left is not None and made > left:
        raise PageLimitError(first + made, max_pages)
    pages.add_plan(pending, True, font)
    return True


class _Pages:
    """Page numbering, the hand-out of pages to the pool, and the pages waiting for a free worker."""

    def __init__(self, out: Path, config: RenderConfig, pool: PagePool | None, workers: int | None):
        self.out = out
        self.config = config
        self.pool = pool
        self.own_pool = pool is None
        self.workers = workers
        self.count = 0
        self.sizes: dict[int, tuple[int, int]] = {}
        self.kept: list[tuple[int, tuple]] = []  # (index, job) not handed out yet, in page order

    def path(self, index: int) -> Path:
        return self.out / page_file(index + 1)

    def paths(self) -> list[Path]:
        return [self.path(index) for index in range(self.count)]

    def add_image(self, image) -> None:
        self.sizes[self.count] = draw_page(("image", image), self.path(self.count), self.config)
        self.count += 1

    def add_plan(self, layout: dict, is_last: bool, font) -> None:
        self.kept.append((self.count, ("plan", layout, is_last, font)))
        self.count += 1
        if self.pool is None:
            # started with the first page, after this process has loaded the drawing code: the workers
            # share it (and the font) through fork instead of loading it again
            import importlib

            from glyph_web.render import native

            for name in ("fast_raster", "crop", "png"):
                importlib.import_module(f"glyph_web.render.{name}")
            native.blit()
            self.pool = PagePool.start(self.workers)
        if not self.pool.workers:  # drawn here and now: nothing waits in memory
            index, job = self.kept.pop()
            self.sizes[index] = draw_page(job, self.path(index), self.config)
            return
        self._hand_out()

    def close(self, kill: bool = False) -> None:
        """Stop a pool of its own (killing it: on failure); a pool lent by the caller is only waited for, so
        that no worker writes a page after this render's files are deleted."""
        if self.pool is None:
            return
        if self.own_pool:
            self.pool.close(kill)
        elif kill:
            try:
                self.pool.drain(self.sizes)
            except PoolError:
                pass

    def _hand_out(self) -> None:
        try:
            while self.kept:
                worker = self.pool.idlest(self.sizes, BACKLOG)
                if worker is None:
                    return
                index, job = self.kept.pop(0)
                self.pool.submit(worker, index, self.path(index), job, self.config)
        except PoolError as exc:
            raise RenderError("render.drawing_failed", error=exc.reason) from None

    def finish(self) -> list[tuple[int, int]]:
        """Every page written (by the workers, or here when there are none); their sizes in page order."""
        try:
            if self.pool is None or not self.pool.workers:
                for index, job in self.kept:
                    self.sizes[index] = draw_page(job, self.path(index), self.config)
                self.kept = []
            while self.kept and not self.own_pool:  # workers started early: they draw, this one waits
                self._hand_out()
                if self.kept:
                    self.pool.wait(self.sizes)
                    if all(w.done for w in self.pool.workers):
                        raise PoolError(Message("render.workers_stopped"))
            # a pool of its own was forked after this process loaded the drawing code: the layout is done,
            # so it draws too, from the front, while the workers take pages from the back as they run dry
            while self.kept:
                worker = self.pool.idlest(self.sizes, 1)
                if worker is not None and len(self.kept) > 1:
                    index, job = self.kept.pop()
                    self.pool.submit(worker, index, self.path(index), job, self.config)
                    continue
                index, job = self.kept.pop(0)
                self.sizes[index] = draw_page(job, self.path(index), self.config)
            if self.pool is not None:
                self.pool.drain(self.sizes)
        except PoolError as exc:
            raise RenderError("render.drawing_failed", error=exc.reason) from None
        missing = [index + 1 for index in range(self.count) if index not in self.sizes]
        if missing:
            raise RenderError("render.pages_not_written", pages=missing[:5])
        return [self.sizes[index] for index in range(self.count)]

    def rollback(self, first: int) -> None:
        """Forget (and delete) the pages from index `first` on: the text they came from is drawn again."""
        try:
            if self.pool is not None:
                self.pool.drain(self.sizes)
        except PoolError as exc:
            raise RenderError("render.drawing_failed", error=exc.reason) from None
        self.kept = [(index, job) for index, job in self.kept if index < first]
        for index in range(first, self.count):
            self.sizes.pop(index, None)
            self.path(index).unlink(missing_ok=True)
        self.count = first

    def remove_all(self) -> None:
        for index in range(self.count):
            self.path(index).unlink(missing_ok=True)
