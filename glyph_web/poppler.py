"""Rasterising PDF pages with poppler's pdftoppm, the rasteriser of Glyph's official pipeline.

Used by the reference render engine (whole documents) and by the documents stage (scanned PDF pages). Page
ranges run as parallel pdftoppm processes: pages are independent, so the pixels do not change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from glyph_web.errors import GlyphError

PDFTOPPM = "pdftoppm"
INSTALL_HINT = ("install poppler (Debian/Ubuntu: `sudo apt-get install poppler-utils`; macOS: "
                "`brew install poppler`), or run `bash scripts/test.sh` once, which installs it")


def split_range(pages: int, per_worker: int) -> list[tuple[int, int]]:
    """Pages 1..pages cut into contiguous ranges, one per worker, with at least per_worker pages each."""
    workers = max(1, min(os.cpu_count() or 1, pages // per_worker))
    return [(pages * k // workers + 1, pages * (k + 1) // workers) for k in range(workers)]


def rasterize(pdf: bytes, dpi: float, ranges: list[tuple[int, int]],
              error: type[GlyphError] = GlyphError) -> list[Image.Image]:
    """RGB images of the pages in the given 1-based inclusive ranges, in order; `error` is raised on failure."""
    exe = shutil.which(PDFTOPPM)
    if exe is None:
        raise error(f"poppler's {PDFTOPPM} is not installed, and reading PDF pages needs it: {INSTALL_HINT}.")
    dpi_arg = str(int(dpi)) if float(dpi).is_integer() else str(dpi)
    images: list[Image.Image] = []
    batch = max(1, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="glyph-pdftoppm-") as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        for start in range(0, len(ranges), batch):
            chunk = ranges[start:start + batch]
            procs = [subprocess.Popen([exe, "-r", dpi_arg, "-f", str(first), "-l", str(last), str(src),
                                       str(Path(tmp) / f"r{start + k}")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for k, (first, last) in enumerate(chunk)]
            errors = [proc.communicate()[1] for proc in procs]
            for proc, err in zip(procs, errors):
                if proc.returncode != 0:
                    detail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
                    raise error(f"{PDFTOPPM} could not rasterise the pages ({detail[0]}).")
            for k, (first, last) in enumerate(chunk):
                files = sorted(Path(tmp).glob(f"r{start + k}-*.ppm"), key=_page_number)
                if len(files) != last - first + 1:
                    raise error(f"{PDFTOPPM} produced {len(files)} pages instead of {last - first + 1}.")
                for path in files:
                    with Image.open(path) as img:
                        images.append(img.convert("RGB"))
                    path.unlink()  # keep at most one batch of pages on disk
    return images


def _page_number(path: Path) -> int:
    # pdftoppm names pages <root>-<n>.ppm, zero-padded to the document's page count
    return int(re.search(r"-(\d+)\.ppm$", path.name).group(1))
