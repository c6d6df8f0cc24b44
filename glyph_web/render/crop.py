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
    crop_bottom = config.auto_crop_last_page and is_last
    if not (config.auto_crop_width or crop_bottom):
        return img
    grey = np.asarray(img.convert("L")).astype(np.int16)  # (H, W), ITU-R 601 luma as PIL computes it
    # |grey - median| > 5 in integers: twice the median of the four corner pixels is the sum of the middle two
    corner = np.sort(grey[:2, :2], axis=None)
    ink = np.abs(2 * grey - (int(corner[1]) + int(corner[2]))) > 2 * INK_TOLERANCE
    if config.auto_crop_width:
        cols = np.flatnonzero(ink.any(axis=0))
        if cols.size:
            # Pillow rounds a fractional box edge, as it did for the official code's float margins.
            img = img.crop((0, 0, min(img.width, int(cols[-1]) + 1 + config.margin_x), img.height))
    if crop_bottom:
        rows = np.flatnonzero(ink.any(axis=1))
        if rows.size:
            img = img.crop((0, 0, img.width, min(img.height, int(rows[-1]) + config.margin_y)))
    return img
