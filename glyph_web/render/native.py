"""The optional compiled glyph blit of the fast engine (_blit.c), built on first use with the system C compiler.

Compositing ~250,000 glyph pixels per page one after the other is a C loop's job: numpy needs a dozen passes
over million-element arrays to keep paint order, about 10 ms a page against under 1 ms. The build is cached
per source version in ~/.cache/glyph-web (or $XDG_CACHE_HOME); where no compiler is found, the build fails,
or the cache is not writable, `blit()` is None and fast_raster uses its numpy path, which gives the same
bytes (tests compare the two).

Threads: the first callers of `blit()` wait on one lock while one of them builds and loads the library, then
all get the same function; `_state["fn"]` is only ever set to the finished result. The C function checks
every slot, pixel range and colour index against the lengths it is passed, so no input reads or writes
outside its arrays.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("_blit.c")
_state: dict = {}  # "fn": the loaded function or None (not available), once decided
_lock = threading.Lock()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glyph-web"


def library_path() -> Path:
    """Where the build for this source, machine and Python lives (a new source gets a new name)."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    tag = f"{sys.platform}-{platform.machine()}"
    return cache_dir() / f"glyph_blit-{digest}-{tag}.so"


def build(path: Path) -> None:
    """Compile _blit.c into path (atomically, so that two processes building at once do not clash)."""
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        raise OSError("no C compiler (cc, gcc or clang) on PATH")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=path.parent)
    os.close(fd)
    try:
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", tmp, str(SOURCE)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise OSError(f"{compiler} failed: {done.stderr.strip()[:500]}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# glyph_blit(px, W, H, C, n, gx, gy, slot, colour_index, colours, ncolours, start, count, nslots, dy, dx, a,
#            npixels): see _blit.c
ARGTYPES = [ctypes.c_void_p, *[ctypes.c_int64] * 4, *[ctypes.c_void_p] * 5, ctypes.c_int64,
            *[ctypes.c_void_p] * 2, ctypes.c_int64, *[ctypes.c_void_p] * 3, ctypes.c_int64]


def blit():
    """The compiled glyph_blit function, or None where it cannot be had (then numpy does the work).

    Safe to call from many threads at once: one builds and loads while the others wait, and all get the
    same result.
    """
    try:
        return _state["fn"]  # decided already: no lock on the hot path
    except KeyError:
        pass
    with _lock:
        if "fn" not in _state:
            _state["fn"] = _load()
        return _state["fn"]


def _load():
    try:
        path = library_path()
        if not path.is_file():
            build(path)
        fn = ctypes.CDLL(str(path)).glyph_blit
        fn.restype = None
        fn.argtypes = ARGTYPES
        return fn
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("the compiled glyph blit is not available, numpy draws the glyphs: %s", exc)
        return None


if __name__ == "__main__":  # `python -m glyph_web.render.native`: build now (the setup script does)
    print(library_path() if blit() else "not built: the numpy path will be used", file=sys.stderr)
