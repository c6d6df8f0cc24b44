"""The Gradio Blocks page: documents and their pages on the left, the conversation on the right.

Every string comes from the language catalogues (ui/text.py): the page starts in the browser's language
(Chinese for zh-*, else English) and switches with the language picker at the top, per session. Gradio's own
strings (its upload box, its toasts' buttons) follow the browser's language only: Gradio 6 has Chinese for them
but no way for the page to switch them.

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
from glyph_web.chat import Library
from glyph_web.chat.conversation import Conversations
from glyph_web.settings import Settings
from glyph_web.ui.handlers import (MAX_PAGE_RANGE, MAX_PASSWORD, TINY_MAX_NEW_TOKENS, PageHandlers, Sessions,
                                   _header, _newline_choices, example_name, load_examples)
from glyph_web.ui.gallery import pid_alive
from glyph_web.ui.text import DEFAULT_LANG, LANG_NAMES, LANGS, pick_lang, t

# Not passed to gr.File as file_types: Gradio would refuse other files itself with a generic "Invalid file type";
# the documents stage recognises files by their bytes and refuses the others with a sentence saying what to do.
UPLOAD_TYPES = [".pdf", ".docx", ".txt", ".md", ".png", ".jpg", ".jpeg", ".webp"]
# Gradio's own size cap on uploads, as a multiple of --max-upload-mb: files up to the limit are read, files a little
# over it reach the documents stage and are refused in the page's words; only far larger ones meet Gradio's cap
# (and its message), which keeps a client from filling the disk.
UPLOAD_CAP_FACTOR = 2

CSS = """
#app-header {padding: 0 4px; align-items: center; gap: 8px}
#app-header h2 {margin: 0; font-size: 1.4em; overflow-wrap: normal; word-break: keep-all}
#app-header p {margin: 0; font-size: 0.9em}
#lang {padding: 2px 8px}
#lang .wrap {gap: 4px}
#lang label {padding: 2px 8px}
#status {font-size: 0.88em; padding: 2px 10px; border-radius: 6px; background: var(--block-background-fill)}
#noise-banner {background: #fff4d6; color: #6b4b00; padding: 2px 10px; border-radius: 6px; font-size: 0.9em}
#doc-stats {font-size: 0.92em}
#lang {max-width: 220px}
/* the examples: their label on a line of its own above the buttons, which wrap */
#examples {gap: 4px}
#example-buttons {flex-wrap: wrap; gap: 6px}
#example-buttons > button {flex: 0 1 auto; min-width: 0; width: auto}
/* no word cut in the middle: labels wrap between words */
button, #app-header, #examples-label {overflow-wrap: normal; word-break: normal; hyphens: manual}
button {word-break: keep-all}
#question-hint {font-size: 0.8em; opacity: 0.75; margin-top: -6px}
#question-hint p {margin: 0}
#answer-buttons, #turn-buttons {flex-wrap: wrap; gap: 6px}
#turn-buttons > button, #turn-buttons > a, #turn-buttons > div {flex: 0 1 auto; min-width: 0; width: auto}
#download {white-space: nowrap}
/* toasts at the bottom left: never over the conversation on the right, nor over a short page's answer */
.toast-wrap {top: auto !important; bottom: var(--size-4); left: var(--size-3) !important; right: auto !important;
             align-items: flex-start !important}
/* a phone: the documents' controls first, then the conversation, then the compression and the pages */
@media (max-width: 768px) {
  #app-header {flex-direction: column; align-items: stretch}
  #lang {max-width: none}
  #main {flex-direction: column}
  #doc-col {display: contents}
  #chat-col {order: 1; width: 100%}
  #compression, #pages {order: 2; width: 100%}
  #pages {max-height: 60vh}
}
"""
# Rules for what lies outside Gradio's `.contain` (Gradio scopes CSS to it): the page's side margins on a phone
HEAD = """<style>
@media (max-width: 768px) {
  .gradio-container .main.fillable {padding-left: 10px !important; padding-right: 10px !important}
}
</style>"""
# the browser's language, read once the page has loaded
_BROWSER_LANG_JS = "() => ((navigator.languages && navigator.languages[0]) || navigator.language || 'en')"


EXPORTS_PREFIX = "glyph-web-exports-"


def _exports_folder() -> Path:
    """This process's folder for Markdown exports: removed at exit, and those of dead processes at start."""
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"{EXPORTS_PREFIX}*"):
        match = re.match(rf"{EXPORTS_PREFIX}(\d+)-", old.name)
        alive = bool(match) and pid_alive(int(match.group(1)))
        stale = not match and time.time() - old.stat().st_mtime > 3600  # from versions without a pid
        if (match and not alive) or stale:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{EXPORTS_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def upload_cap(settings: Settings) -> int:
    """Gradio's hard cap on an uploaded file, in bytes (see UPLOAD_CAP_FACTOR)."""
    return int(settings.max_upload_mb * UPLOAD_CAP_FACTOR * 2**20)


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
    max_new = handlers.max_tokens_default()

    with gr.Blocks(title=en("title"), fill_width=True, delete_cache=(3600, 3600 * 6)) as demo:
        conversations = gr.State(Conversations())  # changed in place by the handlers, never replaced
        lang = gr.State(DEFAULT_LANG)
        reading = gr.State({})  # the password and page range the documents were last read with
        short_set = gr.State(max_new == TINY_MAX_NEW_TOKENS)  # the tiny model's short answers set in the slider
        browser_lang = gr.Textbox(visible=False, elem_id="browser-lang")
        # the question of an API client's `ask`; the page's questions go in through `submit`, so it stays empty
        api_question = gr.Textbox(visible=False, elem_id="api-question")
        with gr.Row(elem_id="app-header", equal_height=False):
            header = gr.Markdown(_header(DEFAULT_LANG), elem_id="app-title")
            picker = gr.Radio([(LANG_NAMES[code], code) for code in LANGS], value=DEFAULT_LANG,
                              label=en("language"), elem_id="lang", scale=0, min_width=200)
        banner = gr.Markdown(handlers.banner_text(DEFAULT_LANG), elem_id="noise-banner", visible=False)
        status = gr.Markdown(lambda: handlers.status_text(DEFAULT_LANG), elem_id="status")
        with gr.Row(equal_height=False, elem_id="main"):
            with gr.Column(scale=5, min_width=340, elem_id="doc-col"):
                with gr.Column(visible=bool(examples), elem_id="examples"):
                    examples_label = gr.Markdown(en("examples"), elem_id="examples-label")
                    with gr.Row(elem_id="example-buttons"):
                        example_buttons = {example_name(ex): gr.Button(ex["title"][DEFAULT_LANG], size="sm",
                                                                       elem_id=example_name(ex), scale=0,
                                                                       min_width=0)
                                           for ex in examples}
                uploads = gr.File(label=en("upload_label"), file_count="multiple", type="filepath",
                                  elem_id="doc-upload", height=150)
                with gr.Row(visible=False, elem_id="doc-fields", equal_height=True) as doc_fields:
                    password = gr.Textbox(label=en("password_label"), placeholder=en("password_placeholder"),
                                          type="password", visible=False, elem_id="doc-password",
                                          max_length=MAX_PASSWORD, scale=3)
                    page_range = gr.Textbox(label=en("page_range_label"), placeholder=en("page_range_placeholder"),
                                            visible=False, elem_id="page-range", max_length=MAX_PAGE_RANGE,
                                            scale=3)
                    reread_btn = gr.Button(en("reread"), elem_id="reread", scale=1, min_width=0)
                pasted = gr.Textbox(label=en("paste_label"), placeholder=en("paste_placeholder"), lines=3,
                                    max_lines=12, elem_id="doc-text")
                render_btn = gr.Button(en("render_button"), variant="secondary", elem_id="render")
                stats = gr.Markdown(en("no_document"), elem_id="doc-stats")
                with gr.Accordion(en("compression_title"), open=False, elem_id="compression") as compression_box:
                    compression_text = gr.Markdown("", elem_id="compression-text")
                    # pages in numeric order (the labels are zero-padded), text and visual side by side
                    compression_plot = gr.BarPlot(None, x="page", y="tokens", color="kind", sort="x",
                                                  x_label_angle=-45, height=220, elem_id="compression-plot",
                                                  show_label=False)
                pages = gr.Gallery(label=en("pages_label"), columns=3, height=520, object_fit="contain",
                                   allow_preview=True, elem_id="pages", interactive=False)
            with gr.Column(scale=6, min_width=380, elem_id="chat-col"):
                # as tall as the window allows, leaving room for the header, the question and the buttons
                chat = gr.Chatbot(label=en("chat_label"), elem_id="chat",
                                  height="clamp(280px, calc(100dvh - 420px), 760px)",
                                  placeholder=en("chat_placeholder"), buttons=["copy", "copy_all"])
                # one line that grows: Enter sends, Shift+Enter starts a new line (Gradio submits a one-line box on
                # Enter and leaves Shift+Enter to the browser; a box of several lines it would submit on
                # Shift+Enter instead)
                question = gr.Textbox(label=en("question_label"), placeholder=en("question_placeholder"),
                                      lines=1, max_lines=8, elem_id="question", submit_btn=False)
                question_hint = gr.Markdown(en("question_hint"), elem_id="question-hint")
                with gr.Row(elem_id="answer-buttons"):
                    send = gr.Button(en("send"), variant="primary", elem_id="send", scale=2)
                    stop = gr.Button(en("stop"), variant="stop", elem_id="stop", interactive=False, scale=1)
                with gr.Row(elem_id="turn-buttons"):
                    regenerate = gr.Button(en("regenerate"), size="sm", elem_id="regenerate", scale=0,
                                           min_width=0)
                    edit = gr.Button(en("edit"), size="sm", elem_id="edit", scale=0, min_width=0)
                    clear = gr.Button(en("clear"), size="sm", elem_id="clear", scale=0, min_width=0)
                    download = gr.DownloadButton(en("download"), size="sm", elem_id="download", visible=False,
                                                 scale=0, min_width=0)
                evidence = gr.Gallery(label=en("evidence_label"), columns=3, height=300, object_fit="contain",
                                      allow_preview=True, elem_id="evidence", interactive=False, visible=False)
                with gr.Accordion(en("settings"), open=False, elem_id="settings") as settings_box:
                    max_tokens = gr.Slider(16, 8192, value=max_new, step=16, label=en("max_tokens"),
                                           elem_id="max-tokens")
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
                     admin_note=admin_note, regenerate=regenerate, edit=edit, question_hint=question_hint,
                     password=password, page_range=page_range, reread=reread_btn, **example_buttons,
                     compression_text=compression_text, compression_plot=compression_plot)

        # --- language -------------------------------------------------------------------------------

        def relabel(code: str, convs: Conversations):
            return {named[name]: update for name, update in handlers.relabel(code, convs).items()}

        picker.change(relabel, [picker, conversations], [named[name] for name in handlers.relabelled()],
                      queue=False, show_progress="hidden")
        # the browser's language picks the first one; the picker then follows it (and the user)
        browser_lang.change(lambda tag: pick_lang(tag), [browser_lang], [picker], queue=False,
                            show_progress="hidden")
        demo.load(None, None, [browser_lang], js=_BROWSER_LANG_JS)

        # --- documents ------------------------------------------------------------------------------

        def prepare(files, text, dpi_value, newline_value, convs: Conversations, code: str, read: dict,
                    request: gr.Request, progress=gr.Progress()):
            return handlers.prepare(files, text, dpi_value, newline_value, convs, code, progress,
                                    session=_session(request), reading=read)

        def upload(files, text, dpi_value, newline_value, convs: Conversations, code: str, request: gr.Request,
                   progress=gr.Progress()):
            return handlers.upload(files, text, dpi_value, newline_value, convs, code, progress,
                                   session=_session(request))

        def reread(files, text, dpi_value, newline_value, password_value, pages_value, convs: Conversations,
                   code: str, request: gr.Request, progress=gr.Progress()):
            return handlers.reread(files, text, dpi_value, newline_value, password_value, pages_value, convs, code,
                                   progress, session=_session(request))

        doc_outputs = [conversations, pages, stats, chat, compression_text, compression_plot, doc_fields,
                       password, page_range, download, evidence, reading, uploads]
        render = dict(concurrency_id="render", concurrency_limit=2)

        def load_example(example: dict):
            def load(text, dpi_value, newline_value, convs: Conversations, code: str, request: gr.Request):
                return handlers.load_example(example, text, dpi_value, newline_value, convs, code,
                                             _session(request))
            return load

        for example, button in zip(examples, example_buttons.values()):
            button.click(load_example(example), [question, dpi, newline, conversations, lang],
                         [*doc_outputs, question], **render)
        doc_inputs = [uploads, pasted, dpi, newline, conversations, lang]
        uploads.upload(upload, doc_inputs, doc_outputs, **render)
        render_btn.click(prepare, [*doc_inputs, reading], doc_outputs, **render)
        dpi.change(prepare, [*doc_inputs, reading], doc_outputs, **render)
        newline.change(prepare, [*doc_inputs, reading], doc_outputs, **render)
        reread_inputs = [uploads, pasted, dpi, newline, password, page_range, conversations, lang]
        for trigger in (password.submit, page_range.submit, reread_btn.click):
            trigger(reread, reread_inputs, doc_outputs, **render)

        # --- asking: the question into the conversation at once, then the answers ---------------------

        def submit(text, convs: Conversations, code: str, request: gr.Request):
            return handlers.submit(text, convs, code, _session(request))

        def ask(text, convs: Conversations, max_new_tokens, temp, assist_on, code: str, request: gr.Request):
            yield from handlers.ask(text, convs, max_new_tokens, temp, assist_on, code, _session(request))

        def regenerate_answer(convs: Conversations, code: str, request: gr.Request):
            return handlers.regenerate(convs, code, _session(request))

        ask_inputs = [api_question, conversations, max_tokens, temperature, assist, lang]
        ask_outputs = [chat, stop, download, evidence]
        # the admission gate limits answers; Gradio only keeps a worker for each of those it lets wait. Every
        # question starts an `ask` ("multiple": one sent while another runs is not dropped by the browser; the
        # running one answers it, see PageHandlers.ask), and none shows Gradio's progress over Stop.
        answering = dict(concurrency_id="gpu", concurrency_limit=settings.gpu_concurrency + settings.queue_size,
                         trigger_mode="multiple", show_progress="hidden")
        # quick steps through the queue all the same (no limit on how many run): only queued events can say a
        # warning in the page (an empty question, no document yet)
        quick = dict(concurrency_limit=None, show_progress="hidden")
        for trigger in (send.click, question.submit):
            trigger(submit, [question, conversations, lang], [chat, question, stop], **quick).then(
                ask, ask_inputs, ask_outputs, **answering)
        regenerate.click(regenerate_answer, [conversations, lang], [chat, stop], **quick).then(
            ask, ask_inputs, ask_outputs, **answering)
        edit.click(handlers.edit, [question, conversations, lang], [chat, question], **quick)

        def stop_answer(request: gr.Request):
            handlers.stop_answer(_session(request))

        def clear_chat(convs: Conversations, code: str, request: gr.Request):
            return handlers.clear_chat(convs, code, _session(request))

        stop.click(stop_answer, None, None, queue=False)
        # the chatbot's own trash icon clears the conversation for good too
        for trigger in (clear.click, chat.clear):
            trigger(clear_chat, [conversations, lang], [chat, download, evidence, stop], queue=False,
                    show_progress="hidden")

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

        # The status line and the banner every two seconds; the answer-length slider only when the page loads:
        # a tick in flight with the slider's old value would undo what the person has just set. (A page opened
        # while the tiny model still loads gets its short default on the next load; --model tiny gives it at once.)
        gr.Timer(2.0).tick(lambda code: handlers.refresh(code)[:2], [lang], [status, banner], queue=False,
                           show_progress="hidden")
        demo.load(handlers.refresh, [lang, short_set, max_tokens], [status, banner, max_tokens, short_set],
                  queue=False, show_progress="hidden")
    return demo


def mount_page(app, demo: gr.Blocks, settings: Settings, auth=None):
    """The page on `app` (a FastAPI app) at /, queued, with its login; returns the app to serve."""
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.gpu_concurrency)
    app = gr.mount_gradio_app(app, demo, path="/", max_file_size=upload_cap(settings), show_error=False, css=CSS,
                              head=HEAD, auth=auth)
    # Gradio checks that file inputs were uploaded (not server paths) only for Blocks it launched itself
    demo.has_launched = True
    return app

def _session(request: gr.Request | None) -> str:
    """The browser session's id: Stop reaches the answer this session streams."""
    return getattr(request, "session_hash", None) or "default"


def _user(request: gr.Request | None) -> str | None:
    """The login name (None without a login): the admin checks look at it."""
    return getattr(request, "username", None)
