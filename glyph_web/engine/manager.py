"""The model in this process: loaded once (bf16 on a GPU, fp32 on CPU, or 4-bit NF4), state reported, and
answers streamed with prefix reuse. The only stage that imports torch, and only when a model loads.

Loading follows the Glyph README: AutoProcessor + AutoModelForImageTextToText. A failed load leaves the
process running with the reason in `state`. Answers run one at a time on the runtime's decode thread (one
answer on the device at a time, whichever thread consumes it); a stop request ends one within one decoding step.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from glyph_web.contracts import AnswerRequest, GenerationSettings, ModelState, StreamEvent
from glyph_web.errors import EngineError, GlyphError, Message

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "zai-org/Glyph"
TINY = "tiny"

class ModelManager:
    """Loads one model once per process and answers requests against it."""

    def __init__(self, model: str = DEFAULT_MODEL, *, load_in_4bit: bool = False, device: str | None = None,
                 cache_gb: float = 4.0, cache_enabled: bool = True, tiny_dir: str | Path | None = None):
        self.model_name = model
        self.load_in_4bit = load_in_4bit
        self.requested_device = device
        self.cache_gb = cache_gb
        self.cache_enabled = cache_enabled
        self.tiny_dir = Path(tiny_dir) if tiny_dir else _default_cache_dir() / "tiny-glm4v"
        self._state = ModelState(model=model)
        self._load_lock = threading.Lock()
        self._runtime = None  # engine.generate.Runtime once loaded

    # --- state and loading ---------------------------------------------------------------------------

    @property
    def state(self) -> ModelState:
        runtime = self._runtime
        if runtime is not None and self._state.status == "ready":
            return replace(self._state, memory_gb=runtime.memory_gb())
        return self._state

    def load(self) -> ModelState:
        """Load the model unless it is loaded (blocking, thread-safe); the outcome is in the returned state."""
        with self._load_lock:
            if self._state.status == "ready":
                return self.state
            self._set(status="loading", detail=Message("engine.step_starting"), progress=0.0)
            try:
                from glyph_web.engine.generate import Runtime

                path = self._resolve_path()
                self._runtime = Runtime.load(path, load_in_4bit=self.load_in_4bit, device=self.requested_device,
                                             cache_gb=self.cache_gb, cache_enabled=self.cache_enabled,
                                             progress=lambda step, frac: self._set(detail=step, progress=frac))
            except Exception as exc:  # every failure is reported, none ends the process
                reason = _explain_load_failure(exc, self.model_name, self.load_in_4bit)
                logger.warning("model load failed: %s", reason)
                logger.debug("model load failure", exc_info=True)
                self._runtime = None
                self._set(status="failed", detail=reason, progress=None)
                return self.state
            rt = self._runtime
            rt.cache.enabled = self.cache_enabled and rt.cache.budget_bytes > 0  # switched during the load?
            self._set(status="ready", detail="", progress=None, device=rt.device_name, precision=rt.precision,
                      noise=rt.noise)
            logger.info("model %s ready on %s (%s)", self.model_name, rt.device_name, rt.precision)
            return self.state

    def load_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.load, name="glyph-model-load", daemon=True)
        thread.start()
        return thread

    def reload(self, *, load_in_4bit: bool | None = None) -> ModelState:
        """Drop the loaded model (freeing device memory) and load again, e.g. to switch 4-bit on or off.

        Answers already asked for finish first (the runtime's close waits for them)."""
        with self._load_lock:
            if load_in_4bit is not None:
                self.load_in_4bit = load_in_4bit
            runtime, self._runtime = self._runtime, None
            self._state = ModelState(model=self.model_name)
            if runtime is not None:
                runtime.close()
        return self.load()

    # --- answering -----------------------------------------------------------------------------------

    def answer(self, request: AnswerRequest, settings: GenerationSettings | None = None,
               stop: threading.Event | None = None) -> Iterator[StreamEvent]:
        """Stream the answer; EngineError when the model is not ready or the prompt does not fit."""
        runtime = self._runtime
        if runtime is None or self._state.status != "ready":
            state = self._state
            if state.status == "failed":
                raise EngineError("engine.not_available", reason=state.detail)
            raise EngineError("engine.loading" if state.status == "loading" else "engine.not_loaded")
        settings = settings or GenerationSettings()
        stop = stop or threading.Event()
        yield from runtime.answer(request, settings, stop)

    def count_tokens(self, text: str) -> int | None:
        """Text tokens of the model's tokenizer, or None before the model is loaded."""
        runtime = self._runtime
        return runtime.count_tokens(text) if runtime is not None else None

    def kv_geometry(self) -> dict | None:
        """{layers, heads, dim, bytes} of the loaded model's KV cache per token, or None before loading."""
        runtime = self._runtime
        return dict(runtime.kv_geometry) if runtime is not None else None

    @property
    def runtime(self):
        """The loaded Runtime (for tests and benchmarks), or None."""
        return self._runtime

    # --- helpers -------------------------------------------------------------------------------------

    def _set(self, **changes) -> None:
        self._state = replace(self._state, **changes)

    def _resolve_path(self) -> str:
        """A local folder to load from: the tiny model (built once), a folder, or a hub id's cached download."""
        name = self.model_name
        if name == TINY:
            from glyph_web.engine.tiny import is_tiny, make_tiny_model

            if not is_tiny(self.tiny_dir):
                self._set(detail=Message("engine.step_building_tiny"), progress=0.05)
                make_tiny_model(self.tiny_dir)
            return str(self.tiny_dir)
        path = Path(name).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise EngineError("engine.no_config", name=name)
            return str(path)
        if name.startswith((".", "/", "~")) or name.count("/") != 1:
            raise EngineError("engine.folder_missing", name=name, default=DEFAULT_MODEL)
        return _hub_snapshot(name, lambda step: self._set(detail=step, progress=0.1))


HUB_HOST = ("huggingface.co", 443)


def _hub_snapshot(repo_id: str, report: Callable[[str], None]) -> str:
    """The local folder of a hub model: the cached copy, or a download when the hub can be reached.

    Without network, transformers spends minutes in retries before it gives up; a quick connection test first
    turns that into an immediate, clear failure.
    """
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, local_files_only=True)
    except Exception:  # not in the local cache (or incomplete): download it if we can
        pass
    if os.environ.get("HF_HUB_OFFLINE") or not _reachable(*HUB_HOST):
        raise EngineError("engine.offline", name=repo_id)
    report(Message("engine.step_downloading", model=repo_id))
    return snapshot_download(repo_id)


def _reachable(host: str, port: int, timeout_s: float = 3.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "glyph-web"


def _explain_load_failure(exc: Exception, model: str, load_in_4bit: bool) -> Message:
    """A sentence for a person, by key (the status line says it in the page's language): what went wrong and
    what to do."""
    text = f"{type(exc).__name__}: {exc}"
    lowered = text.lower()
    if isinstance(exc, GlyphError):
        return exc.as_message()
    if "out of memory" in lowered or "outofmemory" in lowered:
        return Message("engine.load_failed_oom_4bit" if load_in_4bit else "engine.load_failed_oom", model=model)
    if "bitsandbytes" in lowered:
        return Message("engine.load_failed_bitsandbytes")
    if Path(model).expanduser().is_dir():
        return Message("engine.load_failed_checkpoint", model=model, detail=_short(exc))
    return Message("engine.load_failed", model=model, detail=_short(exc))


def _short(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first[:240]


def wait_for(manager: ModelManager, timeout_s: float = 600) -> ModelState:
    """Block until the model is ready or failed (for CLIs)."""
    deadline = time.monotonic() + timeout_s
    while manager.state.status in ("loading", "not_loaded") and time.monotonic() < deadline:
        time.sleep(0.05)
    return manager.state
