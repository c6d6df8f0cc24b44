"""The pages gallery: what the page shows of a prepared document's pages. No torch here.

Given PIL images, Gradio writes every page as a WebP file into its cache at every event, and for a 25-page
document that took several times longer than rendering the pages. Instead each page set is written once, as
compact PNG files (the very pixels, one grey channel when the page is grey: render/png.py, about 0.5 ms and
76 kB a page at 72 dpi), into a folder of this process's temp folder, and the gallery gets their paths; Gradio
copies those small files into its cache and serves them from there, so a click shows the full page.

`PageFiles` keeps the folders by the pages' key (PreparedDocument.key: the same key, the same pixels) while a
prepared document with those pages is alive: once the Library has dropped the last one, the folder goes at the
next call. Within a byte bound, least recently used first out; removed at exit, and those of dead processes at
start. A gallery's paths are only files written here: nothing in them comes from the client.
"""

from __future__ import annotations

import atexit
import collections
import io
import logging
import os
import re
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from glyph_web.chat import PreparedDocument
from glyph_web.render.cache import MB
from glyph_web.render.png import encode_compact_png, encode_png
from glyph_web.ui.text import t

logger = logging.getLogger(__name__)

PAGES_PREFIX = "glyph-web-pages-"
# 3,400 text pages at 72 dpi: the Library's 32 documents of up to 100 pages fit
DEFAULT_MAX_BYTES = 256 * MB


@dataclass(frozen=True)
class _Folder:
    path: Path
    pages: tuple[Path, ...]
    bytes: int


class PageFiles:
    """PNG files of prepared documents' pages, one folder per page set under `root`, within `max_bytes`.

    Thread-safe. The newest folder is always kept, even alone over the bound. A folder also goes once no
    prepared document with its pages is alive (seen at the next call), and all of them at close().
    """

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._folders: collections.OrderedDict[str, _Folder] = collections.OrderedDict()
        self._holders: dict[int, str] = {}  # id(prepared document) -> its pages' key, while it lives
        self._held: collections.Counter[str] = collections.Counter()  # live documents per key
        # ids of documents collected since: appended by the garbage collector, which must not take the lock
        self._dead: collections.deque[int] = collections.deque()
        self._bytes = 0
        self._closed = False
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """Bytes of the files kept."""
        with self._lock:
            return self._bytes

    def folders(self) -> list[Path]:
        """The folders kept, least recently used first."""
        with self._lock:
            return [folder.path for folder in self._folders.values()]

    def pages(self, prepared: PreparedDocument) -> list[Path]:
        """The PNG file of each page of the document, written on the first call for its pages."""
        key = f"{prepared.key}:{len(prepared.pages.images)}"
        with self._lock:
            self._check_open()
            self._sweep()
            self._hold(prepared, key)
            found = self._folders.get(key)
            if found is not None:
                self._folders.move_to_end(key)
                return list(found.pages)
        written = self._write(prepared.pages.images)  # outside the lock: other documents need not wait
        with self._lock:
            found = self._folders.get(key)
            if self._closed or found is not None:  # closed meanwhile, or another event wrote the same pages
                shutil.rmtree(written.path, ignore_errors=True)
                self._check_open()
                self._folders.move_to_end(key)
                return list(found.pages)
            self._folders[key] = written
            self._bytes += written.bytes
            while self._bytes > self.max_bytes and len(self._folders) > 1:
                self._drop(next(iter(self._folders)))
            return list(written.pages)

    def close(self) -> None:
        """Remove every file and the root; later calls raise RuntimeError."""
        with self._lock:
            self._closed = True
            self._folders.clear()
            self._bytes = 0
            shutil.rmtree(self.root, ignore_errors=True)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the page files are closed")

    def _hold(self, prepared: PreparedDocument, key: str) -> None:
        ident = id(prepared)
        if self._holders.get(ident) == key:
            return
        self._holders[ident] = key
        self._held[key] += 1
        weakref.finalize(prepared, self._dead.append, ident)

    def _sweep(self) -> None:
        """Forget the documents collected since the last call; drop the folders none of the living holds."""
        while self._dead:
            key = self._holders.pop(self._dead.popleft(), None)
            if key is None:
                continue
            self._held[key] -= 1
            if self._held[key] <= 0:
                del self._held[key]
                if key in self._folders:
                    self._drop(key)

    def _drop(self, key: str) -> None:
        folder = self._folders.pop(key)
        self._bytes -= folder.bytes
        shutil.rmtree(folder.path, ignore_errors=True)

    def _write(self, images: list[Image.Image]) -> _Folder:
        folder = Path(tempfile.mkdtemp(dir=self.root, prefix="pages-"))
        try:
            paths, size = [], 0
            for number, img in enumerate(images, 1):
                data = _encode(img)
                path = folder / f"page-{number:03d}.png"
                path.write_bytes(data)
                paths.append(path)
                size += len(data)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return _Folder(folder, tuple(paths), size)


def _encode(img: Image.Image) -> bytes:
    """PNG bytes of the page's very pixels, fast."""
    if img.mode == "RGB":  # the bands' bytes: faster than np.asarray of the whole image, which copies row by row
        red, green, blue = (band.tobytes() for band in img.split())
        if red == green == blue:  # a grey page (text pages are): one channel, a third of the bytes
            return encode_compact_png(np.frombuffer(red, dtype=np.uint8).reshape(img.height, img.width))
        return encode_png(np.asarray(img))
    if img.mode == "L":
        return encode_compact_png(np.asarray(img))
    out = io.BytesIO()  # pictures passed on as they are (alpha, palette, 16-bit): Pillow's PNG, its fastest level
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


_default: PageFiles | None = None
_default_lock = threading.Lock()


def page_files() -> PageFiles:
    """This process's PageFiles, made on first use in a folder of the system's temp folder (Gradio serves
    files from there), removed at exit; the folders of dead processes are removed then."""
    global _default
    with _default_lock:
        if _default is None:
            base = Path(tempfile.gettempdir())
            _remove_stale(base)
            _default = PageFiles(tempfile.mkdtemp(prefix=f"{PAGES_PREFIX}{os.getpid()}-", dir=base))
            atexit.register(_default.close)
        return _default


def _remove_stale(base: Path) -> None:
    for old in base.glob(f"{PAGES_PREFIX}*"):
        match = re.match(rf"{PAGES_PREFIX}(\d+)-", old.name)
        if match and not pid_alive(int(match.group(1))):
            shutil.rmtree(old, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Whether a process of this id runs (the owner of a temp folder, before it is swept)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def gallery(prepared: PreparedDocument, lang: str, files: PageFiles | None = None) -> list:
    """The gallery's value: (path of the page's PNG file, caption) per page, from `files` (this process's
    PageFiles when not given). Where the files cannot be written, the page images themselves."""
    try:
        paths = (files or page_files()).pages(prepared)
    except OSError:
        logger.exception("writing the page files failed; the gallery gets the images")
        return gallery_images(prepared, lang)
    return [(str(path), t(lang, "page_caption", n=n)) for n, path in enumerate(paths, 1)]


def gallery_images(prepared: PreparedDocument, lang: str) -> list:
    """The gallery's value as the page images, which Gradio encodes itself at every event (the way before
    PageFiles: scripts/bench_upload.py measures it as the baseline)."""
    return [(img, t(lang, "page_caption", n=n)) for n, img in enumerate(prepared.pages.images, 1)]
