"""The Gradio Blocks page: documents and their pages on the left, the conversation on the right.

Every string comes from the language catalogues (ui/text.py): the page starts in the browser's language
(Chinese for zh-*, else English) and switches with the language picker at the top, per session.

`build_ui(backend, settings, library)` builds it: the layout and the wiring of each event to a method of
PageHandlers (ui/handlers.py), which does the work from plain values and is tested without a browser. Queueing
and launching live in glyph_web.server. Per-user state is a Conversation (strings) in gr.State; page images stay
server-side in the Library. Handlers turn a GlyphError into a message in the page and never let an exception
reach the user as a traceback. No torch here.

Every handler is reachable over HTTP whatever the page shows, so each checks for itself (in ui/handlers.py):
file inputs must lie in Gradio's upload folder (never a path on the server), and server-wide switches (model
reload, 4-bit, the KV cache) need an administrator's login (--admins); others see them read-only.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from glyph_web.backends import Backend
from glyph_web.backends.gate import Admission
from glyph_web.chat import Conversation, Library
from glyph_web.settings import Settings
from glyph_web.ui.handlers import (PageHandlers, Sessions, _header, _newline_choices, example_name,
                                   load_examples)
from glyph_web.ui.text import DEFAULT_LANG, LANG_NAMES, LANGS, pick_lang, t

UPLOAD_TYPES = [".pdf", ".docx", ".txt", ".md", ".png", ".jpg", ".jpeg", ".webp"]
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
    when not given). The handlers are PageHandlers' methods (ui/handlers.py); here they are wired, each through a
    thin adapter where it needs the session id or the login name from Gradio's request."""
    library = library or Library(settings.limits(), cache_mb=settings.cache_mb)
    admission = admission or Admission(settings.gpu_concurrency, settings.queue_size)
    examples = load_examples()
    handlers = PageHandlers(backend, settings, library, admission, Sessions(), _exports_folder(), examples)

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
        status = gr.Markdown(lambda: handlers.status_text(DEFAULT_LANG), elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=380):
                with gr.Row(visible=bool(examples), elem_id="examples"):
                    examples_label = gr.Markdown(en("examples"))
                    example_buttons = {example_name(ex): gr.Button(ex["title"][DEFAULT_LANG], size="sm",
                                                                   elem_id=example_name(ex))
                                       for ex in examples}
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

        # the components relabel updates, by the names of its mapping (handlers.RELABELLED and the rest)
        named = dict(lang=lang, header=header, picker=picker, banner=banner, status=status, uploads=uploads,
                     pasted=pasted, render=render_btn, stats=stats, pages=pages, chat=chat, question=question,
                     send=send, stop=stop, clear=clear, download=download, settings=settings_box,
                     max_tokens=max_tokens, temperature=temperature, cache=cache_on, identifiers=assist, dpi=dpi,
                     newline=newline, four_bit=four_bit, reload_confirm=confirm_text, reload_yes=reload_yes,
                     reload_no=reload_no, compression=compression_box, examples=examples_label, evidence=evidence,
                     admin_note=admin_note, **example_buttons, compression_text=compression_text,
                     compression_plot=compression_plot)

        # --- language -------------------------------------------------------------------------------

        def relabel(code: str, conv: Conversation):
            return {named[name]: update for name, update in handlers.relabel(code, conv).items()}

        picker.change(relabel, [picker, conversation], [named[name] for name in handlers.relabelled()],
                      queue=False, show_progress="hidden")
        # the browser's language picks the first one; the picker then follows it (and the user)
        browser_lang.change(lambda tag: pick_lang(tag), [browser_lang], [picker], queue=False,
                            show_progress="hidden")
        demo.load(None, None, [browser_lang], js=_BROWSER_LANG_JS)

        # --- documents ------------------------------------------------------------------------------

        def prepare(files, text, dpi_value, newline_value, conv: Conversation, code: str,
                    progress=gr.Progress()):
            return handlers.prepare(files, text, dpi_value, newline_value, conv, code, progress)

        doc_inputs = [uploads, pasted, dpi, newline, conversation, lang]
        doc_outputs = [conversation, pages, stats, chat, compression_text, compression_plot]
        for example, button in zip(examples, example_buttons.values()):
            button.click(lambda d, n, c, code, ex=example: handlers.load_example(ex, d, n, c, code),
                         [dpi, newline, conversation, lang], [*doc_outputs, question, uploads],
                         concurrency_id="render", concurrency_limit=2)
        uploads.upload(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        render_btn.click(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        dpi.change(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)
        newline.change(prepare, doc_inputs, doc_outputs, concurrency_id="render", concurrency_limit=2)

        # --- asking ---------------------------------------------------------------------------------

        def ask(text, conv: Conversation, max_new, temp, assist_on, code: str, request: gr.Request):
            yield from handlers.ask(text, conv, max_new, temp, assist_on, code, _session(request))

        ask_inputs = [question, conversation, max_tokens, temperature, assist, lang]
        ask_outputs = [chat, conversation, question, download, evidence]
        # the admission gate limits answers; Gradio only keeps a worker for each of those it lets wait
        gpu = dict(concurrency_id="gpu", concurrency_limit=settings.gpu_concurrency + settings.queue_size)
        send.click(ask, ask_inputs, ask_outputs, **gpu)
        question.submit(ask, ask_inputs, ask_outputs, **gpu)

        def stop_answer(request: gr.Request):
            handlers.stop_answer(_session(request))

        stop.click(stop_answer, None, None, queue=False)
        clear.click(handlers.clear_chat, [conversation], [conversation, chat, download, evidence], queue=False)

        # --- settings and status: the login name decides who may switch what --------------------------

        def set_cache(on, code, request: gr.Request):
            return handlers.set_cache(on, code, _user(request))

        def ask_reload(on, code, request: gr.Request):
            return handlers.ask_reload(on, code, _user(request))

        def reload_model(on, code, request: gr.Request):
            return handlers.reload_model(on, code, _user(request))

        def admin_view(request: gr.Request):
            return handlers.admin_view(_user(request))

        cache_on.change(set_cache, [cache_on, lang], [cache_on], queue=False)
        four_bit.change(ask_reload, [four_bit, lang], [confirm_row], queue=False)
        demo.load(admin_view, None, [admin_note, cache_on, four_bit], queue=False, show_progress="hidden")

        reload_yes.click(reload_model, [four_bit, lang], [confirm_row, status], queue=False)
        reload_no.click(lambda: handlers.cancel_reload(), None, [confirm_row, four_bit], queue=False)

        refresh = handlers.refresh  # one function for both events, as Gradio counts them
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


def _session(request: gr.Request | None) -> str:
    """The browser session's id: Stop reaches the answer this session streams."""
    return getattr(request, "session_hash", None) or "default"


def _user(request: gr.Request | None) -> str | None:
    """The login name (None without a login): the admin checks look at it."""
    return getattr(request, "username", None)
