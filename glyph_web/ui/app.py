"""The Gradio Blocks page: documents and their pages on the left, the conversation on the right.

Every string comes from the language catalogues (ui/text.py): the page starts in the browser's language
(Chinese for zh-*, else English) and switches with the language picker at the top, per session.

`build_ui(backend, settings, library)` builds it; queueing and launching live in glyph_web.server. Per-user
state is a Conversation (strings) in gr.State; page images stay server-side in the Library. Handlers turn a
GlyphError into a message in the page and never let an exception reach the user as a traceback. No torch here.

Every handler is reachable over HTTP whatever the page shows, so each checks for itself: file inputs must lie
in Gradio's upload folder (never a path on the server), and server-wide switches (model reload, 4-bit, the KV
cache) need an administrator's login (--admins); others see them read-only.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from glyph_web.backends import Backend, GenerationSettings
from glyph_web.backends.gate import Admission, Busy
from glyph_web.chat import Conversation, Library, PreparedDocument, RenderOptions, Turn, stream_turn
from glyph_web.errors import GlyphError, say
from glyph_web.settings import Settings
from glyph_web.ui.text import DEFAULT_LANG, LANG_NAMES, LANGS, pick_lang, t

logger = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"
UPLOAD_TYPES = [".pdf", ".docx", ".txt", ".md", ".png", ".jpg", ".jpeg", ".webp"]
STREAM_INTERVAL_S = 0.05  # at most ~20 page updates a second while an answer streams
CSS = """
#app-header {padding: 6px 4px 0 4px}
#status {font-size: 0.9em; padding: 6px 10px; border-radius: 6px; background: var(--block-background-fill)}
#noise-banner {background: #fff4d6; color: #6b4b00; padding: 6px 10px; border-radius: 6px}
#doc-stats {font-size: 0.92em}
#chat {min-height: 520px}
#lang {max-width: 220px}
"""
# the browser's language, read once the page has loaded
_BROWSER_LANG_JS = "() => ((navigator.languages && navigator.languages[0]) || navigator.language || 'en')"


class _Sessions:
    """Stop events by browser session, so that Stop reaches the answer that session is streaming."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def new(self, session: str) -> threading.Event:
        with self._lock:
            event = self._events[session] = threading.Event()
            return event

    def stop(self, session: str) -> bool:
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True


class NotUploaded(Exception):
    """A file input that names a path outside Gradio's upload folder."""


def uploaded_paths(files) -> list[str]:
    """The paths of files the page uploaded; NotUploaded for any other path (resolved: no '..', no symlink out)."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    paths = []
    for item in files or []:
        name = item if isinstance(item, str) else getattr(item, "name", None) or getattr(item, "path", None)
        if not isinstance(name, str):
            raise NotUploaded(repr(item)[:200])
        path = Path(name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            logger.warning("refused a file input that was not uploaded: %s", name)
            raise NotUploaded(name)
        paths.append(str(path))
    return paths


EXPORTS_PREFIX = "glyph-web-exports-"


def _exports_folder() -> Path:
    """This process's folder for Markdown exports: removed at exit, and those of dead processes at start."""
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"{EXPORTS_PREFIX}*"):
        match = re.match(rf"{EXPORTS_PREFIX}(\d+)-", old.name)
        alive = bool(match) and _pid_alive(int(match.group(1)))
        stale = not match and time.time() - old.stat().st_mtime > 3600  # from versions without a pid
        if (match and not alive) or stale:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{EXPORTS_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def build_ui(backend: Backend, settings: Settings, library: Library | None = None,
             admission: Admission | None = None) -> gr.Blocks:
    """The page. `admission` is the one gate in front of the model, shared with the API (a page of its own
    when not given)."""
    library = library or Library(settings.limits(), cache_mb=settings.cache_mb)
    admission = admission or Admission(settings.gpu_concurrency, settings.queue_size)
    sessions = _Sessions()
    exports = _exports_folder()
    admins = settings.admin_names()

    def is_admin(request: gr.Request | None) -> bool:
        return bool(admins) and getattr(request, "username", None) in admins

    en = lambda key: t(DEFAULT_LANG, key)  # noqa: E731 - the first paint; the session's language follows

    with gr.Blocks(title=en("title"), fill_width=True, delete_cache=(3600, 3600 * 6)) as demo:
        conversation = gr.State(Conversation())
        lang = gr.State(DEFAULT_LANG)
        browser_lang = gr.Textbox(visible=False, elem_id="browser-lang")
        with gr.Row(elem_id="app-header", equal_height=False):
            header = gr.Markdown(_header(DEFAULT_LANG))
            picker = gr.Radio([(LANG_NAMES[code], code) for code in LANGS], value=DEFAULT_LANG,
                              label=en("language"), elem_id="lang", scale=0, min_width=200)
        banner = gr.Markdown(en("noise_banner"), elem_id="noise-banner", visible=False)
        status = gr.Markdown(lambda: _status_text(backend, DEFAULT_LANG), elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=380):
                examples = _load_examples()
                with gr.Row(visible=bool(examples), elem_id="examples"):
                    examples_label = gr.Markdown(en("examples"))
                    example_buttons = [gr.Button(ex["title"][DEFAULT_LANG], size="sm", elem_id=f"example-{ex['id']}")
                                       for ex in examples]
                uploads = gr.File(label=en("upload_label"), file_count="multiple", file_types=UPLOAD_TYPES,
                                  type="filepath", elem_id="doc-upload")
                pasted = gr.Textbox(label=en("paste_label"), placeholder=en("paste_placeholder"), lines=4,
                                    max_lines=12, elem_id="doc-text")
                render_btn = gr.Button(en("render_button"), variant="secondary", elem_id="render")
                stats = gr.Markdown(en("no_document"), elem_id="doc-stats")
                with gr.Accordion(en("compression_title"), open=False, elem_id="compression") as compression_box:
                    compression_text = gr.Markdown("", elem_id="compression-text")
                    compression_plot = gr.BarPlot(None, x="page", y="tokens", color="kind", height=220,
                                                  elem_id="compression-plot", show_label=False)
                pages = gr.Gallery(label=en("pages_label"), columns=3, height=520, object_fit="contain",
                                   allow_preview=True, elem_id="pages", interactive=False)
            with gr.Column(scale=6, min_width=420):
                chat = gr.Chatbot(label=en("chat_label"), elem_id="chat", height=560,
                                  placeholder=en("chat_placeholder"))
                question = gr.Textbox(label=en("question_label"), placeholder=en("question_placeholder"),
                                      lines=2, max_lines=6, elem_id="question", submit_btn=False)
                with gr.Row():
                    send = gr.Button(en("send"), variant="primary", elem_id="send")
                    stop = gr.Button(en("stop"), variant="stop", elem_id="stop")
                    clear = gr.Button(en("clear"), elem_id="clear")
                    download = gr.DownloadButton(en("download"), elem_id="download", visible=False)
                evidence = gr.Gallery(label=en("evidence_label"), columns=3, height=300, object_fit="contain",
                                      allow_preview=True, elem_id="evidence", interactive=False, visible=False)
                with gr.Accordion(en("settings"), open=False, elem_id="settings") as settings_box:
                    max_tokens = gr.Slider(16, 8192, value=min(settings.max_new_tokens, 8192), step=16,
                                           label=en("max_tokens"), elem_id="max-tokens")
                    temperature = gr.Slider(0.0, 1.5, value=settings.temperature, step=0.05,
                                            label=en("temperature"), elem_id="temperature")
                    admin_note = gr.Markdown(en("admin_only"), elem_id="admin-note")
                    cache_on = gr.Checkbox(value=settings.kv_cache, label=en("cache"), elem_id="cache",
                                           interactive=False)
                    assist = gr.Checkbox(value=settings.identifier_assist, label=en("identifiers"),
                                         elem_id="identifiers")
                    start_dpi = int(settings.dpi or 72)  # the official demo offers 72 and 96; keep a configured one
                    dpi = gr.Radio(sorted({72, 96, start_dpi}), value=start_dpi, label=en("dpi"), elem_id="dpi")
                    newline = gr.Radio(_newline_choices(DEFAULT_LANG), value=settings.newline or "br",
                                       label=en("newline"), elem_id="newline")
                    four_bit = gr.Checkbox(value=settings.load_in_4bit, label=en("four_bit"), elem_id="four-bit",
                                           interactive=False)
                    with gr.Row(visible=False) as confirm_row:
                        confirm_text = gr.Markdown(en("reload_confirm"))
                        reload_yes = gr.Button(en("reload_yes"), variant="primary", elem_id="reload-yes")
                        reload_no = gr.Button(en("reload_no"), elem_id="reload-no")

        # --- language -------------------------------------------------------------------------------

        def relabel(code: str, conv: Conversation):
            """Every labelled component in the session's language (and the texts that depend on it)."""
            code = code if code in LANGS else DEFAULT_LANG
            prepared = library.get(conv.doc_id)

            def tr(key):
                return t(code, key)

            return (code, gr.update(value=_header(code)), gr.update(label=tr("language")),
                    gr.update(value=tr("noise_banner")), _status_text(backend, code),
                    gr.update(label=tr("upload_label")),
                    gr.update(label=tr("paste_label"), placeholder=tr("paste_placeholder")),
                    gr.update(value=tr("render_button")),
                    _stats_text(prepared, code) if prepared else tr("no_document"),
                    gr.update(label=tr("pages_label"), value=_gallery(prepared, code) if prepared else None),
                    gr.update(label=tr("chat_label"), placeholder=tr("chat_placeholder"),
                              value=_messages(conv, code)),
                    gr.update(label=tr("question_label"), placeholder=tr("question_placeholder")),
                    gr.update(value=tr("send")), gr.update(value=tr("stop")), gr.update(value=tr("clear")),
                    gr.update(label=tr("download")), gr.update(label=tr("settings")),
                    gr.update(label=tr("max_tokens")), gr.update(label=tr("temperature")),
                    gr.update(label=tr("cache")), gr.update(label=tr("identifiers")), gr.update(label=tr("dpi")),
                    gr.update(label=tr("newline"), choices=_newline_choices(code)),
                    gr.update(label=tr("four_bit")), gr.update(value=tr("reload_confirm")),
                    gr.update(value=tr("reload_yes")), gr.update(value=tr("reload_no")),
                    gr.update(label=tr("compression_title")), gr.update(value=tr("examples")),
                    gr.update(label=tr("evidence_label")), gr.update(value=tr("admin_only")),
                    *(gr.update(value=ex["title"][code]) for ex in examples),
                    *(_compression(prepared, backend, code) if prepared else (gr.update(), gr.update())))

        relabelled = [lang, header, picker, banner, status, uploads, pasted, render_btn, stats, pages, chat,
                      question, send, stop, clear, download, settings_box, max_tokens, temperature, cache_on, assist,
                      dpi,
                      newline, four_bit, confirm_text, reload_yes, reload_no, compression_box, examples_label,
                      evidence, admin_note,
                      *example_buttons, compression_text, compression_plot]
        picker.change(relabel, [picker, conversation], relabelled, queue=False, show_progress="hidden")
        # the browser's language picks the first one; the picker then follows it (and the user)
        browser_lang.change(lambda tag: pick_lang(tag), [browser_lang], [picker], queue=False,
                            show_progress="hidden")
        demo.load(None, None, [browser_lang], js=_BROWSER_LANG_JS)

        # --- documents ------------------------------------------------------------------------------

        def prepare(files, text, dpi_value, newline_value, conv: Conversation, code: str,
                    progress=gr.Progress()):
            try:
                paths = uploaded_paths(files)
            except NotUploaded:
                gr.Warning(f"{t(code, 'doc_error')} {t(code, 'not_uploaded')}", title=t(code, "warning_title"))
                return (conv, gr.update(), f"**{t(code, 'doc_error')}** {t(code, 'not_uploaded')}", gr.update(),
                        gr.update(), gr.update())
            return read_documents(paths, text, dpi_value, newline_value, conv, code, progress)

        def read_documents(paths, text, dpi_value, newline_value, conv: Conversation, code: str,
                           progress=lambda *a, **k: None):
            if not paths and not (text or "").strip():
                return conv, gr.update(), t(code, "no_document"), gr.update(), gr.update(), gr.update()
            progress(0.1, desc=t(code, "progress_reading"))
            options = RenderOptions(dpi=float(dpi_value), newline=newline_value, lang=settings.lang,
                                    config_path=settings.render_config,
                                    engine=settings.engine, fonts_dir=settings.fonts_dir,
                                    max_pages=settings.max_pages)
            try:
                prepared = library.prepare(paths, text, options, backend.count_tokens)
            except GlyphError as exc:
                message = say(exc, code)
                gr.Warning(f"{t(code, 'doc_error')} {message}", title=t(code, "warning_title"))
                return (conv, gr.update(), f"**{t(code, 'doc_error')}** {message}", gr.update(), gr.update(),
                        gr.update())
            except Exception:  # a bug: say so plainly and keep the page alive
                logger.exception("preparing documents failed")
                gr.Warning(t(code, "internal_error"), title=t(code, "warning_title"))
                return conv, gr.update(), t(code, "internal_error"), gr.update(), gr.update(), gr.update()
            progress(1.0, desc=t(code, "progress_done"))
            for warning in prepared.pages.warnings:
                gr.Warning(say(warning, code), title=t(code, "warning_title"))
            panel, plot = _compression(prepared, backend, code)
            return (Conversation(doc_id=prepared.id), _gallery(prepared, code), _stats_text(prepared, code),
                    [] if conv.turns else gr.update(), panel, plot)

        doc_inputs = [uploads, pasted, dpi, newline, conversation, lang]
        doc_outputs = [conversation, pages, stats, chat, compression_text, compression_plot]

        def load_example(example: dict, dpi_value, newline_value, conv: Conversation, code: str):
            paths = [str(EXAMPLES_DIR / name) for name in example["files"]]
            if not all(Path(p).is_file() for p in paths):
                gr.Warning(t(code, "example_missing"), title=t(code, "warning_title"))
                return (conv, gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
                        gr.update())
            result = read_documents(paths, "", dpi_value, newline_value, conv, code)
            gr.Info(t(code, "example_loaded", title=example["title"][code]), title=example["title"][code])
            return (*result, example["question"][code], gr.update(value=None))

        for example, button in zip(examples, example_buttons):
            button.click(lambda d, n, c, code, ex=example: load_example(ex, d, n, c, code),
                         [dpi, newline, conversation, lang], [*doc_outputs, question, uploads],
                         concurrency_id="render", concurrency_limit=2)
        uploads.upload(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        render_btn.click(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        dpi.change(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        newline.change(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)

        # --- asking ---------------------------------------------------------------------------------

        def ask(text, conv: Conversation, max_new, temp, assist_on, code: str, request: gr.Request):
            text = (text or "").strip()
            prepared = library.get(conv.doc_id)
            if not text:
                gr.Warning(t(code, "empty_question"), title=t(code, "warning_title"))
                yield gr.update(), conv, gr.update(), gr.update(), gr.update()
                return
            if prepared is None:
                gr.Warning(t(code, "need_document"), title=t(code, "warning_title"))
                yield gr.update(), conv, gr.update(), gr.update(), gr.update()
                return
            stop_event = sessions.new(_session(request))
            try:  # the one gate: page users wait in the same queue as API clients, and count in /metrics
                admission.enter(stop_event)
            except Busy:  # the queue is full (or Stop was pressed while this one waited)
                if not stop_event.is_set():
                    gr.Warning(t(code, "busy"), title=t(code, "warning_title"))
                yield gr.update(), conv, gr.update(), gr.update(), gr.update()
                return
            try:
                yield from answer(text, conv, prepared, max_new, temp, assist_on, code, stop_event)
            finally:
                admission.leave()

        def answer(text, conv: Conversation, prepared: PreparedDocument, max_new, temp, assist_on, code: str,
                   stop_event: threading.Event):
            generation = GenerationSettings(max_new_tokens=int(max_new), temperature=float(temp),
                                            top_p=settings.top_p, repetition_penalty=settings.repetition_penalty)
            last = 0.0
            turn: Turn | None = None
            try:
                for turn in stream_turn(backend, prepared, conv, text, generation, stop_event,
                                        identifiers=bool(assist_on)):
                    now = time.monotonic()
                    if turn.status in ("streaming", "waiting") and now - last < STREAM_INTERVAL_S:
                        continue
                    last = now
                    yield _messages(conv, code), conv, "", gr.update(), gr.update()
            except Exception:  # a bug: keep what was answered, say so, keep the page alive
                logger.exception("answering failed")
                if turn is not None:
                    turn.status, turn.error = "error", t(code, "internal_error")
            if turn is not None and turn.status == "error":
                gr.Warning(f"{t(code, 'error')} {say(turn.error, code)}", title=t(code, "warning_title"))
            yield _messages(conv, code), conv, "", _export(conv, prepared, code), _evidence(prepared, turn, code)

        ask_inputs = [question, conversation, max_tokens, temperature, assist, lang]
        ask_outputs = [chat, conversation, question, download, evidence]
        # the admission gate limits answers; Gradio only keeps a worker for each of those it lets wait
        gpu = dict(concurrency_id="gpu", concurrency_limit=settings.gpu_concurrency + settings.queue_size)
        send.click(ask, ask_inputs, ask_outputs, **gpu)
        question.submit(ask, ask_inputs, ask_outputs, **gpu)

        def stop_answer(request: gr.Request):
            sessions.stop(_session(request))

        stop.click(stop_answer, None, None, queue=False)

        def clear_chat(conv: Conversation):
            return (Conversation(doc_id=conv.doc_id), [], gr.update(visible=False, value=None),
                    gr.update(visible=False, value=None))

        clear.click(clear_chat, [conversation], [conversation, chat, download, evidence], queue=False)

        def _export(conv: Conversation, prepared: PreparedDocument | None, code: str = DEFAULT_LANG):
            path = exports / f"conversation-{id(conv)}.md"
            words = (lambda key, **values: t(code, key, **values))  # noqa: E731 - the session's language
            path.write_text(conv.to_markdown(prepared, backend.state().model, words, code), encoding="utf-8")
            return gr.update(value=str(path), visible=True)

        # --- settings and status --------------------------------------------------------------------

        def refuse(what: str, code: str, request: gr.Request | None) -> None:
            logger.warning("refused %s to a page user who is not an admin (%s)", what,
                           getattr(request, "username", None) or "no login")
            gr.Warning(t(code, "not_admin"), title=t(code, "warning_title"))

        def set_cache(on, code, request: gr.Request):
            if not is_admin(request):
                refuse("switching the KV cache", code, request)
                return gr.update(value=_cache_enabled(backend, settings))
            backend.set_cache_enabled(bool(on))
            return gr.update()

        def ask_reload(on, code, request: gr.Request):
            if not is_admin(request):
                return gr.update(visible=False)
            return gr.update(visible=bool(on) != backend_4bit(backend))

        def reload_model(on, code, request: gr.Request):
            if not is_admin(request):
                refuse("a model reload", code, request)
                return gr.update(visible=False), _status_text(backend, code)
            logger.info("model reload (4-bit %s) asked by admin %s", bool(on), request.username)
            backend.reload(load_in_4bit=bool(on))
            return gr.update(visible=False), _status_text(backend, code)

        def admin_view(request: gr.Request):
            allowed = is_admin(request)
            return (gr.update(visible=not allowed), gr.update(interactive=allowed),
                    gr.update(interactive=allowed))

        cache_on.change(set_cache, [cache_on, lang], [cache_on], queue=False)
        four_bit.change(ask_reload, [four_bit, lang], [confirm_row], queue=False)
        demo.load(admin_view, None, [admin_note, cache_on, four_bit], queue=False, show_progress="hidden")

        reload_yes.click(reload_model, [four_bit, lang], [confirm_row, status], queue=False)
        reload_no.click(lambda: (gr.update(visible=False), gr.update(value=backend_4bit(backend))), None,
                        [confirm_row, four_bit], queue=False)

        def refresh(code):
            state = backend.state()
            return _status_text(backend, code, state), gr.update(visible=state.noise)

        gr.Timer(2.0).tick(refresh, [lang], [status, banner], queue=False, show_progress="hidden")
        demo.load(refresh, [lang], [status, banner], queue=False, show_progress="hidden")
    return demo


def mount_page(app, demo: gr.Blocks, settings: Settings, auth=None):
    """The page on `app` (a FastAPI app) at /, queued, with its login; returns the app to serve."""
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.gpu_concurrency)
    app = gr.mount_gradio_app(app, demo, path="/", max_file_size=int(settings.max_upload_mb * 2**20),
                              show_error=False, css=CSS, auth=auth)
    # Gradio checks that file inputs were uploaded (not server paths) only for Blocks it launched itself
    demo.has_launched = True
    return app


def _cache_enabled(backend: Backend, settings: Settings) -> bool:
    manager = getattr(backend, "manager", None)
    return bool(getattr(manager, "cache_enabled", settings.kv_cache))


def backend_4bit(backend: Backend) -> bool:
    return "4-bit" in (backend.state().precision or "") or bool(getattr(getattr(backend, "manager", None),
                                                                          "load_in_4bit", False))


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "default"


def _evidence(prepared: PreparedDocument | None, turn: Turn | None, lang: str):
    """The pages the answer's quotes, figures and names stand on, highlighted; hidden when there are none."""
    if prepared is None or turn is None or turn.status not in ("done", "stopped") or not turn.answer.strip():
        return gr.update(visible=False, value=None)
    try:
        from glyph_web.chat.evidence import highlight

        found = prepared.evidence(turn.answer)
    except Exception:  # evidence is a help, never a reason to lose the answer
        logger.exception("finding the evidence failed")
        return gr.update(visible=False, value=None)
    if not found:
        return gr.update(visible=False, value=None)
    items = [(highlight(prepared.pages.images[e.page - 1], e.boxes),
              t(lang, "evidence_caption", page=e.page, passage=e.passage[:80])) for e in found]
    return gr.update(visible=True, value=items)


def _load_examples() -> list[dict]:
    """assets/examples/examples.json, or [] where this installation has no examples."""
    import json

    try:
        return json.loads((EXAMPLES_DIR / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def _header(lang: str) -> str:
    return f"## {t(lang, 'title')}\n{t(lang, 'subtitle')}"


def _newline_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "newline_br"), "br"), (t(lang, "newline_marker"), "marker")]


def _gallery(prepared: PreparedDocument, lang: str) -> list:
    return [(img, t(lang, "page_caption", n=n)) for n, img in enumerate(prepared.pages.images, 1)]


def _stats_text(prepared: PreparedDocument, lang: str) -> str:
    s = prepared.summary()
    parts = [t(lang, "stats", name=s["name"], pages=s["pages"], chars=s["characters"], visual=s["visual_tokens"],
               dpi=f"{s['dpi']:g}")]
    if s["text_tokens"]:
        parts.append(t(lang, "stats_compression", text=s["text_tokens"], ratio=s["compression"]))
    else:
        parts.append(t(lang, "stats_no_tokenizer"))
    return "  \n".join(parts)


def _compression(prepared: PreparedDocument, backend: Backend, lang: str):
    """The compression panel: a table per page and in total, the KV-cache comparison, and the chart's data."""
    import pandas as pd

    from glyph_web.chat.compression import compression, human_bytes, kv_bytes

    c = compression(prepared.pages.page_texts, prepared.pages.visual_tokens, backend.count_tokens)
    dash = "–"
    lines = [f"| {t(lang, 'compression_table_page')} | {t(lang, 'compression_table_chars')} | "
             f"{t(lang, 'compression_table_text')} | {t(lang, 'compression_table_visual')} |", "|---:|---:|---:|---:|"]
    for row in c.rows:
        lines.append(f"| {row.page} | {dash if row.characters is None else f'{row.characters:,}'} | "
                     f"{dash if row.text_tokens is None else f'{row.text_tokens:,}'} | {row.visual_tokens:,} |")
    lines.append(f"| **{t(lang, 'compression_total')}** | **{c.characters:,}** | **{c.text_tokens:,}** | "
                 f"**{c.visual_tokens:,}** |")
    parts = ["\n".join(lines)]
    if c.estimated:
        parts.append(t(lang, "compression_estimate"))
    geometry = getattr(backend, "kv_geometry", lambda: None)()
    if geometry and c.text_tokens:
        parts.append(t(lang, "compression_kv", text_gb=human_bytes(kv_bytes(c.text_tokens, geometry)),
                       visual_gb=human_bytes(kv_bytes(c.visual_tokens, geometry)), **geometry))
    else:
        parts.append(t(lang, "compression_kv_unknown"))
    text_kind, visual_kind = t(lang, "compression_table_text"), t(lang, "compression_table_visual")
    data = pd.DataFrame(
        [{"page": str(r.page), "kind": text_kind, "tokens": r.text_tokens or 0} for r in c.rows]
        + [{"page": str(r.page), "kind": visual_kind, "tokens": r.visual_tokens} for r in c.rows])
    return "\n\n".join(parts), data


def _status_text(backend: Backend, lang: str, state=None) -> str:
    state = state or backend.state()
    name = state.model or "?"
    if state.status == "ready":
        memory = f" · {t(lang, 'memory')} {state.memory_gb:.1f} GB" if state.memory_gb is not None else ""
        return t(lang, "status_ready", model=name, device=state.device, precision=state.precision) + memory
    if state.status == "loading":
        pct = f" {state.progress:.0%}" if state.progress is not None else ""
        return t(lang, "status_loading", model=name, step=say(state.detail or "", lang), pct=pct)
    if state.status == "failed":
        return t(lang, "status_failed", model=name, reason=say(state.detail, lang))
    return t(lang, "status_not_loaded", model=name)


def _messages(conv: Conversation, lang: str) -> list[dict]:
    out: list[dict] = []
    for turn in conv.turns:
        out.append({"role": "user", "content": turn.question})
        streaming = turn.status in ("waiting", "streaming")
        if turn.thinking:
            out.append({"role": "assistant", "content": turn.thinking,
                        "metadata": {"title": t(lang, "thinking"), "status": "pending" if streaming else "done"}})
        answer = turn.answer
        if turn.status == "waiting":
            answer = t(lang, "waiting")
        if turn.status == "stopped":
            answer += f"\n\n*{t(lang, 'stopped')}*"
        if turn.status == "error":
            answer += f"\n\n**{t(lang, 'error')}** {say(turn.error, lang)}"
        out.append({"role": "assistant", "content": answer or "…"})
    return out
