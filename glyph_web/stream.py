"""The split of thinking from answer text in a stream of events (the events themselves are in contracts).

Every front door (CLI, UI, API) consumes the same iterator of StreamEvent. Glyph, like GLM-4.1V, may write
`<think>...</think>` before its answer and wrap the answer in `<answer>...</answer>`; ThinkSplitter turns the raw
text deltas into thinking and answer deltas without the tags, also when a tag arrives split across deltas, and
drops the GLM-V markers such as `<|begin_of_box|>` that a remote server may pass through as text.
`history_turns` gives the earlier turns as the model is shown them again: the visible answer only (GLM-V's README:
the thinking "will not be stored as conversation history"). No torch, no gradio.
"""

from __future__ import annotations

import re

_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
# GLM-V's markup tokens (<|begin_of_box|>, <|end_of_box|>, <|user|> ...): never text for a person
_MARKER = re.compile(r"<\|[A-Za-z_]{1,40}\|>")
_MARKER_START = re.compile(r"<(\|[A-Za-z_]{0,40}(\|)?)?")


class ThinkSplitter:
    """Feed raw text deltas; get (kind, text) pieces with the think/answer tags and GLM-V markers removed."""

    def __init__(self) -> None:
        self._pending = ""
        self._thinking = False

    def feed(self, delta: str) -> list[tuple[str, str]]:
        text = self._pending + delta
        self._pending = ""
        out: list[tuple[str, str]] = []
        while text:
            cut = text.find("<")
            if cut < 0:
                out.append(self._piece(text))
                break
            if cut:
                out.append(self._piece(text[:cut]))
                text = text[cut:]
            tag = next((t for t in _TAGS if text.startswith(t)), None)
            marker = _MARKER.match(text)
            if tag:
                self._thinking = tag == "<think>"
                text = text[len(tag):]
            elif marker:
                text = text[marker.end():]
            elif any(t.startswith(text) for t in _TAGS) or _MARKER_START.fullmatch(text):
                self._pending = text  # maybe the start of a tag: wait for the next delta
                break
            else:
                out.append(self._piece("<"))
                text = text[1:]
        return _merge(out)

    def flush(self) -> list[tuple[str, str]]:
        """What is still held back at the end of the stream."""
        text, self._pending = self._pending, ""
        return [self._piece(text)] if text else []

    def _piece(self, text: str) -> tuple[str, str]:
        return ("thinking" if self._thinking else "text", text)


def _merge(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for kind, text in pieces:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def split_thinking(raw: str) -> tuple[str, str]:
    """(thinking, answer) of a whole generated text."""
    splitter = ThinkSplitter()
    pieces = splitter.feed(raw) + splitter.flush()
    return ("".join(t for k, t in pieces if k == "thinking"), "".join(t for k, t in pieces if k == "text"))


def visible_answer(raw: str) -> str:
    """What a person sees of a generated text: the answer without the thinking, the tags and the markers.

    A turn stopped inside `<think>` has no visible answer yet (""), never an unclosed thinking block.
    """
    return split_thinking(raw)[1].strip()


def history_turns(history) -> list[tuple[str, str]]:
    """(question, visible answer) of the earlier turns, as the model is shown them again; a turn with no
    visible answer (stopped while thinking, or empty) is left out."""
    turns = []
    for question, raw in history:
        answer = visible_answer(raw or "")
        if answer:
            turns.append((question, answer))
    return turns
