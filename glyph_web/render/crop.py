"""The official post-processing of rasterised pages: horizontal scale, then auto-crop.

As in thu-coai/Glyph `scripts/word2png_function.py`: the background is the median grey of the top-left 2x2
pixels; "ink" is any pixel more than 5 grey levels away from it. With auto-crop-width every page is cut
`margin-x` pixels right of its right-most ink column; with auto-crop-last-page the last page is cut
`margin-y` pixels below its last ink row. Margins are used as pixels here whatever the DPI, as there.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from glyph_web.render.config import RenderConfig

INK_TOLERANCE = 5


def finish_pages(pages: list[Image.Image], config: RenderConfig) -> list[Image.Image]:
    """Scale and crop raw pages (RGB, as rasterised) into the pages the model sees."""
    last = len(pages)
    return [_finish(img, config, number == last) for number, img in enumerate(pages, 1)]


def _finish(img: Image.Image, config: RenderConfig, is_last: bool) -> Image.Image:
    if config.horizontal_scale != 1.0:
        img = img.resize((int(img.width * config.horizontal_scale), img.height), Image.Resampling.BICUBIC)
    box = crop_box(np.asarray(img.convert("L")), config, is_last)  # ITU-R 601 luma as PIL computes it
    return img if box == img.size else img.crop((0, 0, *box))


def finish_array(pixels: np.ndarray, config: RenderConfig, is_last: bool) -> np.ndarray:
    """finish_pages for one raw page given as an (H, W, 1) grey or (H, W, 3) RGB array; the same pixels.

    A grey plane is its own luma (PIL's (v * 19595 + v * 38470 + v * 7471 + 32768) >> 16 is v), so the
    common black-on-white page needs no image conversion at all.
    """
    if pixels.shape[2] != 1 or config.horizontal_scale != 1.0:
        mode = "L" if pixels.shape[2] == 1 else "RGB"
        img = Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode).convert("RGB")
        return np.asarray(_finish(img, config, is_last))
    width, height = crop_box(pixels[:, :, 0], config, is_last)
    return pixels[:height, :width]


def crop_box(grey: np.ndarray, config: RenderConfig, is_last: bool) -> tuple[int, int]:
    """(width, height) of the page after the official auto-crop, from its (H, W) luma."""
    height, width = grey.shape
    crop_bottom = config.auto_crop_last_page and is_last
    if not (config.auto_crop_width or crop_bottom):
        return width, height
    # ink: |g - median| > 5 with the median of the four corner pixels. Twice that median is the sum of the
    # middle two (m2), so ink is 2g > m2 + 10 or 2g < m2 - 10, i.e. g > hi or g < lo in whole grey levels;
    # per-column (per-row) minima and maxima then find the ink without a page-size temporary.
    corner = sorted(int(v) for v in grey[:2, :2].ravel())
    m2 = corner[1] + corner[2]
    hi = (m2 + 2 * INK_TOLERANCE) // 2  # 2g > m2 + 10  <=>  g > floor((m2 + 10) / 2)
    lo = -((2 * INK_TOLERANCE - m2) // 2)  # 2g < m2 - 10  <=>  g < ceil((m2 - 10) / 2)
    if config.auto_crop_width:
        cols = np.flatnonzero((grey.min(axis=0) < lo) | (grey.max(axis=0) > hi))
        if cols.size:
            # Pillow rounds a fractional box edge (Python's round), as it did for the official code's float
            # margins.
            width = min(width, round(int(cols[-1]) + 1 + config.margin_x))
    if crop_bottom:
        rows = np.flatnonzero((grey.min(axis=1) < lo) | (grey.max(axis=1) > hi))
        if rows.size:
            height = min(height, round(int(rows[-1]) + config.margin_y))
    return width, height
