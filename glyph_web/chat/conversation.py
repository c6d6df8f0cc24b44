"""Conversations over a prepared document: turns, streaming an answer into a turn, Markdown export, and the
conversations of one browser session, one per document.

No torch, no gradio. The page keeps per-user state as Conversations (strings and numbers only, cheap to copy):
each Conversation holds the id of a PreparedDocument held server-side in a Library.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator

from glyph_web.backends import Backend
from glyph_web.chat.library import PreparedDocument
from glyph_web.contracts import AnswerRequest, GenerationSettings
from glyph_web.errors import DEFAULT_LANG, GlyphError, Message, say

logger = logging.getLogger(__name__)


@dataclass
class Turn:
    """One question and its answer as it streams in."""

    question: str
    answer: str = ""
    thinking: str = ""
    raw: str = ""  # the model's whole output with its tags: the history the next question builds on
    asked: str = ""  # the question as the model got it (with the identifier hint), when it differs
    status: str = "waiting"  # queued | waiting | streaming | done | stopped | error
    error: str = ""  # a Message where the error has a key (the page says it in its language), English as a str
    usage: dict | None = None
    # while it waits (the page shows them): its place in the admission queue (0: not in it), and the pages the
    # model reads once it was let in (0: not yet), until the first token
    place: int = 0
    reading: int = 0
    seq: int = 0  # the order questions were asked in, over all conversations of a session

    @property
    def active(self) -> bool:
        """Being answered or about to be: queued, waiting, streaming."""
        return self.status in ("queued", "waiting", "streaming")

    def reset(self) -> None:
        """Back to a question without an answer (to ask it again)."""
        self.answer = self.thinking = self.raw = self.asked = self.error = ""
        self.usage, self.place, self.reading = None, 0, 0


@dataclass
class Conversation:
    """The turns of one user about one prepared document."""

    doc_id: str | None = None
    turns: list[Turn] = field(default_factory=list)
    key: str | None = None  # the document's key (its content hash): a conversation comes back with its document
    name: str = ""  # the document's name, for the page's notes about the conversation
    editing: bool = False  # the last question went back to the question box: the next question replaces it

    def history(self, before: Turn | None = None) -> tuple[tuple[str, str], ...]:
        """(question, raw answer) of the finished turns (those before `before` when given), the context of the
        next question."""
        turns = self.turns
        if before is not None:
            turns = turns[:next((n for n, turn in enumerate(turns) if turn is before), len(turns))]
        return tuple((t.asked or t.question, t.raw) for t in turns if t.status in ("done", "stopped") and t.raw)

    @property
    def active(self) -> bool:
        """Some turn is being answered or waits to be."""
        return any(turn.active for turn in self.turns)

    def to_markdown(self, prepared: PreparedDocument | None, model: str = "",
                    words: Callable[..., str] | None = None, lang: str = DEFAULT_LANG) -> str:
        """The conversation as Markdown. `words(key, **values)` gives the headings in a language (the UI's
        catalogue lookup); without it they are English. Errors are said in `lang`."""
        word = words or (lambda key, **values: EXPORT_WORDS[key].format(**values))
        name = prepared.doc.name if prepared else word("export_no_document")
        lines = [f"# {word('export_title', name=name)}", ""]
        if prepared:
            s = prepared.summary()
            lines += [word("export_summary", pages=s["pages"], chars=f"{s['characters']:,}",
                           visual=f"{s['visual_tokens']:,}", model=word("export_model", model=model) if model else "",
                           when=time.strftime("%Y-%m-%d %H:%M")), ""]
        for number, turn in enumerate(self.turns, 1):
            lines += [f"## {word('export_question', n=number)}", "", turn.question, ""]
            if turn.thinking:
                lines += [f"<details><summary>{word('export_thinking')}</summary>", "", turn.thinking.strip(), "",
                          "</details>", ""]
            lines += [f"**{word('export_answer')}**", "", turn.answer.strip() or word("export_no_answer"), ""]
            if turn.status == "stopped":
                lines += [f"*{word('export_stopped')}*", ""]
            if turn.error:
                lines += [f"*{word('export_error', error=say(turn.error, lang))}*", ""]
        return "\n".join(lines)


# The export's headings when no language is given (the UI passes its catalogue's; both say the same)
EXPORT_WORDS = {
    "export_title": "Glyph conversation: {name}", "export_no_document": "no document",
    "export_summary": "{pages} pages, {chars} characters, {visual} visual tokens{model}, exported {when}.",
    "export_model": ", model {model}", "export_question": "Question {n}", "export_thinking": "Thinking",
    "export_answer": "Answer", "export_no_answer": "(no answer)", "export_stopped": "(stopped before the end)",
    "export_error": "Error: {error}",
}


MAX_KEPT = 16  # conversations a session keeps besides the one shown


@dataclass
class Conversations:
    """The conversations of one browser session: the one `current`ly shown, and the others `kept` by their
    document's key, so that a conversation comes back when its document is shown again (the least recently shown
    first out past `max_kept`). `said` holds the document notes already said in this session (said once).

    The page's handlers change it in place and never replace it, so that an answer still streaming into one of
    its conversations (on another thread) and the events of the page see the same state.
    """

    current: Conversation = field(default_factory=Conversation)
    kept: dict[str, Conversation] = field(default_factory=dict)  # insertion order: least recently shown first
    said: list[str] = field(default_factory=list)
    asked: int = 0  # questions asked so far: the next Turn.seq
    max_kept: int = MAX_KEPT

    @property
    def doc_id(self) -> str | None:
        """The id of the prepared document shown."""
        return self.current.doc_id

    def show(self, key: str, doc_id: str, name: str = "") -> tuple[Conversation, bool]:
        """Show the conversation about document `key` (the kept one, or a new one), now over the prepared document
        `doc_id` (the same document read again, at another DPI say, keeps its conversation); the one shown so far
        is kept. Returns it and whether it came back with turns."""
        if self.current.key == key:
            self.current.doc_id = doc_id
            return self.current, False
        self._keep_current()
        conv = self.kept.pop(key, None) or Conversation(key=key)
        conv.doc_id, conv.name = doc_id, name or conv.name
        self.current = conv
        return conv, bool(conv.turns)

    def set_aside(self) -> None:
        """Show no document: the conversation shown so far is kept for when its document comes back."""
        self._keep_current()
        self.current = Conversation()

    def add(self, question: str, status: str = "queued") -> Turn:
        """A new question in the conversation shown (replacing the last one when it is being edited)."""
        conv = self.current
        if conv.editing and conv.turns and not conv.turns[-1].active:
            conv.turns.pop()
        conv.editing = False
        self.asked += 1
        turn = Turn(question=question, status=status, seq=self.asked)
        conv.turns.append(turn)
        return turn

    def requeue(self, turn: Turn) -> None:
        """Ask a turn again: it goes back to the queue, after every question asked so far."""
        turn.reset()
        self.asked += 1
        turn.status, turn.seq = "queued", self.asked

    def next_queued(self) -> tuple[Conversation, Turn] | None:
        """The queued turn asked first, over all conversations, with its conversation."""
        found = [(turn.seq, n, conv, turn) for n, conv in enumerate(self.all())
                 for turn in conv.turns if turn.status == "queued"]
        if not found:
            return None
        _, _, conv, turn = min(found, key=lambda item: item[:2])
        return conv, turn

    def all(self) -> list[Conversation]:
        """The conversation shown, then the kept ones (a copy: the page's events change them meanwhile)."""
        return [self.current, *self.kept.copy().values()]

    def note_once(self, note: str) -> bool:
        """True the first time a note is said in this session."""
        if note in self.said:
            return False
        self.said.append(note)
        del self.said[:-256]  # bounded: the oldest may be said again
        return True

    def _keep_current(self) -> None:
        old = self.current
        if old.key is None or not old.turns:
            return
        old.editing = False
        self.kept.pop(old.key, None)
        self.kept[old.key] = old
        while len(self.kept) > self.max_kept:
            # the least recently shown goes, unless it is still being answered (then the next one)
            victim = next((key for key, conv in self.kept.items() if not conv.active), None)
            if victim is None:
                break
            del self.kept[victim]


def build_request(prepared: PreparedDocument, question: str, history=(), *,
                  identifiers: bool = True) -> tuple[AnswerRequest, str]:
    """The one way an answer request is built, for the page, the API and the CLI: the prepared pages, the question
    (with the identifiers it is about, as plain text, when `identifiers`), the turns so far. Returns the request
    and the question as the model gets it."""
    asked = prepared.question_for_model(question) if identifiers else question
    request = AnswerRequest(pages=prepared.pages.images, pages_key=prepared.key, question=asked,
                            history=tuple(history), dpi=prepared.pages.config.dpi)
    return request, asked


def stream_turn(backend: Backend, prepared: PreparedDocument, conversation: Conversation, question: str,
                settings: GenerationSettings, stop: threading.Event, *,
                identifiers: bool = True) -> Iterator[Turn]:
    """Append a turn for question and yield it as the answer streams in; errors end up in the turn.

    With `identifiers`, long exact strings of the document that the question is about go to the model as
    plain text after the question (vision models misread them from the pages).
    """
    turn = Turn(question=question)
    conversation.turns.append(turn)
    yield turn
    yield from fill_turn(backend, prepared, conversation, turn, settings, stop, identifiers=identifiers)


def fill_turn(backend: Backend, prepared: PreparedDocument, conversation: Conversation, turn: Turn,
              settings: GenerationSettings, stop: threading.Event, *, identifiers: bool = True) -> Iterator[Turn]:
    """Stream the answer to a turn already in the conversation (the last, or a queued one) into it, yielding it
    at each event; the context is the finished turns before it. Errors end up in the turn."""
    history = conversation.history(before=turn)
    request, asked = build_request(prepared, turn.question, history, identifiers=identifiers)
    if asked != turn.question:
        turn.asked = asked
    try:
        for event in backend.answer(request, settings, stop):
            if event.kind == "text":
                turn.answer += event.text
            elif event.kind == "thinking":
                turn.thinking += event.text
            elif event.kind == "done":
                turn.raw = event.raw
                turn.usage = asdict(event.usage) if event.usage else None
                turn.status = "stopped" if event.usage and event.usage.finish_reason == "cancelled" else "done"
            if turn.status == "waiting":
                turn.status = "streaming"
            turn.place = turn.reading = 0  # the model has begun: no longer waiting or reading
            yield turn
    except GlyphError as exc:
        turn.status, turn.error, turn.place, turn.reading = "error", exc.as_message(), 0, 0
        yield turn
        return
    if turn.status in ("waiting", "streaming"):  # a backend that ended without its "done" event
        turn.status, turn.error = "error", Message("conversation.ended_unexpectedly")
        yield turn

