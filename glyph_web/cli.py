"""Command line: `python -m glyph_web render ...` (more commands arrive with later stages).

Errors meant for a person (GlyphError, bad flags, unreadable files) print one line on stderr and exit 2, with no
traceback. Anything else is a bug: one line too, exit 1, and the traceback when GLYPH_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

from glyph_web import __version__
from glyph_web.errors import GlyphError
from glyph_web.settings import Settings

EXIT_USAGE = 2
_PAGE_FILE = re.compile(r"^page_\d{3,}\.png$")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (no usage block) and exit 2."""

    def error(self, message: str) -> None:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="glyph-web", description="Ask questions about long documents with Glyph.")
    parser.add_argument("--version", action="version", version=f"glyph-web {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    render = commands.add_parser(
        "render", help="render a text file into page images",
        description="Render a UTF-8 text file into Glyph page images page_001.png, ... in --out, and print "
                    "one JSON line: pages, characters, page sizes, visual tokens per page, seconds, warnings. "
                    "Old page_NNN.png files in --out are replaced.")
    render.add_argument("input", metavar="INPUT", help="text file to render ('-' reads standard input)")
    render.add_argument("--out", required=True, metavar="DIR", help="folder for the page images")
    Settings.add_arguments(render, ("render_config", "lang", "dpi", "newline", "engine", "fonts_dir"))
    render.set_defaults(handler=_render)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except GlyphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so in one line
        if os.environ.get("GLYPH_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set GLYPH_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


def _render(args: argparse.Namespace) -> int:
    from glyph_web.render import RenderConfig, render_text

    settings = Settings.resolve(args)
    if args.render_config and args.lang:
        raise GlyphError("Give either --config or --lang, not both: a config file sets its own font.")
    text = _read_text(args.input)
    if settings.render_config:
        config = RenderConfig.from_file(settings.render_config)
    else:
        config = RenderConfig.for_text(text, settings.lang)
    if settings.dpi is not None:
        config = config.replace(dpi=settings.dpi)
    if settings.newline is not None:
        config = config.replace(newline=settings.newline)
    fonts_dir = Path(settings.fonts_dir) if settings.fonts_dir else None
    result = render_text(text, config, engine=settings.engine, fonts_dir=fonts_dir)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for old in out.iterdir():
            if _PAGE_FILE.match(old.name):
                old.unlink()
        result.save(out)
    except OSError as exc:
        raise GlyphError(f"Cannot write the pages to {out}: {exc.strerror or exc}.") from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps({**result.summary(), "out": str(out)}, ensure_ascii=False))
    return 0


def _read_text(name: str) -> str:
    """The text of a UTF-8 file (a BOM is dropped), or stdin for '-'."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise GlyphError(f"{name} does not exist.") from None
    except IsADirectoryError:
        raise GlyphError(f"{name} is a folder; give a text file.") from None
    except OSError as exc:
        raise GlyphError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GlyphError(f"{name} is not UTF-8 text (undecodable byte at offset {exc.start}); save it as "
                         f"UTF-8 and try again.") from None
