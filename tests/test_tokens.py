"""Visual tokens per page follow GLM-4.1V's smart resize (28-pixel blocks within the pixel budget)."""

import pytest

from glyph_web.render.tokens import MAX_PIXELS, smart_resize, visual_tokens


@pytest.mark.parametrize("width, height, tokens", [
    (589, 566, 21 * 20),      # the official sample page: 588 x 560 after rounding to 28
    (585, 842, 21 * 30),      # a full cropped page at 72 dpi: the README's "about 630"
    (781, 1123, 28 * 40),     # a full page at 96 dpi
    (10, 10, 9),              # tiny: scaled up to 28, then to the minimum pixel budget (84 x 84)
    (50, 4000, 2 * 143),      # tall strip: each side rounded to the nearest multiple of 28
])
def test_visual_tokens(width, height, tokens):
    assert visual_tokens(width, height) == tokens


def test_huge_images_are_scaled_into_the_pixel_budget():
    h, w = smart_resize(20000, 20000)
    assert h == w and h % 28 == 0
    assert 2 * h * w <= MAX_PIXELS < 2 * (h + 28) * (w + 28)


def test_extreme_aspect_ratio_is_refused():
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(28, 28 * 201)
