"""Conversations over a prepared document: turns, streaming an answer into a turn, Markdown export.

No torch, no gradio. The page keeps per-user state as a Conversation (strings only, cheap to copy) plus the id
of a PreparedDocument held server-side in a Library.
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
    status: str = "waiting"  # waiting | streaming | done | stopped | error
    error: str = ""  # a Message where the error has a key (the page says it in its language), English as a str
    usage: dict | None = None


@dataclass
class Conversation:
    """The turns of one user about one prepared document."""

    doc_id: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> tuple[tuple[str, str], ...]:
        """(question, raw answer) of the finished turns, the context of the next question."""
        return tuple((t.asked or t.question, t.raw) for t in self.turns if t.status in ("done", "stopped") and t.raw)

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
    history = conversation.history()
    turn = Turn(question=question)
    conversation.turns.append(turn)
    yield turn
    request, asked = build_request(prepared, question, history, identifiers=identifiers)
    if asked != question:
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
            yield turn
    except GlyphError as exc:
        turn.status, turn.error = "error", exc.as_message()
        yield turn
        return
    if turn.status in ("waiting", "streaming"):  # a backend that ended without its "done" event
        turn.status, turn.error = "error", Message("conversation.ended_unexpectedly")
        yield turn

