"""Backends: the one small interface that the UI and the API call to get answers.

"local" runs the model in this process (engine/); "openai" (openai.py) sends the pages to an OpenAI-compatible
server (vLLM, SGLang, another glyph-web). A backend streams StreamEvents for an AnswerRequest and reports its
state; the UI and the API never import torch.
"""

from __future__ import annotations

import threading
from typing import Iterator, Protocol

from glyph_web.contracts import AnswerRequest, GenerationSettings, ModelState, StreamEvent

__all__ = ["AnswerRequest", "Backend", "GenerationSettings", "LocalBackend", "ModelState", "make_backend",
           "model_manager", "wait_ready"]


class Backend(Protocol):
    name: str

    def state(self) -> ModelState: ...

    def start(self) -> None:
        """Begin loading in the background; returns at once."""

    def answer(self, request: AnswerRequest, settings: GenerationSettings,
               stop: threading.Event) -> Iterator[StreamEvent]: ...

    def count_tokens(self, text: str) -> int | None: ...

    def kv_geometry(self) -> dict | None:
        """{layers, heads, dim, bytes}: the model's KV cache per token, when known."""

    def set_cache_enabled(self, enabled: bool) -> None: ...

    def reload(self, *, load_in_4bit: bool) -> None:
        """Load the model again with other options (in the background)."""


class LocalBackend:
    """The model in this process, through ModelManager."""

    name = "local"

    def __init__(self, manager):
        self.manager = manager

    def state(self) -> ModelState:
        return self.manager.state

    def start(self) -> None:
        self.manager.load_in_background()

    def answer(self, request: AnswerRequest, settings: GenerationSettings,
               stop: threading.Event) -> Iterator[StreamEvent]:
        return self.manager.answer(request, settings, stop)

    def count_tokens(self, text: str) -> int | None:
        return self.manager.count_tokens(text)

    def kv_geometry(self) -> dict | None:
        return self.manager.kv_geometry()

    def set_cache_enabled(self, enabled: bool) -> None:
        runtime = self.manager.runtime
        if runtime is not None:
            runtime.cache.enabled = enabled and runtime.cache.budget_bytes > 0
            if not enabled:
                runtime.cache.clear()
        self.manager.cache_enabled = enabled

    def reload(self, *, load_in_4bit: bool) -> None:
        threading.Thread(target=self.manager.reload, kwargs={"load_in_4bit": load_in_4bit},
                         name="glyph-model-reload", daemon=True).start()


def model_manager(settings):
    """A ModelManager for these settings (not loaded yet)."""
    from glyph_web.engine.manager import ModelManager

    return ModelManager(settings.model, load_in_4bit=settings.load_in_4bit, device=settings.device,
                        cache_gb=settings.kv_cache_gb, cache_enabled=settings.kv_cache)


def make_backend(settings) -> Backend:
    """The backend the settings ask for: the model in this process, or an OpenAI-compatible server."""
    if settings.backend == "openai":
        from glyph_web.backends.openai import OpenAIBackend

        return OpenAIBackend(settings.api_base, settings.api_model or settings.model, settings.backend_api_key)
    return LocalBackend(model_manager(settings))


def wait_ready(backend: Backend, timeout_s: float = 600) -> ModelState:
    """Start the backend and block until it is ready or has failed (for the CLI); its last state."""
    import time

    backend.start()
    deadline = time.monotonic() + timeout_s
    state = backend.state()
    while state.status in ("not_loaded", "loading") and time.monotonic() < deadline:
        time.sleep(0.05)
        state = backend.state()
    return state
