"""How many visual tokens GLM-4.1V spends on a page image.

The Glm4v image processor (transformers `models/glm4v/image_processing_glm4v.py`, smart_resize) resizes each
image so both sides are multiples of 28 (14-pixel patches, merged 2x2), keeping the pixel count within
[min_pixels, max_pixels] for a 2-frame temporal patch; every 28x28 block then becomes one token.
"""

from __future__ import annotations

import math

PATCH = 14
MERGE = 2
FACTOR = PATCH * MERGE  # pixels per token side
TEMPORAL = 2  # an image is repeated to fill one temporal patch of 2 frames
MIN_PIXELS = 112 * 112  # processor default size["shortest_edge"]
MAX_PIXELS = 28 * 28 * 15000  # processor default size["longest_edge"]


def smart_resize(height: int, width: int, min_pixels: int = MIN_PIXELS,
                 max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """The (height, width) the processor resizes an image to."""
    if height < FACTOR or width < FACTOR:
        scale = max(FACTOR / height, FACTOR / width)
        height, width = int(height * scale), int(width * scale)
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio over 200 ({width}x{height}) is refused by the image processor")
    h_bar = round(height / FACTOR) * FACTOR
    w_bar = round(width / FACTOR) * FACTOR
    if TEMPORAL * h_bar * w_bar > max_pixels:
        beta = math.sqrt(TEMPORAL * height * width / max_pixels)
        h_bar = max(FACTOR, math.floor(height / beta / FACTOR) * FACTOR)
        w_bar = max(FACTOR, math.floor(width / beta / FACTOR) * FACTOR)
    elif TEMPORAL * h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (TEMPORAL * height * width))
        h_bar = math.ceil(height * beta / FACTOR) * FACTOR
        w_bar = math.ceil(width * beta / FACTOR) * FACTOR
    return h_bar, w_bar


def visual_tokens(width: int, height: int, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS) -> int:
    """Tokens the language model sees for one image of this size (image start/end markers not counted)."""
    h_bar, w_bar = smart_resize(height, width, min_pixels, max_pixels)
    return (h_bar // FACTOR) * (w_bar // FACTOR)
