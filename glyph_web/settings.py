"""Settings: one dataclass, one CLI flag and one GLYPH_* environment variable per field.

Precedence is flag > environment > default. This is the only module that reads GLYPH_* variables. Each field's
help text is its `help` metadata, shown by `--help`; the flag is the field name with dashes
(`render_config` -> `--render-config`), the variable the field name upper-cased (`GLYPH_RENDER_CONFIG`).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Mapping

from glyph_web.documents.model import Limits
from glyph_web.errors import ConfigError

ENV_PREFIX = "GLYPH_"


def _setting(default: Any, help: str, *, choices: tuple[str, ...] | None = None, flag: str | None = None,
             kind: type = str, metavar: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices, "flag": flag, "kind": kind,
                                            "metavar": metavar})


@dataclass
class Settings:
    """Everything a run of glyph-web can be told from outside."""

    render_config: str | None = _setting(
        None, "render config JSON in the official Glyph format (default: the official preset for --lang)",
        flag="--config", metavar="FILE")
    lang: str = _setting("auto", "render preset: en, zh, or auto (zh when the text holds CJK characters)",
                         choices=("auto", "en", "zh"))
    dpi: float | None = _setting(None, "render resolution in dots per inch (the official demo offers 72 and 96)",
                                 kind=float, metavar="N")
    newline: str | None = _setting(
        None, "how line breaks appear on the page: br (a line break) or marker (a red \\n, the official "
        "demo's 'no newlines' style); default: the config's newline-markup", choices=("br", "marker"))
    engine: str = _setting("reference", "render engine", choices=("reference",))
    fonts_dir: str | None = _setting(None, "folder searched for fonts by file name (default: the project's fonts/)",
                                     metavar="DIR")
    max_upload_mb: float = _setting(Limits.max_upload_mb, "largest file accepted, in MB", kind=float, metavar="MB")
    max_pages: int = _setting(Limits.max_pages, "most pages the model is given for one conversation (rendered and image "
                                   "pages together)", kind=int, metavar="N")
    docx_max_unpacked_mb: float = _setting(Limits.docx_max_unpacked_mb, "largest size a Word file may unpack to, in MB (zip-bomb guard)",
                                           kind=float, metavar="MB")
    image_max_pixels: int = _setting(Limits.image_max_pixels, "image pages (pictures, scans) are scaled down to at most "
                                     "this many pixels", kind=int, metavar="N")

    def __post_init__(self) -> None:
        for name in ("max_upload_mb", "max_pages", "docx_max_unpacked_mb", "image_max_pixels"):
            if getattr(self, name) <= 0:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} (GLYPH_{name.upper()}) must be greater than 0.")

    def limits(self) -> Limits:
        """The documents stage's Limits from these settings."""
        return Limits(max_upload_mb=self.max_upload_mb, max_pages=self.max_pages,
                      docx_max_unpacked_mb=self.docx_max_unpacked_mb, image_max_pixels=self.image_max_pixels)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
        """Add the flags of the named fields; defaults stay None so that unset flags fall back to env."""
        by_name = {f.name: f for f in fields(cls)}
        for name in names:
            f = by_name[name]
            meta = f.metadata
            flag = meta["flag"] or "--" + name.replace("_", "-")
            env = ENV_PREFIX + name.upper()
            default = f.default if f.default is not MISSING else None
            shown = "" if default is None else f" (default: {default})"
            parser.add_argument(flag, dest=name, default=None, choices=meta["choices"],
                                type=meta["kind"], metavar=meta["metavar"],
                                help=f"{meta['help']}{shown}; env {env}")

    @classmethod
    def resolve(cls, args: argparse.Namespace | None = None,
                environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from parsed flags, then GLYPH_* variables, then defaults; bad env values are ConfigErrors."""
        environ = os.environ if environ is None else environ
        given = vars(args) if args is not None else {}
        values = {}
        for f in fields(cls):
            meta = f.metadata
            if given.get(f.name) is not None:
                values[f.name] = given[f.name]
                continue
            env = ENV_PREFIX + f.name.upper()
            raw = environ.get(env)
            if raw is None or raw == "":
                continue
            if meta["choices"] and raw not in meta["choices"]:
                raise ConfigError(f"{env}={raw!r} is not valid: use one of {', '.join(meta['choices'])}.")
            try:
                values[f.name] = meta["kind"](raw)
            except ValueError:
                raise ConfigError(f"{env}={raw!r} is not valid: it must be a {meta['kind'].__name__}.") from None
        return cls(**values)
