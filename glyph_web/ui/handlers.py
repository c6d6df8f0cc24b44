"""What the page does, as plain methods: `PageHandlers` answers each of the page's events (documents, asking,
stopping, the settings, the language) from plain values, so that tests call it without a browser or a server.

build_ui (ui/app.py) lays the page out and wires each event to a thin adapter that reads the session id and the
login name from Gradio's request and calls a method here. Handlers still say warnings with gr.Warning and answer
with gr.update where Gradio needs them; outside a Gradio event gr.Warning is a Python warning.

Asking is two steps, so that the question box belongs to the person typing in it: `submit` (quick, unqueued)
moves the question into the conversation as a queued turn and empties the box; `ask` then answers the session's
queued turns one after the other, streaming into the chat, and never writes to the box. A question sent while an
answer is being written waits in the chat, marked as queued, and is answered next. One `ask` runs per session at a
time (Sessions.claim); a second one finds the first still working and leaves the queue to it.

Every handler is reachable over HTTP whatever the page shows, so each checks for itself: file inputs must lie in
Gradio's upload folder (never a path on the server), passwords and page ranges are bounded strings, server-wide
switches (model reload, 4-bit, the KV cache) need an administrator's login (--admins), and answers pass the one
admission gate the API shares. No torch here.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import gradio as gr

from glyph_web.backends import Backend, GenerationSettings
from glyph_web.backends.gate import Admission, Busy
from glyph_web.chat import Library, PreparedDocument, Turn
from glyph_web.chat.conversation import Conversation, Conversations, fill_turn
from glyph_web.contracts import Usage
from glyph_web.errors import GlyphError, Message, say
from glyph_web.settings import Settings
from glyph_web.ui.figures import compression_panel, stats_text
from glyph_web.ui.gallery import gallery
from glyph_web.ui.text import DEFAULT_LANG, LANGS, t

logger = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"
STREAM_INTERVAL_S = 0.05  # at most ~20 page updates a second while an answer streams
ADMISSION_POLL_S = 0.25  # how often a waiting answer's place in the queue is looked at
TINY_MAX_NEW_TOKENS = 256  # the tiny demo model's answers are noise: short ones by default
MAX_PASSWORD = 1024  # characters of a PDF password (PDF 2.0 allows 127 bytes of UTF-8)
MAX_PAGE_RANGE = 1000  # characters of a page range passed on (the documents stage refuses past 200, saying so)

# The components `relabel` updates, by name, in the order build_ui lists them as the event's outputs; each
# example's button follows as "example-<id>", then the compression panel's text and chart.
RELABELLED = ("lang", "header", "picker", "banner", "status", "uploads", "pasted", "render", "stats", "pages",
              "chat", "question", "send", "stop", "clear", "download", "settings", "max_tokens", "temperature",
              "cache", "identifiers", "dpi", "newline", "four_bit", "reload_confirm", "reload_yes", "reload_no",
              "compression", "examples", "evidence", "admin_note", "regenerate", "edit", "question_hint",
              "password", "page_range", "reread")
COMPRESSION_PARTS = ("compression_text", "compression_plot")

# Refusals the page answers with a field of its own: a password, or the pages to read
PASSWORD_KEYS = ("documents.pdf_password", "documents.pdf_wrong_password")
PAGES_KEYS = ("documents.pdf_text_limit_one", "documents.pdf_text_limit_many", "documents.pdf_scans_limit",
              "documents.image_pages_limit", "documents.image_pages_over", "documents.image_pages_over_at_least")
RENDER_LIMIT_KEYS = ("render.page_limit", "render.page_limit_estimated")


class DocumentView(NamedTuple):
    """What a documents event shows, in the order build_ui lists its outputs."""

    conversations: Conversations
    pages: Any  # the gallery
    stats: str
    chat: Any
    panel: Any  # the compression panel's text
    plot: Any  # and its chart
    fields: Any  # the row of the password and page-range fields
    password: Any
    page_range: Any
    download: Any
    evidence: Any
    reading: dict  # how the documents were read (password, pages): the next reading of them reads them so
    uploads: Any  # the upload box: a file refused for good is taken off it (else each reading refuses it again)


class AnswerView(NamedTuple):
    """What the answering step shows while it streams, in the order build_ui lists its outputs."""

    chat: Any
    stop: Any
    download: Any
    evidence: Any


def _no_progress(*args, **kwargs) -> None:
    """A progress reporter that reports nowhere (outside a Gradio event)."""


def _same() -> dict:
    return gr.update()


class Sessions:
    """Per browser session: the stop event of the answer it is streaming (so that Stop reaches it), and which
    `ask` answers its queue (one at a time, so that questions are answered in the order they were asked)."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._owners: dict[str, object] = {}
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

    def claim(self, session: str) -> object | None:
        """A token for answering the session's queue, or None when another `ask` answers it already."""
        with self._lock:
            if session in self._owners:
                return None
            token = self._owners[session] = object()
            return token

    def next_or_release(self, session: str, token: object, pick: Callable[[], Any]) -> Any:
        """pick() under the lock; when it finds nothing, the queue is let go in the same step (a question added
        meanwhile is seen, or finds the queue free for its own `ask`)."""
        with self._lock:
            found = pick()
            if found is None:
                self._release(session, token)
            return found

    def release(self, session: str, token: object) -> None:
        with self._lock:
            self._release(session, token)

    def answering(self, session: str) -> bool:
        with self._lock:
            return session in self._owners

    def _release(self, session: str, token: object) -> None:
        if self._owners.get(session) is token:
            del self._owners[session]
            self._events.pop(session, None)


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


def load_examples() -> list[dict]:
    """assets/examples/examples.json, or [] where this installation has no examples."""
    try:
        return json.loads((EXAMPLES_DIR / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def example_name(example: dict) -> str:
    """The name of an example's button, in build_ui's components and relabel's mapping."""
    return f"example-{example['id']}"


def _text(value) -> str:
    """A text field's value as a string, or "" for anything else (fields reachable over HTTP get anything)."""
    return value if isinstance(value, str) else ""


DEFAULT_MAX_NEW_TOKENS = next(f.default for f in fields(Settings) if f.name == "max_new_tokens")
assert DEFAULT_MAX_NEW_TOKENS is not MISSING


class PageHandlers:
    """The page's event handlers over one backend, library, admission gate, stop registry and export folder.

    Methods take what the page sends (strings, numbers, the session's Conversations in gr.State, the session
    language code) and, instead of gr.Request, the browser session's id (`session`) and the login name (`user`,
    None without one). They return what the page shows, in the order build_ui lists the outputs; `relabel`
    returns a mapping from component name (RELABELLED, example_name, COMPRESSION_PARTS) to its update.
    """

    def __init__(self, backend: Backend, settings: Settings, library: Library, admission: Admission,
                 sessions: Sessions, exports: Path, examples: list[dict] | None = None):
        self.backend = backend
        self.settings = settings
        self.library = library
        self.admission = admission
        self.sessions = sessions
        self.exports = Path(exports)
        self.examples = list(examples or [])
        self.admins = settings.admin_names()

    # --- language -------------------------------------------------------------------------------------

    def relabelled(self) -> list[str]:
        """The names relabel updates, in the order of the event's outputs."""
        return [*RELABELLED, *(example_name(ex) for ex in self.examples), *COMPRESSION_PARTS]

    def relabel(self, code: str, convs: Conversations) -> dict[str, Any]:
        """Every labelled component in the session's language (and the texts that depend on it), by name."""
        code = code if code in LANGS else DEFAULT_LANG
        prepared = self.library.get(convs.doc_id)

        def tr(key):
            return t(code, key)

        updates: dict[str, Any] = {
            "lang": code,
            "header": gr.update(value=_header(code)),
            "picker": gr.update(label=tr("language")),
            "banner": gr.update(value=self.banner_text(code)),
            "status": _status_text(self.backend, code),
            "uploads": gr.update(label=tr("upload_label")),
            "pasted": gr.update(label=tr("paste_label"), placeholder=tr("paste_placeholder")),
            "render": gr.update(value=tr("render_button")),
            "stats": stats_text(prepared, code, self.backend) if prepared else tr("no_document"),
            "pages": gr.update(label=tr("pages_label"), value=gallery(prepared, code) if prepared else None),
            "chat": gr.update(label=tr("chat_label"), placeholder=tr("chat_placeholder"),
                              value=_messages(convs.current, code)),
            "question": gr.update(label=tr("question_label"), placeholder=tr("question_placeholder")),
            "send": gr.update(value=tr("send")),
            "stop": gr.update(value=tr("stop")),
            "clear": gr.update(value=tr("clear")),
            "download": gr.update(label=tr("download")),
            "settings": gr.update(label=tr("settings")),
            "max_tokens": gr.update(label=tr("max_tokens")),
            "temperature": gr.update(label=tr("temperature")),
            "cache": gr.update(label=tr("cache")),
            "identifiers": gr.update(label=tr("identifiers")),
            "dpi": gr.update(label=tr("dpi")),
            "newline": gr.update(label=tr("newline"), choices=_newline_choices(code)),
            "four_bit": gr.update(label=tr("four_bit")),
            "reload_confirm": gr.update(value=tr("reload_confirm")),
            "reload_yes": gr.update(value=tr("reload_yes")),
            "reload_no": gr.update(value=tr("reload_no")),
            "compression": gr.update(label=tr("compression_title")),
            "examples": gr.update(value=tr("examples")),
            "evidence": gr.update(label=tr("evidence_label")),
            "admin_note": gr.update(value=tr("admin_only")),
            "regenerate": gr.update(value=tr("regenerate")),
            "edit": gr.update(value=tr("edit")),
            "question_hint": gr.update(value=tr("question_hint")),
            "password": gr.update(label=tr("password_label"), placeholder=tr("password_placeholder")),
            "page_range": gr.update(label=tr("page_range_label"), placeholder=tr("page_range_placeholder")),
            "reread": gr.update(value=tr("reread")),
        }
        for ex in self.examples:
            updates[example_name(ex)] = gr.update(value=ex["title"][code])
        panel, plot = compression_panel(prepared, self.backend, code) if prepared else (gr.update(), gr.update())
        updates.update(compression_text=panel, compression_plot=plot)
        return updates

    # --- documents ------------------------------------------------------------------------------------

    def upload(self, files, text, dpi_value, newline_value, convs: Conversations, code: str,
               progress: Callable = _no_progress, session: str = "default") -> DocumentView:
        """New files: read as they are (a password or page range given for earlier files does not apply)."""
        return self.prepare(files, text, dpi_value, newline_value, convs, code, progress, session=session)

    def reread(self, files, text, dpi_value, newline_value, password, pages, convs: Conversations, code: str,
               progress: Callable = _no_progress, session: str = "default") -> DocumentView:
        """The same files again, with the password or the page range typed in the page's fields."""
        password, pages = _text(password), _text(pages)
        if len(password) > MAX_PASSWORD:
            return self._refused(t(code, "password_too_long", chars=len(password), most=MAX_PASSWORD), "password",
                                 convs, code, {})
        reading = {"password": password or None, "pages": pages.strip()[:MAX_PAGE_RANGE] or None}
        return self.prepare(files, text, dpi_value, newline_value, convs, code, progress, session=session,
                            reading=reading)

    def prepare(self, files, text, dpi_value, newline_value, convs: Conversations, code: str,
                progress: Callable = _no_progress, *, session: str = "default",
                reading: dict | None = None) -> DocumentView:
        """Read the uploaded files and the pasted text (with `reading`'s password and page range, when given)."""
        try:
            paths = uploaded_paths(files)
        except NotUploaded:
            return self._refused(t(code, "not_uploaded"), "", convs, code, {})
        return self.read_documents(paths, text, dpi_value, newline_value, convs, code, progress, session=session,
                                   reading=reading)

    def read_documents(self, paths, text, dpi_value, newline_value, convs: Conversations, code: str,
                       progress: Callable = _no_progress, *, session: str = "default",
                       reading: dict | None = None) -> DocumentView:
        """Prepare documents from trusted paths (checked uploads, the examples) and the pasted text; show them with
        their conversation (the one kept for them, or a new one)."""
        reading = {key: value for key, value in (reading or {}).items() if key in ("password", "pages") and value}
        if not paths and not (text or "").strip():
            return DocumentView(convs, _same(), t(code, "no_document"), _same(), _same(), _same(), _same(), _same(),
                                _same(), _same(), _same(), reading, _same())
        progress(0.1, desc=t(code, "progress_reading"))
        options = self.settings.render_options(dpi=float(dpi_value), newline=newline_value)
        try:
            prepared = self.library.prepare(paths, text, options, self.backend.count_tokens,
                                            password=reading.get("password"), pages=reading.get("pages"))
        except GlyphError as exc:
            message, offer = self._refusal(exc, code, bool(paths))
            uploads = _same()
            refused = [] if offer else _refused_files(exc, paths)
            if refused:  # nothing in the page makes it readable: off the list, saying so
                message += " " + t(code, "page_file_removed", name=Path(refused[0]).name)
                uploads = gr.update(value=[path for path in paths if path not in refused])
            return self._refused(message, offer, convs, code, reading, uploads=uploads)
        except Exception:  # a bug: say so plainly and keep the page alive
            logger.exception("preparing documents failed")
            return self._refused(t(code, "internal_error"), "", convs, code, reading, bug=True)
        progress(1.0, desc=t(code, "progress_done"))
        for warning in prepared.pages.warnings:  # each note once a session (the font's would come at every render)
            if convs.note_once(str(warning)):
                gr.Warning(say(warning, code), title=t(code, "warning_title"))
        before = convs.current
        conv, restored = convs.show(prepared.doc.sha256, prepared.id, str(prepared.doc.name))
        if before is not conv and before.turns:
            gr.Info(t(code, "conversation_kept", name=before.name), title=t(code, "warning_title"))
        if restored:
            gr.Info(t(code, "conversation_restored", name=conv.name), title=t(code, "warning_title"))
        panel, plot = compression_panel(prepared, self.backend, code)
        hidden = gr.update(visible=False)
        download = self.export(conv, prepared, code, session) if conv.turns else gr.update(visible=False, value=None)
        return DocumentView(convs, gallery(prepared, code), stats_text(prepared, code, self.backend),
                            _messages(conv, code), panel, plot, hidden, hidden, hidden, download,
                            gr.update(visible=False, value=None), reading, _same())

    def _refusal(self, exc: GlyphError, code: str, uploads: bool) -> tuple[str, str]:
        """The page's words for a refusal, and the field it offers ("password", "pages" or "")."""
        key = getattr(exc, "key", "")
        params = {name: say(value, code) if isinstance(value, (Message, GlyphError)) else value
                  for name, value in getattr(exc, "params", {}).items()}
        limit = self.settings.max_pages
        if key in PASSWORD_KEYS:
            follow = "page_password" if key == "documents.pdf_password" else "page_wrong_password"
            return f"{say(exc, code)} {t(code, follow)}", "password"
        if key in PAGES_KEYS:
            return f"{say(exc, code)} {t(code, 'page_choose_pages', limit=limit)}", "pages"
        if key.startswith("documents.pages_"):  # the page range itself: say what is wrong, keep the field
            return say(exc, code), "pages"
        if key in RENDER_LIMIT_KEYS:  # its catalogue sentence names a flag of the command line
            said = t(code, "page_limit" if key == "render.page_limit" else "page_limit_estimated",
                     pages=params.get("pages", "?"), limit=params.get("limit", limit))
            if uploads:
                return f"{said} {t(code, 'page_choose_pages', limit=limit)}", "pages"
            return f"{said} {t(code, 'page_shorter')}", ""
        if key == "documents.too_large":
            size = params.get("size", 0)
            return t(code, "page_too_large", name=params.get("name", ""),
                     size=f"{size:.1f}" if size >= 1 else f"{size:.2g}",
                     limit=f"{params.get('limit', self.settings.max_upload_mb):g}"), ""
        if key == "documents.word_unpack":
            return t(code, "page_word_unpack", name=params.get("name", ""), size=f"{params.get('size', 0):.0f}",
                     limit=f"{params.get('limit', self.settings.docx_max_unpacked_mb):g}"), ""
        return say(exc, code), ""

    def _refused(self, message: str, offer: str, convs: Conversations, code: str, reading: dict,
                 bug: bool = False, uploads: Any = None) -> DocumentView:
        """A refusal in the page's words: no pages, figures or conversation of an earlier document stay on show
        (its conversation is kept for when it comes back), and the field that helps, if any, is offered."""
        if bug:
            gr.Warning(message, title=t(code, "warning_title"))
        else:
            gr.Warning(f"{t(code, 'doc_error')} {message}", title=t(code, "warning_title"))
        before = convs.current
        convs.set_aside()
        if before.turns:
            gr.Info(t(code, "conversation_kept", name=before.name), title=t(code, "warning_title"))
        stats = message if bug else f"**{t(code, 'doc_error')}** {message}"
        hidden = gr.update(visible=False, value=None)
        return DocumentView(convs, gr.update(value=None), stats, [], "", None,
                            gr.update(visible=bool(offer)),
                            gr.update(visible=offer == "password", value=""),
                            gr.update(visible=offer == "pages"),
                            hidden, hidden, reading, _same() if uploads is None else uploads)

    def load_example(self, example: dict, question, dpi_value, newline_value, convs: Conversations, code: str,
                     session: str = "default"):
        """One of the shipped examples: what prepare shows, then its question (unless the box holds the person's
        own text) and an emptied upload box."""
        paths = [str(EXAMPLES_DIR / name) for name in example["files"]]
        if not all(Path(p).is_file() for p in paths):
            gr.Warning(t(code, "example_missing"), title=t(code, "warning_title"))
            return (*DocumentView(convs, *(_same() for _ in range(12))), _same())
        view = self.read_documents(paths, "", dpi_value, newline_value, convs, code, session=session)
        gr.Info(t(code, "example_loaded", title=example["title"][code]), title=example["title"][code])
        typed = (question if isinstance(question, str) else "").strip()
        questions = {q.strip() for ex in self.examples for q in ex["question"].values()}
        box = example["question"][code] if not typed or typed in questions else _same()
        return (*view._replace(uploads=gr.update(value=None)), box)

    # --- asking ---------------------------------------------------------------------------------------

    def submit(self, text, convs: Conversations, code: str, session: str = "default"):
        """The question into the conversation, queued, and the box emptied: (chat, question, stop). Refused (the
        box keeps its text) without a question or a document."""
        text = (text if isinstance(text, str) else "").strip()
        if not text:
            gr.Warning(t(code, "empty_question"), title=t(code, "warning_title"))
            return _same(), _same(), _same()
        if self.library.get(convs.doc_id) is None:
            gr.Warning(t(code, "need_document"), title=t(code, "warning_title"))
            return _same(), _same(), _same()
        convs.add(text)
        return _messages(convs.current, code), "", gr.update(interactive=True)

    def regenerate(self, convs: Conversations, code: str, session: str = "default"):
        """The last question asked again, its answer replaced: (chat, stop)."""
        conv = self._redoable(convs, code)
        if conv is None:
            return _same(), _same()
        conv.editing = False
        convs.requeue(conv.turns[-1])
        return _messages(conv, code), gr.update(interactive=True)

    def edit(self, text, convs: Conversations, code: str):
        """The last question back into the box; the next question sent replaces it and its answer: (chat,
        question). The box must be empty (or hold that question): nothing typed is overwritten."""
        conv = self._redoable(convs, code)
        if conv is None:
            return _same(), _same()
        last = conv.turns[-1].question
        typed = (text if isinstance(text, str) else "").strip()
        if typed and typed != last.strip():
            gr.Warning(t(code, "edit_box_busy"), title=t(code, "warning_title"))
            return _same(), _same()
        conv.editing = True
        return _messages(conv, code), last

    def _redoable(self, convs: Conversations, code: str) -> Conversation | None:
        conv = convs.current
        if not conv.turns:
            gr.Warning(t(code, "nothing_to_redo"), title=t(code, "warning_title"))
            return None
        if conv.active:
            gr.Warning(t(code, "answer_running"), title=t(code, "warning_title"))
            return None
        if self.library.get(conv.doc_id) is None:
            gr.Warning(t(code, "need_document"), title=t(code, "warning_title"))
            return None
        return conv

    def ask(self, text, convs: Conversations, max_new, temp, assist_on, code: str,
            session: str = "default") -> Iterator[AnswerView]:
        """Answer the session's queued questions (after adding `text`, when given: API clients ask in one call),
        one after the other through the admission gate, streaming (chat, stop, download, evidence)."""
        if isinstance(text, str) and text.strip():
            if self.submit(text, convs, code, session)[1] != "":
                yield AnswerView(_same(), _same(), _same(), _same())
                return
        token = self.sessions.claim(session)
        if token is None:  # this session's queue is being answered: the question waits its turn there
            yield AnswerView(_same(), _same(), _same(), _same())
            return
        generation = GenerationSettings(max_new_tokens=int(max_new), temperature=float(temp),
                                        top_p=self.settings.top_p, repetition_penalty=self.settings.repetition_penalty)
        last: tuple[Conversation, Turn, PreparedDocument | None] | None = None
        try:
            while True:
                found = self.sessions.next_or_release(session, token, convs.next_queued)
                if found is None:
                    break
                conv, turn = found
                turn.status = "waiting"
                prepared = self.library.get(conv.doc_id)
                yield from self._answer(convs, conv, turn, prepared, generation, bool(assist_on), code, session)
                last = (conv, turn, prepared)
        finally:
            self.sessions.release(session, token)
        current = convs.current
        download = (self.export(current, self.library.get(current.doc_id), code, session) if current.turns
                    else gr.update(visible=False, value=None))
        evidence = _evidence(last[2], last[1], code) if last is not None and last[0] is current else _same()
        yield AnswerView(_messages(current, code), gr.update(interactive=any(c.active for c in convs.all())),
                         download, evidence)

    def _answer(self, convs: Conversations, conv: Conversation, turn: Turn, prepared: PreparedDocument | None,
                generation: GenerationSettings, assist_on: bool, code: str, session: str) -> Iterator[AnswerView]:
        """Stream one turn's answer: wait at the gate (showing the place), read the pages, write."""

        def view() -> AnswerView:
            chat = _messages(conv, code) if conv is convs.current else _same()
            return AnswerView(chat, gr.update(interactive=True), _same(), _same())

        if prepared is None:  # its document has left the library since the question was asked
            turn.status, turn.error = "error", Message("chat.add_document_first")
            yield view()
            return
        stop_event = self.sessions.new(session)
        yield view()
        admitted = yield from self._admit(turn, stop_event, view, code)
        if not admitted:
            yield view()
            return
        stream = fill_turn(self.backend, prepared, conv, turn, generation, stop_event, identifiers=assist_on)
        try:
            turn.reading = len(prepared.pages.images)
            yield view()
            last = 0.0
            for _ in stream:
                now = time.monotonic()
                if turn.status in ("streaming", "waiting") and now - last < STREAM_INTERVAL_S:
                    continue
                last = now
                if not any(t is turn for t in conv.turns):  # the conversation was cleared meanwhile
                    stop_event.set()
                yield view()
        except Exception:  # a bug: keep what was answered, say so, keep the page alive
            logger.exception("answering failed")
            turn.status, turn.error = "error", t(code, "internal_error")
        finally:
            stream.close()  # a stream left early lets go of the backend (the engine stops)
            if turn.status in ("waiting", "streaming"):  # the page went away: keep what came, as a stop would
                turn.status, turn.raw, turn.reading = "stopped", turn.raw or turn.answer, 0
            self.admission.leave()
        if turn.status == "error":
            gr.Warning(f"{t(code, 'error')} {say(turn.error, code)}", title=t(code, "warning_title"))
        yield view()

    def _admit(self, turn: Turn, stop_event: threading.Event, view: Callable[[], AnswerView], code: str):
        """Through the admission gate, showing the turn's place while it waits; True once in (the caller leaves),
        False when the queue is full (the turn says so) or Stop was pressed (the turn is stopped)."""
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def enter() -> None:  # Admission.enter blocks: it waits here while the answer shows its place
            try:
                self.admission.enter(stop_event)
                outcome["in"] = True
            except Busy as exc:
                outcome["busy"] = exc
            finally:
                done.set()

        threading.Thread(target=enter, name="glyph-page-admission", daemon=True).start()
        try:
            while not done.wait(ADMISSION_POLL_S):
                place = self.admission.place(stop_event)
                if place != turn.place:
                    turn.place = place
                    yield view()
        except BaseException:  # the page went away while this waited: give the place (or the slot) back
            stop_event.set()
            done.wait()
            if outcome.get("in"):
                self.admission.leave()
            raise
        turn.place = 0
        if "busy" in outcome:
            if stop_event.is_set():
                turn.status = "stopped"
            else:
                gr.Warning(t(code, "busy"), title=t(code, "warning_title"))
                turn.status, turn.error = "error", outcome["busy"].args[0]
            return False
        return True

    def stop_answer(self, session: str = "default") -> None:
        self.sessions.stop(session)

    def clear_chat(self, convs: Conversations, code: str = DEFAULT_LANG, session: str = "default"):
        """The conversation shown emptied for good (an answer being written to it is stopped, its queued questions
        go): (chat, download, evidence, stop)."""
        conv = convs.current
        if any(turn.status in ("waiting", "streaming") for turn in conv.turns):
            self.sessions.stop(session)
        conv.turns = []
        conv.editing = False
        hidden = gr.update(visible=False, value=None)
        return [], hidden, hidden, gr.update(interactive=any(c.active for c in convs.all()))

    def export(self, conv: Conversation, prepared: PreparedDocument | None, code: str = DEFAULT_LANG,
               session: str = "default"):
        """The conversation as Markdown in the export folder, named after the document and the day, for the
        download button. Each session and document has a folder of its own (its name a hash: nothing from the
        client reaches a path)."""
        folder = self.exports / hashlib.sha256(f"{session}\0{conv.key}\0{id(conv)}".encode()).hexdigest()[:20]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / download_name(prepared)
        for old in folder.glob("*.md"):  # yesterday's name, or another document's of the same conversation
            if old != path:
                old.unlink(missing_ok=True)
        words = (lambda key, **values: t(code, key, **values))  # noqa: E731 - the session's language
        path.write_text(conv.to_markdown(prepared, self.backend.state().model, words, code), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    # --- settings and status --------------------------------------------------------------------------

    def is_admin(self, user: str | None) -> bool:
        return bool(self.admins) and user in self.admins

    def refuse(self, what: str, code: str, user: str | None) -> None:
        logger.warning("refused %s to a page user who is not an admin (%s)", what, user or "no login")
        gr.Warning(t(code, "not_admin"), title=t(code, "warning_title"))

    def set_cache(self, on, code, user: str | None):
        if not self.is_admin(user):
            self.refuse("switching the KV cache", code, user)
            return gr.update(value=_cache_enabled(self.backend, self.settings))
        self.backend.set_cache_enabled(bool(on))
        return gr.update()

    def ask_reload(self, on, code, user: str | None):
        if not self.is_admin(user):
            return gr.update(visible=False)
        return gr.update(visible=bool(on) != backend_4bit(self.backend))

    def reload_model(self, on, code, user: str | None):
        if not self.is_admin(user):
            self.refuse("a model reload", code, user)
            return gr.update(visible=False), _status_text(self.backend, code)
        logger.info("model reload (4-bit %s) asked by admin %s", bool(on), user)
        self.backend.reload(load_in_4bit=bool(on))
        return gr.update(visible=False), _status_text(self.backend, code)

    def cancel_reload(self):
        """The confirmation hidden and the 4-bit box back to what the model runs."""
        return gr.update(visible=False), gr.update(value=backend_4bit(self.backend))

    def admin_view(self, user: str | None):
        allowed = self.is_admin(user)
        return gr.update(visible=not allowed), gr.update(interactive=allowed), gr.update(interactive=allowed)

    def tiny_default(self) -> bool:
        """Short answers by default: the tiny demo model writes noise, and --max-new-tokens was not set."""
        return self.settings.max_new_tokens == DEFAULT_MAX_NEW_TOKENS

    def max_tokens_default(self) -> int:
        """The answer-length slider's first value: short for the tiny demo model (see tiny_default)."""
        tiny = self.settings.model == "tiny" or self.backend.state().noise
        return TINY_MAX_NEW_TOKENS if tiny and self.tiny_default() else min(self.settings.max_new_tokens, 8192)

    def banner_text(self, code: str) -> str:
        """The demo model's banner (shown while it is loaded), with the short answers it gets by default."""
        text = t(code, "noise_banner")
        if self.tiny_default():
            text += " " + t(code, "noise_banner_short", tokens=TINY_MAX_NEW_TOKENS)
        return text

    def refresh(self, code, short_set: bool = False, current=None):
        """(status, banner, answer-length slider, short_set): the slider goes to the short default once a session,
        when the model turns out to be the tiny demo model, and only from its untouched first value (`current`,
        the slider as the page has it): two refreshes in flight, or a person quicker than the model, keep the
        person's choice."""
        state = self.backend.state()
        slider: Any = _same()
        if state.noise and not short_set and self.tiny_default():
            untouched = current is None or _number(current) == min(self.settings.max_new_tokens, 8192)
            slider, short_set = (gr.update(value=TINY_MAX_NEW_TOKENS) if untouched else _same()), True
        return _status_text(self.backend, code, state), gr.update(visible=state.noise), slider, short_set

    def status_text(self, code: str) -> str:
        return _status_text(self.backend, code)


# --- what the handlers show ----------------------------------------------------------------------------------


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def download_name(prepared: PreparedDocument | None, day: datetime.date | None = None) -> str:
    """The export's file name: the document's name in safe characters and the day, `report-2026-12-03.md`."""
    stem = Path(str(prepared.doc.name)).stem if prepared is not None else ""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:48].strip("-") or "conversation"
    return f"{slug}-{(day or datetime.date.today()).isoformat()}.md"


def _refused_files(exc: GlyphError, paths: list[str]) -> list[str]:
    """The uploads a refusal names (by the file name it says)."""
    name = getattr(exc, "params", {}).get("name")
    if not isinstance(name, str) or not getattr(exc, "key", "").startswith("documents."):
        return []
    return [path for path in paths if Path(path).name == name]


def _cache_enabled(backend: Backend, settings: Settings) -> bool:
    manager = getattr(backend, "manager", None)
    return bool(getattr(manager, "cache_enabled", settings.kv_cache))


def backend_4bit(backend: Backend) -> bool:
    return "4-bit" in (backend.state().precision or "") or bool(getattr(getattr(backend, "manager", None),
                                                                          "load_in_4bit", False))


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


def _header(lang: str) -> str:
    return f"## {t(lang, 'title')}\n{t(lang, 'subtitle')}"


def _newline_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "newline_br"), "br"), (t(lang, "newline_marker"), "marker")]


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


def answer_figures(usage: dict | None, lang: str) -> str:
    """The figures of one answer, as the CLI prints them: time to the first token, tokens written and their rate,
    prompt tokens and how many came from the cache ("" without usage)."""
    if not usage:
        return ""
    try:
        figures = Usage(**usage)
    except TypeError:  # not a Usage's fields
        return ""
    ttft = t(lang, "seconds", value=f"{figures.ttft_s:.2f}") if figures.ttft_s is not None else "–"
    rate = figures.decode_tokens_per_s
    return t(lang, "answer_figures", ttft=ttft, tokens=f"{figures.completion_tokens:,}",
             rate=t(lang, "answer_figures_rate", rate=f"{rate:.1f}") if rate else "",
             prompt=f"{figures.prompt_tokens:,}", cached=f"{figures.cached_tokens:,}")


def _messages(conv: Conversation, lang: str) -> list[dict]:
    out: list[dict] = []
    running = False  # an earlier turn of this conversation is being answered or waits
    for number, turn in enumerate(conv.turns, 1):
        queued = turn.status == "queued" and running
        question = turn.question
        if queued:
            question += f"\n\n<small>{t(lang, 'queued_mark')}</small>"
        if conv.editing and number == len(conv.turns):
            question += f"\n\n<small>{t(lang, 'editing_mark')}</small>"
        out.append({"role": "user", "content": question})
        streaming = turn.active
        if turn.thinking:
            out.append({"role": "assistant", "content": turn.thinking,
                        "metadata": {"title": t(lang, "thinking"), "status": "pending" if streaming else "done"}})
        answer = turn.answer
        if queued:
            answer = t(lang, "queued_answer")
        elif turn.status in ("queued", "waiting") and not answer:
            if turn.place:
                answer = t(lang, "waiting_place", place=turn.place)
            elif turn.reading:
                answer = (t(lang, "reading_page") if turn.reading == 1
                          else t(lang, "reading_pages", pages=turn.reading))
            else:
                answer = t(lang, "waiting")
        if turn.status == "stopped":
            answer += f"\n\n*{t(lang, 'stopped')}*"
        if turn.status == "error":
            answer += f"\n\n**{t(lang, 'error')}** {say(turn.error, lang)}"
        figures = answer_figures(turn.usage, lang) if turn.status in ("done", "stopped") else ""
        if figures:
            answer += f"\n\n<small>{figures}</small>"
        out.append({"role": "assistant", "content": answer or "…"})
        running = running or turn.active
    return out
