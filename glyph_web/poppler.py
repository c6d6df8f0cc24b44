"""Rasterising PDF pages with poppler's pdftoppm, the rasteriser of Glyph's official pipeline.

Used by the reference render engine (whole documents) and by the documents stage (scanned PDF pages). Page
ranges run as parallel pdftoppm processes: pages are independent, so the pixels do not change. A range may
carry its own resolution and a largest size in pixels: pdftoppm then draws no more than that (its crop
area), whatever size the page claims, so an uploaded PDF with huge pages costs bounded memory and disk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, NamedTuple

from PIL import Image

from glyph_web.errors import GlyphError

PDFTOPPM = "pdftoppm"


class Pages(NamedTuple):
    """Pages first..last (1-based, inclusive), at dpi (None: the call's), drawn at most width x height pixels
    (None: the whole page)."""

    first: int
    last: int
    dpi: float | None = None
    width: int | None = None
    height: int | None = None


def split_range(pages: int, per_worker: int) -> list[tuple[int, int]]:
    """Pages 1..pages cut into contiguous ranges, one per worker, with at least per_worker pages each."""
    workers = max(1, min(os.cpu_count() or 1, pages // per_worker))
    return [(pages * k // workers + 1, pages * (k + 1) // workers) for k in range(workers)]


def rasterize(pdf: bytes, dpi: float, ranges: list[tuple[int, int] | Pages],
              error: type[GlyphError] = GlyphError,
              finish: Callable[[Image.Image], Image.Image] | None = None) -> list[Image.Image]:
    """RGB images of the pages in the given ranges, in order; `error` is raised on failure.

    `finish` is applied to each page as soon as it is read (the documents stage scales scans into the pixel
    budget there), so that at most one full-size page is held at a time.
    """
    exe = shutil.which(PDFTOPPM)
    if exe is None:
        raise error("poppler.not_installed", tool=PDFTOPPM)  # the message says how to install it
    jobs = [r if isinstance(r, Pages) else Pages(*r) for r in ranges]
    images: list[Image.Image] = []
    batch = max(1, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="glyph-pdftoppm-") as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        for start in range(0, len(jobs), batch):
            chunk = jobs[start:start + batch]
            procs = [subprocess.Popen([exe, *_arguments(job, dpi), str(src), str(Path(tmp) / f"r{start + k}")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for k, job in enumerate(chunk)]
            errors = [proc.communicate()[1] for proc in procs]
            for proc, err in zip(procs, errors):
                if proc.returncode != 0:
                    detail = err.decode(errors="replace").strip().splitlines()[-1:]
                    if detail:  # pdftoppm's own words
                        raise error("poppler.failed", tool=PDFTOPPM, detail=detail[0])
                    raise error("poppler.failed_exit", tool=PDFTOPPM, code=proc.returncode)
            for k, job in enumerate(chunk):
                files = sorted(Path(tmp).glob(f"r{start + k}-*.ppm"), key=_page_number)
                if len(files) != job.last - job.first + 1:
                    raise error("poppler.page_count", tool=PDFTOPPM, count=len(files),
                                expected=job.last - job.first + 1)
                for path in files:
                    images.append(_read(path, error, finish))
                    path.unlink()  # keep at most one batch of pages on disk
    return images


def _arguments(job: Pages, dpi: float) -> list[str]:
    resolution = job.dpi if job.dpi is not None else dpi
    args = ["-r", str(int(resolution)) if float(resolution).is_integer() else repr(float(resolution)),
            "-f", str(job.first), "-l", str(job.last)]
    if job.width is not None and job.height is not None:  # the crop area: pixels beyond it are never drawn
        args += ["-x", "0", "-y", "0", "-W", str(max(1, job.width)), "-H", str(max(1, job.height))]
    return args


def _read(path: Path, error: type[GlyphError], finish) -> Image.Image:
    try:
        with Image.open(path) as img:
            page = img.convert("RGB")
        return finish(page) if finish is not None else page
    except GlyphError:
        raise
    except Exception as exc:  # a page Pillow refuses (a decompression bomb, a cut file): a sentence, not a 500
        raise error("poppler.unreadable_page", tool=PDFTOPPM, kind=type(exc).__name__) from None


def _page_number(path: Path) -> int:
    # pdftoppm names pages <root>-<n>.ppm, zero-padded to the document's page count
    return int(re.search(r"-(\d+)\.ppm$", path.name).group(1))
