"""Command line: `python -m glyph_web extract | render | ask | make-tiny-model`.

Errors meant for a person (GlyphError, bad flags, unreadable files) print one line on stderr and exit 2, with no
traceback. The documents' refusals name no flag (the page and the API show the same messages), so the CLI adds
the flags that help (--password, --pages, --max-pages) on the same line. Anything else is a bug: one line too,
exit 1, and the traceback when GLYPH_DEBUG=1.

`ask --interactive`: Ctrl-C while an answer streams stops that answer (a second Ctrl-C gives up waiting for the
backend to stop) and returns to the prompt, keeping the documents and the conversation; Ctrl-C or Ctrl-D (end of
input) or an empty line at the prompt ends the session.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path

from glyph_web import __version__
from glyph_web.errors import GlyphError, Message
from glyph_web.settings import Settings

EXIT_USAGE = 2
PAGES_HELP = ("read only these pages of PDFs: 1-40, 3,5-9 or 10- (page 10 to the end); a picture is page 1; Word "
              "and text files are read whole")
_PAGE_FILE = re.compile(r"^page_\d{3,}\.png$")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (no usage block) and exit 2."""

    def error(self, message: str) -> None:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="glyph-web", description="Ask questions about long documents with Glyph.")
    parser.add_argument("--version", action="version", version=f"glyph-web {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    limits = ("max_upload_mb", "max_pages", "docx_max_unpacked_mb", "image_max_pixels", "figures")
    rendering = ("render_config", "lang", "dpi", "newline", "engine", "fonts_dir", *limits)
    answering = ("model", "load_in_4bit", "device", "max_new_tokens", "temperature", "top_p", "repetition_penalty",
                 "kv_cache", "kv_cache_gb", "identifier_assist")

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
    extract.add_argument("--pages", metavar="RANGE", help=PAGES_HELP)
    Settings.add_arguments(extract, limits)
    extract.set_defaults(handler=_extract)

    render = commands.add_parser(
        "render", help="render documents into page images",
        description="Render documents into Glyph page images page_001.png, ... in --out, and print one JSON "
                    "line: pages, characters, page sizes, visual tokens per page, seconds, warnings. Text is "
                    "rendered; scanned PDF pages and pictures are passed on as page images. Pages are written "
                    "as they are drawn, by worker processes beside the layout, so memory stays flat for any "
                    "length. Old page_NNN.png files in --out are replaced once every new page is written: "
                    "a failure leaves --out as it was.")
    render.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="documents to render: PDF, DOCX, TXT/Markdown, images ('-' reads standard input)")
    render.add_argument("--out", required=True, metavar="DIR", help="folder for the page images")
    render.add_argument("--password", help="password of an encrypted PDF")
    render.add_argument("--pages", metavar="RANGE", help=PAGES_HELP)
    Settings.add_arguments(render, rendering)
    render.set_defaults(handler=_render)

    ask = commands.add_parser(
        "ask", help="ask a question about documents and stream the answer",
        description="Render the documents, load the model, ask QUESTION and stream the answer to stdout "
                    "(thinking and notes go to stderr). With --interactive, further questions are read from "
                    "stdin, one per line, reusing what the model has already read: Ctrl-C stops an answer and "
                    "returns to the prompt; Ctrl-C, Ctrl-D or an empty line at the prompt ends the session.")
    ask.add_argument("inputs", nargs="+", metavar="FILE", help="documents: PDF, DOCX, TXT/Markdown, images")
    ask.add_argument("question", metavar="QUESTION", help="the question (quote it)")
    ask.add_argument("--interactive", action="store_true", help="keep the documents and read more questions from stdin")
    ask.add_argument("--password", help="password of an encrypted PDF")
    ask.add_argument("--pages", metavar="RANGE", help=PAGES_HELP)
    Settings.add_arguments(ask, (*answering, "backend", "api_base", "api_model", "backend_api_key", *rendering))
    ask.set_defaults(handler=_ask)

    serve = commands.add_parser(
        "serve", help="run the web app (the default command)",
        description="Run the web app: upload documents, see their pages, and chat about them. The model loads "
                    "in the background; the page opens at once and its status line shows the progress. "
                    "GET /healthz answers while the process runs, GET /readyz once the model is ready.")
    Settings.add_arguments(serve, ("host", "port", "share", *answering, "gpu_concurrency", "queue_size", "log_dir",
                                   "backend", "api_base", "api_model", "backend_api_key", "auth", "api_key",
                                   "rate_limit", "admins", "trusted_proxies", "request_max_megapixels", "cache_mb",
                                   *rendering))
    serve.set_defaults(handler=_serve)

    tiny = commands.add_parser(
        "make-tiny-model", help="write a tiny random-weight GLM-4.1V checkpoint (for tests and smoke demos)",
        description="Write a tiny random-weight checkpoint of the real GLM-4.1V architecture into DIR: it loads "
                    "and runs like zai-org/Glyph, on a CPU, but its answers are noise.")
    tiny.add_argument("folder", metavar="DIR", help="folder to write (created when missing)")
    tiny.add_argument("--seed", type=int, default=0, help="random seed of the weights (default: 0)")
    tiny.add_argument("--chat-template", metavar="FILE",
                      help="a Jinja chat template to ship instead of the tiny model's own (e.g. a GLM-V family "
                           "template, to try the prompts a real checkpoint gets)")
    tiny.set_defaults(handler=_make_tiny)
    return parser


COMMANDS = ("extract", "render", "ask", "serve", "make-tiny-model")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")  # `python -m glyph_web [--port N ...]` runs the app
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except GlyphError as exc:
        hint = _hint(exc)
        print(f"error: {exc}{f' {hint}' if hint else ''}", file=sys.stderr)
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


def _hint(exc: GlyphError) -> Message | None:
    """What the CLI's flags can do about a refusal whose message names no flag (said after it, on its line)."""
    if exc.key == "documents.pdf_password":
        return Message("cli.hint_password")
    if exc.key in ("documents.pdf_text_limit_one", "documents.pdf_text_limit_many", "documents.pdf_scans_limit",
                   "documents.image_pages_limit", "documents.image_pages_over",
                   "documents.image_pages_over_at_least"):
        return Message("cli.hint_pages")
    if exc.key == "documents.pdf_too_many_pages":
        return Message("cli.hint_max_pages")
    if exc.key in ("render.page_limit", "render.page_limit_estimated"):  # (their message names --max-pages)
        return Message("cli.hint_pages_render")
    return None


def _extract(args: argparse.Namespace) -> int:
    settings = Settings.resolve(args)
    docs = _load_documents(args.inputs, settings, args.password, args.pages)
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


def _load_documents(inputs: list[str], settings: Settings, password: str | None, pages: str | None):
    from glyph_web.documents import load_bytes, load_file, parse_pages

    limits = settings.limits()
    if inputs.count("-") > 1:
        raise GlyphError("cli.stdin_twice")
    chosen = parse_pages(pages)  # a bad range is refused before anything is read
    return [load_bytes(_read_stdin(limits.max_upload_bytes), "stdin", limits, password, chosen) if name == "-"
            else load_file(name, limits, password, chosen) for name in inputs]


def _render(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from glyph_web.render.pool import PagePool

    settings = Settings.resolve(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GlyphError("cli.out_is_file", out=out)
    # the drawing processes start before this one loads numpy, Pillow and FreeType (which it then never
    # needs): they load them while it reads the documents and lays out the pages
    with PagePool.start() as pool:
        from glyph_web.render.writer import write_document

        doc, config, fonts_dir = _render_inputs(args, settings)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            # pages go to a staging folder beside --out as they are drawn (memory stays flat however long the
            # document), and replace the old pages only once all are written: a failure loses nothing
            staging = Path(tempfile.mkdtemp(prefix=".glyph-render-", dir=out.parent))
        except OSError as exc:
            raise GlyphError("cli.out_unwritable", out=out, error=exc.strerror or str(exc)) from None
        try:
            result = write_document(doc, staging, config, engine=settings.engine, fonts_dir=fonts_dir,
                                    max_pages=settings.max_pages, pool=pool)
            out.mkdir(exist_ok=True)
            for old in out.iterdir():
                if _PAGE_FILE.match(old.name):
                    old.unlink()
            result.files = [Path(shutil.move(str(page), str(out / page.name))) for page in result.files]
        except OSError as exc:
            raise GlyphError("cli.out_unwritable", out=out, error=exc.strerror or str(exc)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps({**result.summary(), "out": str(out)}, ensure_ascii=False))
    return 0


def _render_inputs(args: argparse.Namespace, settings: Settings):
    """The combined document of the inputs, its render config and the fonts folder (render and ask)."""
    from glyph_web.documents import combine
    from glyph_web.render.config import RenderConfig

    if settings.render_config and args.lang:
        raise GlyphError("cli.config_and_lang")
    doc = combine(_load_documents(args.inputs, settings, args.password, args.pages))
    config = RenderConfig.for_options(doc.text, settings.render_options())
    fonts_dir = Path(settings.fonts_dir) if settings.fonts_dir else None
    return doc, config, fonts_dir


def _render_for(args: argparse.Namespace, settings: Settings):
    """The combined document of the inputs and its rendered pages, kept in memory (ask)."""
    from glyph_web.render import render_document

    doc, config, fonts_dir = _render_inputs(args, settings)
    result = render_document(doc, config, engine=settings.engine, fonts_dir=fonts_dir, max_pages=settings.max_pages)
    return doc, result


def _ask(args: argparse.Namespace) -> int:
    from glyph_web.backends import make_backend, wait_ready
    from glyph_web.chat import Conversation, PreparedDocument, stream_turn

    settings = Settings.resolve(args)
    doc, pages = _render_for(args, settings)
    for warning in pages.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    count = len(pages.images)
    print(f"note: {count} page{'' if count == 1 else 's'}, {sum(pages.visual_tokens)} visual tokens; loading "
          f"{settings.model if settings.backend == 'local' else settings.api_base}", file=sys.stderr)
    backend = make_backend(settings)  # the same backends and request building as the page and the API
    state = wait_ready(backend, timeout_s=600 if settings.backend == "local" else 30)
    if not state.ready:
        raise (GlyphError("cli.model_failed", detail=state.detail) if state.detail
               else GlyphError("cli.model_not_ready", status=state.status))
    if state.noise:
        print("note: this is the tiny random-weight model: its answers are noise.", file=sys.stderr)
    prepared = PreparedDocument(id="cli", doc=doc, pages=pages, key=f"{doc.sha256}:{pages.config.cache_key()}")
    conversation = Conversation(doc_id=prepared.id)
    generation = settings.generation()
    question = args.question
    while True:
        stop = threading.Event()
        turn = None
        shown = {"answer": 0, "thinking": 0, "asked": False}
        turns = stream_turn(backend, prepared, conversation, question, generation, stop,
                            identifiers=settings.identifier_assist)
        try:
            with _interrupt_stops(stop) if args.interactive else contextlib.nullcontext():
                for turn in turns:
                    if turn.asked and not shown["asked"]:
                        shown["asked"] = True
                        print("note: exact identifiers from the text go with the question", file=sys.stderr)
                    for field, out in (("thinking", sys.stderr), ("answer", sys.stdout)):  # print what is new
                        text = getattr(turn, field)
                        if len(text) > shown[field]:
                            out.write(text[shown[field]:])
                            out.flush()
                            shown[field] = len(text)
        except KeyboardInterrupt:
            stop.set()
            if not args.interactive:
                print("\ninterrupted", file=sys.stderr)
                return 130
            if turn is not None and turn.status in ("waiting", "streaming"):  # keep what came, as a stop would
                turn.status, turn.raw = "stopped", turn.answer
        finally:
            turns.close()  # a stream left early lets go of its backend (the engine stops, a connection closes)
        sys.stdout.write("\n")
        sys.stdout.flush()
        if turn is not None and turn.status == "error":
            raise GlyphError("cli.answer_failed", error=turn.error)
        if stop.is_set():
            print("(stopped)", file=sys.stderr)
        usage = turn.usage if turn is not None else None
        if usage:
            rate = (usage["completion_tokens"] - 1) / (usage["total_s"] - usage["ttft_s"]) if (
                usage["ttft_s"] is not None and usage["completion_tokens"] > 1 and usage["total_s"] > usage["ttft_s"]
            ) else None
            ttft = f"{usage['ttft_s']:.2f} s" if usage["ttft_s"] is not None else "none"
            print(f"note: {usage['completion_tokens']} tokens ({usage['finish_reason']}), first token after "
                  f"{ttft}{f', {rate:.1f} tokens/s' if rate else ''}; {usage['prompt_tokens']} prompt "
                  f"tokens, {usage['cached_tokens']} from the cache", file=sys.stderr)
        if not args.interactive:
            return 0
        try:
            sys.stderr.write("> ")
            sys.stderr.flush()
            line = sys.stdin.readline()
        except KeyboardInterrupt:  # Ctrl-C at the prompt ends the session, as Ctrl-D does
            sys.stderr.write("\n")
            return 0
        if not line.strip():
            if not line:  # Ctrl-D: end the prompt's line
                sys.stderr.write("\n")
            return 0
        question = line.strip()


@contextlib.contextmanager
def _interrupt_stops(stop: threading.Event):
    """While an answer streams, Ctrl-C sets `stop` (the backend then ends the answer as cancelled) instead of
    raising; a second Ctrl-C raises KeyboardInterrupt, for a backend that does not stop by itself."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def interrupted(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _serve(args: argparse.Namespace) -> int:
    from glyph_web.server import serve

    return serve(Settings.resolve(args))


def _make_tiny(args: argparse.Namespace) -> int:
    from glyph_web.engine.tiny import make_tiny_model

    template = None
    if args.chat_template:
        try:
            template = Path(args.chat_template).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GlyphError("cli.chat_template_unreadable", path=args.chat_template,
                             error=exc.strerror or str(exc)) from None
    folder = make_tiny_model(args.folder, seed=args.seed, chat_template=template)
    print(json.dumps({"folder": str(folder), "noise": True}))
    return 0


def _read_stdin(max_bytes: int) -> bytes:
    """Standard input, read no further than one byte past the upload limit (so the limit can refuse it)."""
    return sys.stdin.buffer.read(max_bytes + 1)
