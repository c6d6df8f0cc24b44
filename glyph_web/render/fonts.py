"""Finding the font a config names, and falling back to an open font when it is missing.

Glyph was trained on pages set in Verdana (English) and Source Han Sans HW SC VF (Chinese). Verdana may not be
redistributed, so `scripts/fetch_fonts.py` downloads both into `fonts/`; the repository ships openly licensed
fallbacks there. A relative font-path is looked up in the config file's folder, then in `fonts/` by file name.
When the named font is missing the render still works with a fallback, and the result carries a warning that
names the font used, because the model reads a different typeface less accurately.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from glyph_web.errors import Message, RenderError
from glyph_web.render.config import RenderConfig, has_cjk

# The project's font folder (fetched training fonts and shipped fallbacks).
FONTS_DIR = Path(__file__).resolve().parents[2] / "fonts"

# Training fonts in thu-coai/Glyph at this commit, with their git blob ids (sha1 of b"blob <size>\0" + data).
GLYPH_REPO = "thu-coai/Glyph"
GLYPH_COMMIT = "61afa7f208e8209def0d71421f1539653b5163bf"
TRAINING_FONTS = {
    "Verdana.ttf": "754a9b7b39381cc790f17f470212252974904dd7",
    "SourceHanSansHWSC-VF.ttf": "ce562716d4a434e2756b6866f8ffb0c05b11caad",
}
# Open fallbacks shipped in fonts/: DejaVu Sans descends from Bitstream Vera, whose proportions are close to
# Verdana's; WenQuanYi Micro Hei covers CJK and Latin with TrueType outlines (reportlab cannot embed CFF).
FALLBACK_EN = "DejaVuSans.ttf"
FALLBACK_ZH = "wqy-microhei.ttc"  # face 0: WenQuanYi Micro Hei


@dataclass(frozen=True)
class ResolvedFont:
    """The font file a render uses, and why it may not be the one asked for."""

    path: Path
    index: int  # face in a .ttc collection
    requested: str  # the config's font-path
    warnings: tuple[str, ...] = field(default=(), compare=False)  # Messages

    @property
    def is_fallback(self) -> bool:
        return bool(self.warnings)


def git_blob_id(data: bytes) -> str:
    """The id git gives a file's content: lets a download be checked against the repository's tree."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def candidate_paths(config: RenderConfig, fonts_dir: Path | None = None) -> list[Path]:
    """Where the config's font is looked for, in order."""
    fonts_dir = fonts_dir or FONTS_DIR
    wanted = Path(config.font_path).expanduser()
    if wanted.is_absolute():
        return [wanted, fonts_dir / wanted.name]
    paths = []
    if config.base_dir:
        paths.append(Path(config.base_dir) / wanted)
    paths.append(fonts_dir / wanted.name)
    return paths


def resolve_font(config: RenderConfig, text: str = "", fonts_dir: Path | None = None) -> ResolvedFont:
    """The config's font file, or a shipped fallback with a warning; RenderError when neither exists."""
    fonts_dir = fonts_dir or FONTS_DIR
    looked = candidate_paths(config, fonts_dir)
    for path in looked:
        if path.is_file():
            return ResolvedFont(path=path.resolve(), index=config.font_index, requested=config.font_path)
    name = Path(config.font_path).name
    wants_zh = has_cjk(text) or name == "SourceHanSansHWSC-VF.ttf"
    fallback = fonts_dir / (FALLBACK_ZH if wants_zh else FALLBACK_EN)
    if not fallback.is_file():
        raise RenderError("render.font_missing", name=name, folders=", ".join(str(p.parent) for p in looked),
                          fallback=fallback)
    # the hint: fetch the training fonts, or (a font of the config's own) point font-path at one that exists
    warning = Message("render.font_fallback_fetch" if name in TRAINING_FONTS else "render.font_fallback_path",
                      name=name, fallback=fallback.name, trained="Source Han Sans" if wants_zh else "Verdana")
    return ResolvedFont(path=fallback.resolve(), index=0, requested=config.font_path, warnings=(warning,))


_loaded: dict[tuple[str, int, float], object] = {}
_load_lock = threading.Lock()


def load_ttfont(font: ResolvedFont):
    """The font parsed and registered with reportlab under a name unique to its file (cached per process).

    reportlab keeps registered fonts in one global table by name; the official code registers by file stem,
    which would mix up two fonts of the same name in different folders, so the name here is a digest.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    stat = font.path.stat()
    key = (str(font.path), font.index, stat.st_mtime)
    with _load_lock:
        cached = _loaded.get(key)
        if cached is not None:
            return cached
        digest = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
        try:
            ttfont = TTFont(f"glyph-{digest}", str(font.path), subfontIndex=font.index)
        except (TTFError, OSError, ValueError, KeyError, IndexError, AssertionError) as exc:
            raise RenderError("render.font_unusable", name=font.path.name, error=str(exc)) from None
        pdfmetrics.registerFont(ttfont)
        _loaded[key] = ttfont
        return ttfont


def missing_characters(text: str, font: ResolvedFont) -> list[str]:
    """Distinct printable characters of the text that the font has no glyph for, in order of appearance."""
    cmap = load_ttfont(font).face.charToGlyph
    seen: dict[str, None] = {}
    for ch in set(text):
        if ch not in seen and ord(ch) not in cmap and ch.isprintable() and not ch.isspace() \
                and ch not in "\xad\u200b":
            seen[ch] = None
    return sorted(seen, key=text.index)
