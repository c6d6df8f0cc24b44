"""RenderConfig: the page layout, read from Glyph's official render config files as they are.

The official files (thu-coai/Glyph `config/config_en.json`, `config_zh.json`) use dashed keys such as
`margin-x`; `RenderConfig.from_dict` takes exactly those keys. A key missing from a file gets the default of
the official renderer (`scripts/word2png_function.py`), so a partial file renders as it would there; the
presets `en` and `zh` are the two official files. Unknown keys are ignored with a note; a value of the wrong
type is a ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from glyph_web.contracts import RenderOptions
from glyph_web.errors import ConfigError, Message

logger = logging.getLogger(__name__)

# Newline styles the official demo offers: a line break, or a visible red " \n " marker ("Use Newlines? No").
NEWLINE_MARKUPS = {
    "br": "<br/>",
    "marker": '<font color="#FF0000"> \\n </font>',
}
ALIGNMENTS = ("LEFT", "CENTER", "RIGHT", "JUSTIFY")
LANGS = ("auto", "en", "zh")
# reportlab's A4 in points, the official default page size.
A4 = (595.2755905511812, 841.8897637795277)
# The official demo switches to the Chinese config when the text holds a character in this block.
_CJK = re.compile("[\u4e00-\u9fff]")
_COLOR = re.compile(r"^(#|0x)[0-9a-fA-F]{6}$")


def has_cjk(text: str) -> bool:
    """True when the text holds a CJK Unified Ideograph (the official demo's and renderer's test)."""
    return _CJK.search(text) is not None


@dataclass(frozen=True)
class RenderConfig:
    """One page layout. Field defaults are the official renderer's defaults for a missing key.

    Lengths are in PDF points (1/72 inch) except where noted; colours are hex strings as in the files.
    """

    page_size: tuple[float, float] = A4
    dpi: float = 72
    margin_x: float = 20  # also the pixels kept right of the text by auto-crop, as in the official code
    margin_y: float = 20
    font_path: str = "Verdana.ttf"
    font_index: int = 0  # face inside a .ttc collection (not an official key)
    font_size: float = 9
    line_height: float | None = None  # None or 0: font_size + 1, as in the official code
    font_color: str = "#000000"
    alignment: str = "JUSTIFY"
    horizontal_scale: float = 1.0
    first_line_indent: float = 0
    left_indent: float = 0
    right_indent: float = 0
    space_before: float = 0
    space_after: float = 0
    border_width: float = 0
    border_padding: float = 0
    page_bg_color: str = "#FFFFFF"
    para_bg_color: str = "#FFFFFF"
    para_border_color: str = "#FFFFFF"
    auto_crop_width: bool = False
    auto_crop_last_page: bool = False
    newline_markup: str = NEWLINE_MARKUPS["br"]
    # Folder that a relative font_path is resolved against first (the config file's folder).
    base_dir: str | None = None
    # Notes from parsing (unknown keys); shown to the user with the render warnings.
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def leading(self) -> float:
        """Distance between baselines in points."""
        return self.line_height or (self.font_size + 1)

    @property
    def font_name(self) -> str:
        return Path(self.font_path).name

    # --- reading -------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path | None = None,
                  source: str | None = None) -> RenderConfig:
        """Build a config from official dashed keys; `source` names the origin in error messages (a path, or a
        Message; default: "config")."""
        if source is None:
            source = Message("render.source_config")
        if not isinstance(data, Mapping):
            raise ConfigError("render.config_not_object", source=source, kind=_kind(data))
        values: dict[str, Any] = {}
        notes = []
        for key, raw in data.items():
            spec = _KEYS.get(key)
            if spec is None:
                note = Message("render.unknown_key", source=source, key=key)
                logger.warning("%s", note)
                notes.append(note)
                continue
            name, check = spec
            values[name] = check(raw, Message("render.key_in", source=source, key=key))
        if base_dir is not None:
            values["base_dir"] = str(base_dir)
        return cls(notes=tuple(notes), **values)

    @classmethod
    def from_file(cls, path: str | Path) -> RenderConfig:
        """Read an official-style JSON config; its folder anchors a relative font-path."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError("render.config_missing", path=path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("render.config_unreadable", path=path, error=str(exc)) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("render.config_not_json", path=path, line=exc.lineno, error=exc.msg) from None
        return cls.from_dict(data, base_dir=path.resolve().parent, source=str(path))

    @classmethod
    def preset(cls, lang: str) -> RenderConfig:
        """The official post-training config for 'en' or 'zh'."""
        if lang not in PRESETS:
            raise ConfigError("render.unknown_lang", lang=lang, choices=", ".join(LANGS))
        return cls.from_dict(PRESETS[lang], source=Message("render.source_preset", lang=lang))

    @classmethod
    def for_text(cls, text: str, lang: str = "auto") -> RenderConfig:
        """The preset for a language; 'auto' picks 'zh' when the text holds CJK characters, as the demo does."""
        if lang == "auto":
            lang = "zh" if has_cjk(text) else "en"
        return cls.preset(lang)

    @classmethod
    def for_options(cls, text: str, options: RenderOptions) -> RenderConfig:
        """The layout RenderOptions ask for: their config file or the preset for their language, with their DPI
        and newline style where they set one."""
        config = cls.from_file(options.config_path) if options.config_path else cls.for_text(text, options.lang)
        changes = {name: value for name, value in (("dpi", options.dpi), ("newline", options.newline))
                   if value is not None}
        return config.replace(**changes) if changes else config

    # --- changing and writing ---------------------------------------------------------------------------

    def replace(self, **changes: Any) -> RenderConfig:
        """A copy with fields changed; values are checked like a file's."""
        by_field = {name: (key, check) for key, (name, check) in _KEYS.items()}
        checked = {}
        for name, value in changes.items():
            if name == "newline":
                name, value = "newline_markup", newline_markup(value)
            elif name in by_field:
                key, check = by_field[name]
                value = check(value, Message("render.key", key=key))
            elif name != "base_dir":
                raise TypeError(f"RenderConfig has no field {name!r}")
            checked[name] = value
        return dataclasses.replace(self, **checked)

    def to_dict(self) -> dict[str, Any]:
        """The official dashed keys and their values (the inverse of from_dict, without base_dir)."""
        out = {}
        for key, (name, _) in _KEYS.items():
            value = getattr(self, name)
            if name == "page_size":
                value = ",".join(_num_str(v) for v in value)
            if value is None or (name == "font_index" and value == 0):
                continue
            out[key] = value
        return out

    def cache_key(self) -> str:
        """A stable digest of everything that changes the pixels (for caches of rendered pages)."""
        blob = json.dumps([self.to_dict(), self.base_dir], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def newline_markup(style: str) -> str:
    """The markup for a newline style name ('br' or 'marker'); any other value is taken as markup itself."""
    if style in NEWLINE_MARKUPS:
        return NEWLINE_MARKUPS[style]
    if not isinstance(style, str) or not style:
        raise ConfigError("render.newline_style", choices=", ".join(NEWLINE_MARKUPS))
    return style


# --- value checks: each takes (value, what) and returns the value to store or raises ConfigError -------


def _kind(value: Any) -> Message:
    """What a value is, said for a person ("a number", "text", ...): a Message."""
    kind = type(value)
    if kind is bool:
        return Message("render.kind_bool")
    if kind in (int, float):
        return Message("render.kind_number")
    if kind is str:
        return Message("render.kind_text")
    if kind is list:
        return Message("render.kind_list")
    if kind is dict:
        return Message("render.kind_object")
    if value is None:
        return Message("render.kind_null")
    return Message("render.kind_other", name=kind.__name__)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError("render.not_number", what=what, kind=_kind(value), value=value)
    return value


def _non_negative(value: Any, what: str) -> float:
    value = _number(value, what)
    if value < 0:
        raise ConfigError("render.negative", what=what, value=value)
    return value


def _positive(value: Any, what: str) -> float:
    value = _number(value, what)
    if value <= 0:
        raise ConfigError("render.not_positive", what=what, value=value)
    return value


def _dpi(value: Any, what: str) -> float:
    value = _positive(value, what)
    if not 18 <= value <= 600:
        raise ConfigError("render.dpi_range", what=what, value=value)
    return value


def _line_height(value: Any, what: str) -> float | None:
    return None if value is None else _non_negative(value, what)


def _index(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError("render.not_index", what=what, value=value)
    return value


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError("render.not_bool", what=what, kind=_kind(value), value=value)
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("render.not_text", what=what, kind=_kind(value), value=value)
    return value


def _color(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _COLOR.match(value.strip()):
        raise ConfigError("render.not_color", what=what, value=value)
    return value.strip()


def _alignment(value: Any, what: str) -> str:
    if not isinstance(value, str) or value.upper() not in ALIGNMENTS:
        raise ConfigError("render.not_alignment", what=what, choices=", ".join(ALIGNMENTS), value=value)
    return value.upper()


def _page_size(value: Any, what: str) -> tuple[float, float]:
    parts: Any = value
    if isinstance(value, str):
        parts = value.split(",")
        try:
            parts = [float(p) for p in parts]
        except ValueError:
            parts = None
    if (not isinstance(parts, (list, tuple)) or len(parts) != 2
            or any(isinstance(p, bool) or not isinstance(p, (int, float)) or p <= 0 for p in parts)):
        raise ConfigError("render.not_page_size", what=what, value=value)
    return (float(parts[0]), float(parts[1]))


def _num_str(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# official key -> (field name, check)
_KEYS: dict[str, tuple[str, Any]] = {
    "page-size": ("page_size", _page_size),
    "dpi": ("dpi", _dpi),
    "margin-x": ("margin_x", _non_negative),
    "margin-y": ("margin_y", _non_negative),
    "font-path": ("font_path", _text),
    "font-index": ("font_index", _index),
    "font-size": ("font_size", _positive),
    "line-height": ("line_height", _line_height),
    "font-color": ("font_color", _color),
    "alignment": ("alignment", _alignment),
    "horizontal-scale": ("horizontal_scale", _positive),
    "first-line-indent": ("first_line_indent", _number),
    "left-indent": ("left_indent", _number),
    "right-indent": ("right_indent", _number),
    "space-before": ("space_before", _non_negative),
    "space-after": ("space_after", _non_negative),
    "border-width": ("border_width", _non_negative),
    "border-padding": ("border_padding", _non_negative),
    "page-bg-color": ("page_bg_color", _color),
    "para-bg-color": ("para_bg_color", _color),
    "para-border-color": ("para_border_color", _color),
    "auto-crop-width": ("auto_crop_width", _flag),
    "auto-crop-last-page": ("auto_crop_last_page", _flag),
    "newline-markup": ("newline_markup", _text),
}

# The official post-training configs (thu-coai/Glyph config/config_en.json and config_zh.json), key for key.
_OFFICIAL_COMMON = {
    "page-size": "595,842",
    "dpi": 72,
    "margin-x": 10,
    "margin-y": 10,
    "font-size": 9,
    "line-height": 10,
    "font-color": "#000000",
    "alignment": "LEFT",
    "horizontal-scale": 1.0,
    "first-line-indent": 0,
    "left-indent": 0,
    "right-indent": 0,
    "space-after": 0,
    "space-before": 0,
    "border-width": 0,
    "border-padding": 0,
    "page-bg-color": "#FFFFFF",
    "para-bg-color": "#FFFFFF",
    "auto-crop-width": True,
    "auto-crop-last-page": True,
}
PRESETS: dict[str, dict[str, Any]] = {
    "en": {**_OFFICIAL_COMMON, "font-path": "../config/Verdana.ttf"},
    "zh": {**_OFFICIAL_COMMON, "font-path": "../config/SourceHanSansHWSC-VF.ttf"},
}
