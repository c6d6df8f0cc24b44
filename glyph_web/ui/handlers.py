"""What the page does, as plain methods: `PageHandlers` answers each of the page's events (documents, asking,
stopping, the settings, the language) from plain values, so that tests call it without a browser or a server.

build_ui (ui/app.py) lays the page out and wires each event to a thin adapter that reads the session id and the
login name from Gradio's request and calls a method here. Handlers still say warnings with gr.Warning and answer
with gr.update where Gradio needs them; outside a Gradio event gr.Warning is a Python warning.

Every handler is reachable over HTTP whatever the page shows, so each checks for itself: file inputs must lie in
Gradio's upload folder (never a path on the server), server-wide switches (model reload, 4-bit, the KV cache)
need an administrator's login (--admins), and answers pass the one admission gate the API shares. No torch here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from glyph_web.backends import Backend, GenerationSettings
from glyph_web.backends.gate import Admission, Busy
from glyph_web.chat import Conversation, Library, PreparedDocument, Turn, stream_turn
from glyph_web.errors import GlyphError, say
from glyph_web.settings import Settings
from glyph_web.ui.figures import compression_panel, stats_text
from glyph_web.ui.gallery import gallery
from glyph_web.ui.text import DEFAULT_LANG, LANGS, t

logger = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"
STREAM_INTERVAL_S = 0.05  # at most ~20 page updates a second while an answer streams

# The components `relabel` updates, by name, in the order build_ui lists them as the event's outputs; each
# example's button follows as "example-<id>", then the compression panel's text and chart.
RELABELLED = ("lang", "header", "picker", "banner", "status", "uploads", "pasted", "render", "stats", "pages",
              "chat", "question", "send", "stop", "clear", "download", "settings", "max_tokens", "temperature",
              "cache", "identifiers", "dpi", "newline", "four_bit", "reload_confirm", "reload_yes", "reload_no",
              "compression", "examples", "evidence", "admin_note")
COMPRESSION_PARTS = ("compression_text", "compression_plot")


def _no_progress(*args, **kwargs) -> None:
    """A progress reporter that reports nowhere (outside a Gradio event)."""


class Sessions:
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


def load_examples() -> list[dict]:
    """assets/examples/examples.json, or [] where this installation has no examples."""
    try:
        return json.loads((EXAMPLES_DIR / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def example_name(example: dict) -> str:
    """The name of an example's button, in build_ui's components and relabel's mapping."""
    return f"example-{example['id']}"


class PageHandlers:
    """The page's event handlers over one backend, library, admission gate, stop registry and export folder.

    Methods take what the page sends (strings, numbers, the Conversation in gr.State, the session language code)
    and, instead of gr.Request, the browser session's id (`session`) and the login name (`user`, None without
    one). They return what the page shows, in the order build_ui lists the outputs; `relabel` returns a mapping
    from component name (RELABELLED, example_name, COMPRESSION_PARTS) to its update.
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

    def relabel(self, code: str, conv: Conversation) -> dict[str, Any]:
        """Every labelled component in the session's language (and the texts that depend on it), by name."""
        code = code if code in LANGS else DEFAULT_LANG
        prepared = self.library.get(conv.doc_id)

        def tr(key):
            return t(code, key)

        updates: dict[str, Any] = {
            "lang": code,
            "header": gr.update(value=_header(code)),
            "picker": gr.update(label=tr("language")),
            "banner": gr.update(value=tr("noise_banner")),
            "status": _status_text(self.backend, code),
            "uploads": gr.update(label=tr("upload_label")),
            "pasted": gr.update(label=tr("paste_label"), placeholder=tr("paste_placeholder")),
            "render": gr.update(value=tr("render_button")),
            "stats": stats_text(prepared, code) if prepared else tr("no_document"),
            "pages": gr.update(label=tr("pages_label"), value=gallery(prepared, code) if prepared else None),
            "chat": gr.update(label=tr("chat_label"), placeholder=tr("chat_placeholder"),
                              value=_messages(conv, code)),
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
        }
        for ex in self.examples:
            updates[example_name(ex)] = gr.update(value=ex["title"][code])
        panel, plot = compression_panel(prepared, self.backend, code) if prepared else (gr.update(), gr.update())
        updates.update(compression_text=panel, compression_plot=plot)
        return updates

    # --- documents ------------------------------------------------------------------------------------

    def prepare(self, files, text, dpi_value, newline_value, conv: Conversation, code: str,
                progress: Callable = _no_progress):
        """Read the uploaded files and the pasted text: (conversation, pages, stats, chat, panel, plot)."""
        try:
            paths = uploaded_paths(files)
        except NotUploaded:
            gr.Warning(f"{t(code, 'doc_error')} {t(code, 'not_uploaded')}", title=t(code, "warning_title"))
            return (conv, gr.update(), f"**{t(code, 'doc_error')}** {t(code, 'not_uploaded')}", gr.update(),
                    gr.update(), gr.update())
        return self.read_documents(paths, text, dpi_value, newline_value, conv, code, progress)

    def read_documents(self, paths, text, dpi_value, newline_value, conv: Conversation, code: str,
                       progress: Callable = _no_progress):
        """Prepare documents from trusted paths (checked uploads, the examples) and the pasted text."""
        settings = self.settings
        if not paths and not (text or "").strip():
            return conv, gr.update(), t(code, "no_document"), gr.update(), gr.update(), gr.update()
        progress(0.1, desc=t(code, "progress_reading"))
        options = settings.render_options(dpi=float(dpi_value), newline=newline_value)
        try:
            prepared = self.library.prepare(paths, text, options, self.backend.count_tokens)
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
        panel, plot = compression_panel(prepared, self.backend, code)
        return (Conversation(doc_id=prepared.id), gallery(prepared, code), stats_text(prepared, code),
                [] if conv.turns else gr.update(), panel, plot)

    def load_example(self, example: dict, dpi_value, newline_value, conv: Conversation, code: str):
        """One of the shipped examples: what prepare shows, then its question and an emptied upload box."""
        paths = [str(EXAMPLES_DIR / name) for name in example["files"]]
        if not all(Path(p).is_file() for p in paths):
            gr.Warning(t(code, "example_missing"), title=t(code, "warning_title"))
            return (conv, gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
                    gr.update())
        result = self.read_documents(paths, "", dpi_value, newline_value, conv, code)
        gr.Info(t(code, "example_loaded", title=example["title"][code]), title=example["title"][code])
        return (*result, example["question"][code], gr.update(value=None))

    # --- asking ---------------------------------------------------------------------------------------

    def ask(self, text, conv: Conversation, max_new, temp, assist_on, code: str,
            session: str = "default") -> Iterator[tuple]:
        """Answer through the admission gate, streaming (chat, conversation, question, download, evidence)."""
        text = (text or "").strip()
        prepared = self.library.get(conv.doc_id)
        if not text:
            gr.Warning(t(code, "empty_question"), title=t(code, "warning_title"))
            yield gr.update(), conv, gr.update(), gr.update(), gr.update()
            return
        if prepared is None:
            gr.Warning(t(code, "need_document"), title=t(code, "warning_title"))
            yield gr.update(), conv, gr.update(), gr.update(), gr.update()
            return
        stop_event = self.sessions.new(session)
        try:  # the one gate: page users wait in the same queue as API clients, and count in /metrics
            self.admission.enter(stop_event)
        except Busy:  # the queue is full (or Stop was pressed while this one waited)
            if not stop_event.is_set():
                gr.Warning(t(code, "busy"), title=t(code, "warning_title"))
            yield gr.update(), conv, gr.update(), gr.update(), gr.update()
            return
        try:
            yield from self.answer(text, conv, prepared, max_new, temp, assist_on, code, stop_event)
        finally:
            self.admission.leave()

    def answer(self, text, conv: Conversation, prepared: PreparedDocument, max_new, temp, assist_on, code: str,
               stop_event: threading.Event) -> Iterator[tuple]:
        settings = self.settings
        generation = GenerationSettings(max_new_tokens=int(max_new), temperature=float(temp),
                                        top_p=settings.top_p, repetition_penalty=settings.repetition_penalty)
        last = 0.0
        turn: Turn | None = None
        try:
            for turn in stream_turn(self.backend, prepared, conv, text, generation, stop_event,
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
        yield _messages(conv, code), conv, "", self.export(conv, prepared, code), _evidence(prepared, turn, code)

    def stop_answer(self, session: str = "default") -> None:
        self.sessions.stop(session)

    def clear_chat(self, conv: Conversation):
        return (Conversation(doc_id=conv.doc_id), [], gr.update(visible=False, value=None),
                gr.update(visible=False, value=None))

    def export(self, conv: Conversation, prepared: PreparedDocument | None, code: str = DEFAULT_LANG):
        """The conversation as Markdown in the export folder, for the download button."""
        path = self.exports / f"conversation-{id(conv)}.md"
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

    def refresh(self, code):
        state = self.backend.state()
        return _status_text(self.backend, code, state), gr.update(visible=state.noise)

    def status_text(self, code: str) -> str:
        return _status_text(self.backend, code)


# --- what the handlers show ----------------------------------------------------------------------------------


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
