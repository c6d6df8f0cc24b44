"""One page drawn, cropped and written as PNG: the work a page worker does (render/pool.py) and the writer
does itself when it has no workers (render/writer.py)."""

from __future__ import annotations

from pathlib import Path

from glyph_web.render.config import RenderConfig


def draw_page(job: tuple, path: Path, config: RenderConfig) -> tuple[int, int]:
    """Draw, crop and write one page: ("plan", layout, is_last, font) or ("image", PIL image); its size."""
    import numpy as np

    from glyph_web.render.png import write_png

    if job[0] == "plan":
        from glyph_web.render.crop import finish_array
        from glyph_web.render.fast import FastEngine

        _, layout, is_last, font = job
        pixels = finish_array(FastEngine.draw(layout, config, font), config, is_last)
    else:
        pixels = np.asarray(job[1].convert("RGB"))
    write_png(pixels, path)
    return pixels.shape[1], pixels.shape[0]
