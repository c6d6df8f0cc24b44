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

    limits = ("max_upload_mb", "max_pages", "docx_max_unpacked_mb", "image_max_pixels")

    extract = commands.add_parser(
        "extract", help="print the text the model will see",
        description="Read documents (PDF, DOCX, TXT/Markdown, PNG/JPEG/WebP) and print the text that goes to "
                    "the renderer; several files make one context, each headed by its file name. Pages passed "
                    "on as images (scans, pictures) and warnings are listed on stderr.")
    extract.add_argument("inputs", nargs="+", metavar="FILE", help="documents to read ('-' reads standard input)")
    extract.add_argument("--json", action="store_true",
                         help="print one JSON object: text, documents (name, type, sha256, characters, image "
                              "pages, warnings), image pages, warnings")
    extract.add_argument("--password", help="password of an encrypted PDF")
    Settings.add_arguments(extract, limits)
    extract.set_defaults(handler=_extract)

    render = commands.add_parser(
        "render", help="render documents into page images",
        description="Render documents into Glyph page images page_001.png, ... in --out, and print one JSON "
                    "line: pages, characters, page sizes, visual tokens per page, seconds, warnings. Text is "
                    "rendered; scanned PDF pages and pictures are passed on as page images. Old page_NNN.png "
                    "files in --out are replaced.")
    render.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="documents to render: PDF, DOCX, TXT/Markdown, images ('-' reads standard input)")
    render.add_argument("--out", required=True, metavar="DIR", help="folder for the page images")
    render.add_argument("--password", help="password of an encrypted PDF")
    Settings.add_arguments(render, ("render_config", "lang", "dpi", "newline", "engine", "fonts_dir", *limits))
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


def _extract(args: argparse.Namespace) -> int:
    settings = Settings.resolve(args)
    docs = _load_documents(args.inputs, settings, args.password)
    from glyph_web.documents import ImagePart, combine

    doc = combine(docs)
    image_pages = [p.label for p in doc.parts if isinstance(p, ImagePart)]
    if args.json:
        print(json.dumps({
            "text": doc.text,
            "characters": doc.characters,
            "documents": [{"name": d.name, "type": d.kind, "sha256": d.sha256, "characters": d.characters,
                           "image_pages": sum(isinstance(p, ImagePart) for p in d.parts), "warnings": d.warnings}
                          for d in docs],
            "image_pages": image_pages,
            "warnings": doc.warnings,
        }, ensure_ascii=False))
        return 0
    for label in image_pages:
        print(f"note: {label} is passed on as an image", file=sys.stderr)
    for warning in doc.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(doc.text if doc.text.endswith("\n") or not doc.text else doc.text + "\n")
    return 0


def _load_documents(inputs: list[str], settings: Settings, password: str | None):
    from glyph_web.documents import load_bytes, load_file

    limits = settings.limits()
    if inputs.count("-") > 1:
        raise GlyphError("Standard input ('-') can be given only once.")
    return [load_bytes(_read_stdin(limits.max_upload_bytes), "stdin", limits, password) if name == "-"
            else load_file(name, limits, password) for name in inputs]


def _render(args: argparse.Namespace) -> int:
    from glyph_web.documents import combine
    from glyph_web.render import RenderConfig, render_document

    settings = Settings.resolve(args)
    if args.render_config and args.lang:
        raise GlyphError("Give either --config or --lang, not both: a config file sets its own font.")
    doc = combine(_load_documents(args.inputs, settings, args.password))
    if settings.render_config:
        config = RenderConfig.from_file(settings.render_config)
    else:
        config = RenderConfig.for_text(doc.text, settings.lang)
    if settings.dpi is not None:
        config = config.replace(dpi=settings.dpi)
    if settings.newline is not None:
        config = config.replace(newline=settings.newline)
    fonts_dir = Path(settings.fonts_dir) if settings.fonts_dir else None
    result = render_document(doc, config, engine=settings.engine, fonts_dir=fonts_dir,
                             max_pages=settings.max_pages)
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


def _read_stdin(max_bytes: int) -> bytes:
    """Standard input, read no further than one byte past the upload limit (so the limit can refuse it)."""
    return sys.stdin.buffer.read(max_bytes + 1)
