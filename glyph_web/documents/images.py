"""Pictures (PNG, JPEG, WebP) as pages: checked before decoding, turned upright, scaled into the pixel budget."""

from __future__ import annotations

import io
import logging
import math
import warnings as _warnings

from PIL import Image, ImageOps

from glyph_web.documents.model import Document, ImagePart, Limits, digest
from glyph_web.errors import DocumentError

logger = logging.getLogger(__name__)

FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}
# Refused before decoding: far above any photo or scan, and what Pillow itself treats as a decompression bomb.
MAX_SOURCE_PIXELS = 90_000_000
MAX_ASPECT = 200  # the GLM-4.1V image processor refuses longer strips


def load_image(data: bytes, name: str, limits: Limits) -> Document:
    image = open_page_image(data, name, limits)
    return Document(name=name, kind="image", parts=[ImagePart(image, name)], sha256=digest(data))


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the picture's header, decoding no pixels (Pillow opens lazily); None when Pillow
    cannot open it (open_page_image then says why)."""
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
                return img.size
    except Exception:  # a decompression bomb too: open_page_image refuses it, also before decoding
        return None


def open_page_image(data: bytes, name: str, limits: Limits) -> Image.Image:
    """The picture as an RGB page within limits.image_max_pixels; DocumentError when it cannot be one."""
    try:
        with _warnings.catch_warnings():
            # our own check below names the size; Pillow still raises past twice its threshold
            _warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise _bomb(name, None) from None
    except Exception:
        raise DocumentError("documents.image_unreadable", name=name) from None
    width, height = img.size
    if width * height > MAX_SOURCE_PIXELS:
        raise _bomb(name, img.size)
    if width < 1 or height < 1 or max(width, height) / min(width, height) > MAX_ASPECT:
        raise DocumentError("documents.image_thin", name=name, width=width, height=height, ratio=MAX_ASPECT)
    try:
        img.load()
        img = ImageOps.exif_transpose(img)  # phone photos are stored sideways with a rotation tag
        img = to_rgb(img)
    except Exception:
        logger.warning("image %s failed to decode", name, exc_info=True)
        raise DocumentError("documents.image_truncated", name=name) from None
    return fit_pixels(img, limits.image_max_pixels)


def fit_pixels(img: Image.Image, max_pixels: int) -> Image.Image:
    """Scale down, keeping the aspect ratio, so that width x height <= max_pixels."""
    if img.width * img.height <= max_pixels:
        return img
    scale = math.sqrt(max_pixels / (img.width * img.height))
    size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB; transparency is flattened onto white, as a page would be."""
    if img.mode in ("RGBA", "LA", "P", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        page = Image.new("RGB", rgba.size, (255, 255, 255))
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return img.convert("RGB")


def _bomb(name: str, size: tuple[int, int] | None) -> DocumentError:
    million = MAX_SOURCE_PIXELS // 1_000_000
    if size is None:
        return DocumentError("documents.image_bomb", name=name, million=million)
    return DocumentError("documents.image_bomb_size", name=name, width=size[0], height=size[1], million=million)
