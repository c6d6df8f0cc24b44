"""Settings: one dataclass, one CLI flag and one GLYPH_* environment variable per field.

Precedence is flag > environment > default. This is the only module that reads GLYPH_* variables. Each field's
help text is its `help` metadata, shown by `--help`; the flag is the field name with dashes
(`render_config` -> `--render-config`), the variable the field name upper-cased (`GLYPH_RENDER_CONFIG`).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Mapping

from glyph_web.contracts import GenerationSettings, Limits, RenderOptions
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
    engine: str = _setting("fast", "render engine: fast (the same pixels, much sooner) or reference (reportlab + "
                           "poppler, the official method)", choices=("fast", "reference"))
    fonts_dir: str | None = _setting(None, "folder searched for fonts by file name (default: the project's fonts/)",
                                     metavar="DIR")
    max_upload_mb: float = _setting(Limits.max_upload_mb, "largest file accepted, in MB", kind=float, metavar="MB")
    max_pages: int = _setting(Limits.max_pages, "most pages the model is given for one conversation (rendered "
                              "and image pages together)", kind=int, metavar="N")
    docx_max_unpacked_mb: float = _setting(Limits.docx_max_unpacked_mb, "largest size a Word file may unpack to, "
                                           "in MB (zip-bomb guard)", kind=float, metavar="MB")
    image_max_pixels: int = _setting(Limits.image_max_pixels, "image pages (pictures, scans) are scaled down to at "
                                     "most this many pixels", kind=int, metavar="N")
    figures: bool = _setting(True, "pass the pictures and charts inside PDF and Word files on to the model as image "
                             "pages, after the text they belong to (off: their text only)", kind=bool)
    request_max_megapixels: float = _setting(400, "most pixels the pictures of one API request may have together, "
                                             "in millions, read from their headers before any is decoded",
                                             kind=float, metavar="N")
    cache_mb: float = _setting(2048, "memory the page images kept between requests may take, in MB (uncompressed; "
                               "half for the documents people are asking about, half for the page cache)",
                               kind=float, metavar="MB")

    model: str = _setting("zai-org/Glyph", "model: a Hugging Face id, a local checkpoint folder, or 'tiny' (a "
                          "random-weight demo model built on first use; its answers are noise)", metavar="ID|DIR")
    load_in_4bit: bool = _setting(False, "load the model in 4-bit NF4 (bitsandbytes): about a third of the memory",
                                  kind=bool)
    device: str | None = _setting(None, "where the model runs: cuda or cpu (default: cuda when available)",
                                  choices=("cuda", "cpu"))
    max_new_tokens: int = _setting(8192, "longest answer, in tokens", kind=int, metavar="N")
    temperature: float = _setting(0.3, "sampling temperature; 0 picks the most likely token", kind=float,
                                  metavar="T")
    top_p: float = _setting(0.85, "nucleus sampling: keep the most likely tokens up to this probability",
                            kind=float, metavar="P")
    repetition_penalty: float = _setting(1.1, "penalty for repeating tokens (1 = none)", kind=float, metavar="R")
    kv_cache: bool = _setting(True, "keep the KV cache of pages and conversations for follow-up questions",
                              kind=bool)
    kv_cache_gb: float = _setting(4.0, "memory the KV cache may keep, in GB", kind=float, metavar="GB")
    host: str = _setting("127.0.0.1", "address to listen on (0.0.0.0: every interface)", metavar="ADDR")
    port: int = _setting(7860, "port of the web app", kind=int, metavar="PORT")
    share: bool = _setting(False, "also publish the app through a temporary public Gradio link", kind=bool)
    gpu_concurrency: int = _setting(1, "answers generated at the same time; more requests wait in the queue",
                                    kind=int, metavar="N")
    queue_size: int = _setting(32, "requests that may wait in the queue before new ones are turned away",
                               kind=int, metavar="N")
    log_dir: str = _setting("logs", "folder of the rotated log file glyph_web.log", metavar="DIR")
    backend: str = _setting("local", "where answers come from: local (the model in this process) or openai (an "
                            "OpenAI-compatible server: vLLM, SGLang, or another glyph-web; see --api-base)",
                            choices=("local", "openai"))
    api_base: str | None = _setting(None, "with --backend openai: the server's base URL, e.g. "
                                    "http://localhost:8000/v1", metavar="URL")
    api_model: str | None = _setting(None, "with --backend openai: the model name the server serves (default: "
                                     "--model)", metavar="NAME")
    backend_api_key: str | None = _setting(None, "with --backend openai: the key sent to that server (prefer the "
                                           "environment variable to the flag)", metavar="KEY")
    auth: str | None = _setting(None, "user:password required by the page and the API, or a file of such lines "
                                "(prefer the environment variable to the flag); beyond loopback without it, a "
                                "random password is made at start and printed; 'off': open to anyone who can "
                                "reach the port", metavar="USER:PASS|FILE|off")
    api_key: str | None = _setting(None, "key the API (/v1) requires as 'Authorization: Bearer KEY' (prefer the "
                                   "environment variable to the flag)", metavar="KEY")
    identifier_assist: bool = _setting(True, "give the model the document's long exact strings (UUIDs, serials, "
                                       "hashes, IBANs) as plain text beside the pages when a question is about "
                                       "them", kind=bool)
    rate_limit: float = _setting(60, "API requests per minute one client may make (0: no limit)", kind=float,
                                 metavar="N")
    admins: str | None = _setting(None, "comma-separated login names (of --auth) that may change the server for "
                                  "everyone from the page: reload the model, 4-bit, the KV cache; without it "
                                  "those are set on the command line only", metavar="USER,...")
    trusted_proxies: str | None = _setting(None, "comma-separated addresses or networks of reverse proxies whose "
                                           "X-Forwarded-For is believed (default: none; the peer's address "
                                           "counts)", metavar="ADDR,...")

    def __post_init__(self) -> None:
        for name in ("max_upload_mb", "max_pages", "docx_max_unpacked_mb", "image_max_pixels", "max_new_tokens",
                     "repetition_penalty", "port", "gpu_concurrency", "queue_size", "request_max_megapixels"):
            if getattr(self, name) <= 0:
                raise ConfigError("settings.not_positive", flag=_flag(name), env=ENV_PREFIX + name.upper())
        for name in ("temperature", "kv_cache_gb", "rate_limit", "cache_mb"):
            if getattr(self, name) < 0:
                raise ConfigError("settings.negative", flag=_flag(name), env=ENV_PREFIX + name.upper())
        if not 0 < self.top_p <= 1:
            raise ConfigError("settings.top_p", flag=_flag("top_p"), env=ENV_PREFIX + "TOP_P")
        parse_proxies(self.trusted_proxies)  # a ConfigError now rather than a surprise at the first request
        if self.backend == "openai" and not self.api_base:
            raise ConfigError("settings.api_base_needed", env=ENV_PREFIX + "API_BASE")

    def admin_names(self) -> frozenset[str]:
        return frozenset(name.strip() for name in (self.admins or "").split(",") if name.strip())

    def generation(self) -> GenerationSettings:
        """The GenerationSettings of these settings."""
        return GenerationSettings(max_new_tokens=self.max_new_tokens, temperature=self.temperature,
                                  top_p=self.top_p, repetition_penalty=self.repetition_penalty)

    def render_options(self, dpi: float | None = None, newline: str | None = None) -> RenderOptions:
        """How these settings render documents; the page's DPI and newline controls override theirs."""
        return RenderOptions(dpi=self.dpi if dpi is None else dpi, newline=newline or self.newline, lang=self.lang,
                             config_path=self.render_config, engine=self.engine, fonts_dir=self.fonts_dir,
                             max_pages=self.max_pages)

    def limits(self) -> Limits:
        """The documents stage's Limits from these settings."""
        return Limits(max_upload_mb=self.max_upload_mb, max_pages=self.max_pages,
                      docx_max_unpacked_mb=self.docx_max_unpacked_mb, image_max_pixels=self.image_max_pixels,
                      figures=self.figures)

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
            shown = "" if default is None else f" (default: {_shown(default)})"
            if meta["kind"] is bool:
                parser.add_argument(flag, dest=name, default=None, action=argparse.BooleanOptionalAction,
                                    help=f"{meta['help']}{shown}; env {env}=1/0")
                continue
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
                raise ConfigError("settings.env_choice", env=env, raw=raw, choices=", ".join(meta["choices"]))
            try:
                values[f.name] = _parse_bool(raw) if meta["kind"] is bool else meta["kind"](raw)
            except ValueError:
                kind = meta["kind"]
                raise ConfigError("settings.env_not_int" if kind is int else (
                    "settings.env_not_float" if kind is float else "settings.env_not_bool"), env=env,
                    raw=raw) from None
        return cls(**values)


def parse_proxies(value: str | None) -> tuple:
    """--trusted-proxies: comma-separated addresses or networks (10.0.0.0/8); ConfigError when malformed."""
    networks = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError("settings.bad_proxy", item=item) from None
    return tuple(networks)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _shown(value: Any) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)
