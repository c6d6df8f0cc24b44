"""Text -> page images faithful to Glyph's training pipeline. Imports neither torch nor gradio.

The names below load on first use (PEP 562), so that importing a light submodule (pool.py, for one) does not
pay for numpy, Pillow and reportlab.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "LANGS": "config", "NEWLINE_MARKUPS": "config", "RenderConfig": "config", "has_cjk": "config",
    "ENGINE_NAMES": "pages", "RenderedPages": "pages", "render_document": "pages", "render_text": "pages",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
