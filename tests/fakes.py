"""The test doubles and helpers shared by the test modules: a Backend without a model that streams scripted
events, the events of one scripted answer, OpenAI request parts, and the app served on loopback in a thread.
No torch."""

from __future__ import annotations

import base64
import socket
import threading
import time

import httpx

from glyph_web.contracts import AnswerRequest, GenerationSettings, ModelState, StreamEvent, Usage
from glyph_web.errors import EngineError
from glyph_web.settings import Settings

READY = ModelState(status="ready", model="fake/glyph", device="CPU", precision="fp32")


class FakeBackend:
    """A Backend that streams scripted events, reports a settable state and records what it was asked.

    `raise_after=N` raises `error` once N events have been yielded. When `stop` is set, the stream ends at the
    next event with a "done" event whose finish_reason is "cancelled", as the real engine does.
    """

    name = "fake"

    def __init__(self, events=(), *, raise_after: int | None = None, error: Exception | None = None,
                 state: ModelState = READY):
        self.events = list(events)
        self.raise_after = raise_after
        self.error = error or EngineError("engine.not_available", reason="fake failure")
        self.model_state = state  # tests set it to move the fake between loading, ready and failed
        self.requests: list[AnswerRequest] = []
        self.generation: list[GenerationSettings] = []
        self.cache_enabled = True
        self.reloads: list[bool] = []
        self.starts = 0

    def state(self) -> ModelState:
        return self.model_state

    def start(self) -> None:
        self.starts += 1

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def set_cache_enabled(self, enabled: bool) -> None:
        self.cache_enabled = enabled

    def reload(self, *, load_in_4bit: bool) -> None:
        self.reloads.append(load_in_4bit)

    def answer(self, request, settings, stop):
        self.requests.append(request)
        self.generation.append(settings)
        return self._stream(list(self.events), stop)

    def _stream(self, events, stop):
        thinking = answer = ""
        for number, event in enumerate(events):
            if number == self.raise_after:
                raise self.error
            if stop.is_set():
                raw = f"<think>{thinking}</think>{answer}" if thinking else answer
                yield StreamEvent("done", usage=Usage(completion_tokens=number, finish_reason="cancelled"), raw=raw)
                return
            thinking += event.text if event.kind == "thinking" else ""
            answer += event.text if event.kind == "text" else ""
            yield event
        if self.raise_after is not None and self.raise_after >= len(events):
            raise self.error


class EndlessBackend(FakeBackend):
    """Writes until stopped; says when it started and when it saw the stop."""

    def __init__(self):
        super().__init__()
        self.started, self.stopped = threading.Event(), threading.Event()

    def answer(self, request, settings, stop):
        def events():
            self.started.set()
            while not stop.wait(0.01):
                yield StreamEvent("text", "more ")
            self.stopped.set()
            usage = Usage(completion_tokens=1, finish_reason="cancelled")
            yield StreamEvent("done", usage=usage, raw="more")
        return events()


class HeldBackend(FakeBackend):
    """Answers only once `release` is set (or the answer is stopped); says when the first answer started."""

    def __init__(self):
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def answer(self, request, settings, stop):
        def events():
            self.started.set()
            while not (self.release.wait(0.01) or stop.is_set()):
                yield StreamEvent("text", ".")
            yield StreamEvent("done", usage=Usage(completion_tokens=1), raw="done")
        return events()


def script(answer: str, thinking: str = "", completion_tokens: int = 9) -> list[StreamEvent]:
    """What a backend streams for one answer: word-sized deltas, then the done event with the raw text."""
    events = [StreamEvent("thinking", word) for word in _deltas(thinking)]
    events += [StreamEvent("text", word) for word in _deltas(answer)]
    raw = f"<think>{thinking}</think><answer>{answer}</answer>" if thinking else answer
    usage = Usage(prompt_tokens=120, visual_tokens=100, completion_tokens=completion_tokens, ttft_s=0.1,
                  total_s=0.5)
    return events + [StreamEvent("done", usage=usage, raw=raw)]


def _deltas(text: str) -> list[str]:
    return [word + " " for word in text.split(" ")[:-1]] + [text.split(" ")[-1]] if text else []


# --- OpenAI request parts and a live app ------------------------------------------------------------------

DOC = "The harbour master logged 41 ships in March. The pilot boat Gull needed a new engine.\n" * 40


def data_url(data: bytes, kind: str) -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode()


def file_part(text: str = DOC, name: str = "harbour.txt") -> dict:
    return {"type": "file", "file": {"filename": name, "file_data": data_url(text.encode(), "text/plain")}}


def ask_messages(question: str = "How many ships were logged?", *parts) -> list[dict]:
    return [{"role": "user", "content": [*(parts or [file_part()]), {"type": "text", "text": question}]}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """create_app on uvicorn in a thread, on loopback."""

    def __init__(self, settings: Settings, backend=None):
        import uvicorn

        from glyph_web.server import create_app

        self.port = free_port()
        self.app, self.backend = create_app(settings, backend=backend)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the app did not get ready: {self.backend.state()}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
