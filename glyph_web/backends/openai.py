"""The "openai" backend: the pages go as images to an OpenAI-compatible server (vLLM, SGLang, another glyph-web).

The app stays the document front end (upload, render, chat); generation, batching and the KV cache are the
server's job. For the server's prefix cache to hit on follow-up questions, every turn sends the same bytes
first: the pages as PNG data URLs in page order (encoded once per set of pages and kept), then the question,
so a follow-up's prompt starts with the previous one byte for byte. Earlier answers go back as their visible
text only, as the local engine sends them. Thinking arrives in `reasoning_content` (or `reasoning`, vLLM's newer
name) when the server parses it (vLLM/SGLang `--reasoning-parser glm45`); otherwise <think> tags in the content
are split here, and GLM-V markers such as <|begin_of_box|> are dropped. No torch.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Iterator

import httpx

from glyph_web.contracts import AnswerRequest, GenerationSettings, ModelState, StreamEvent, Usage
from glyph_web.errors import EngineError, Message
from glyph_web.stream import ThinkSplitter, history_turns

logger = logging.getLogger(__name__)

POLL_S = 5.0


class OpenAIBackend:
    name = "openai"

    def __init__(self, api_base: str, model: str, api_key: str | None = None, *, timeout_s: float = 600.0,
                 transport: httpx.BaseTransport | None = None):
        self.api_base = api_base.rstrip("/")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.api_base, headers=headers, transport=transport,
                                   timeout=httpx.Timeout(timeout_s, connect=10.0))
        self._state = ModelState(status="not_loaded", model=model, device=f"remote ({self.api_base})")
        self._urls: OrderedDict[str, list[str]] = OrderedDict()  # pages_key -> PNG data URLs
        self._lock = threading.Lock()
        self._started = False

    # --- state -------------------------------------------------------------------------------------------

    def state(self) -> ModelState:
        return self._state

    def start(self) -> None:
        """Check the server in the background until it answers with this model; returns at once."""
        if self._started:
            return
        self._started = True
        threading.Thread(target=self._watch, name="glyph-remote-check", daemon=True).start()

    def check(self) -> ModelState:
        """Ask the server for its models once and set the state from the answer."""
        try:
            response = self.client.get("/models", timeout=10.0)
        except httpx.HTTPError as exc:
            self._state = ModelState(status="loading", model=self.model, device=self._state.device,
                                     detail=Message("backends.waiting_for_server", url=self.api_base,
                                                    error=type(exc).__name__))
            return self._state
        if response.status_code == 401:
            self._state = ModelState(status="failed", model=self.model, device=self._state.device,
                                     detail=Message("backends.key_refused", url=self.api_base))
            return self._state
        try:
            served = [m.get("id") for m in response.json().get("data", [])]
        except (ValueError, AttributeError):
            served = []
        if response.status_code != 200 or self.model not in served:
            names = ", ".join(map(str, served))
            if response.status_code != 200:
                detail = Message("backends.server_status", url=self.api_base, status=response.status_code)
            elif names:
                detail = Message("backends.serves_other", url=self.api_base, served=names, model=self.model)
            else:
                detail = Message("backends.serves_none", url=self.api_base, model=self.model)
            self._state = ModelState(status="failed" if response.status_code == 200 else "loading",
                                     model=self.model, device=self._state.device, detail=detail)
            return self._state
        self._state = ModelState(status="ready", model=self.model, device=self._state.device, precision="remote")
        return self._state

    def _watch(self) -> None:
        while True:
            if self.check().status == "ready":
                return
            time.sleep(POLL_S)

    def count_tokens(self, text: str) -> int | None:
        return None  # the tokenizer lives with the server

    def kv_geometry(self) -> dict | None:
        return None  # the model's configuration lives with the server

    def set_cache_enabled(self, enabled: bool) -> None:
        pass  # prefix caching is the server's (vLLM --enable-prefix-caching; SGLang's radix cache)

    def reload(self, *, load_in_4bit: bool) -> None:
        logger.info("reload asked of a remote model server: nothing to do here")

    # --- answers -----------------------------------------------------------------------------------------

    def page_urls(self, request: AnswerRequest) -> list[str]:
        """The pages as PNG data URLs, the same bytes on every turn about the same pages."""
        with self._lock:
            urls = self._urls.get(request.pages_key)
            if urls is not None:
                self._urls.move_to_end(request.pages_key)
                return urls
        import numpy as np

        from glyph_web.render.png import encode_png

        urls = ["data:image/png;base64," + base64.b64encode(encode_png(np.asarray(img.convert("RGB")))).decode()
                for img in request.pages]
        with self._lock:
            self._urls[request.pages_key] = urls
            while len(self._urls) > 8:
                self._urls.popitem(last=False)
        return urls

    def messages(self, request: AnswerRequest) -> list[dict]:
        """Pages first, in order, with the first question; then the turns so far (visible answers only, a turn
        stopped before any answer left out); then the question."""
        turns = [*history_turns(request.history), (request.question, None)]
        images = [{"type": "image_url", "image_url": {"url": url}} for url in self.page_urls(request)]
        out = []
        for number, (question, answer) in enumerate(turns):
            content = [*images, {"type": "text", "text": question}] if number == 0 else question
            out.append({"role": "user", "content": content})
            if answer is not None:
                out.append({"role": "assistant", "content": answer})
        return out

    def answer(self, request: AnswerRequest, settings: GenerationSettings,
               stop: threading.Event) -> Iterator[StreamEvent]:
        body = {"model": self.model, "messages": self.messages(request), "stream": True,
                "stream_options": {"include_usage": True}, "max_tokens": settings.max_new_tokens,
                "temperature": settings.temperature, "top_p": settings.top_p,
                "repetition_penalty": settings.repetition_penalty}
        if settings.seed is not None:
            body["seed"] = settings.seed
        started = time.perf_counter()
        splitter = ThinkSplitter()
        raw = []
        usage_json: dict = {}
        finish = "stop"
        first = None
        try:
            with self.client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    raise self._refusal(response)
                for line in response.iter_lines():
                    if stop.is_set():
                        finish = "cancelled"
                        break
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    if "error" in chunk:
                        raise EngineError("backends.server_failed",
                                          message=chunk["error"].get("message", chunk["error"]))
                    usage_json = chunk.get("usage") or usage_json
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") or {}
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
                        thinking = delta.get("reasoning_content") or delta.get("reasoning")
                        if thinking:
                            first = first or time.perf_counter() - started
                            yield StreamEvent("thinking", thinking)
                        content = delta.get("content")
                        if content:
                            first = first or time.perf_counter() - started
                            raw.append(content)
                            for kind, text in splitter.feed(content):
                                yield StreamEvent(kind, text)
        except httpx.HTTPError as exc:
            raise EngineError("backends.no_answer", url=self.api_base, error=f"{type(exc).__name__}: {exc}") from None
        for kind, text in splitter.flush():
            yield StreamEvent(kind, text)
        details = usage_json.get("prompt_tokens_details") or {}
        from glyph_web.render.tokens import visual_tokens

        usage = Usage(prompt_tokens=int(usage_json.get("prompt_tokens") or 0),
                      visual_tokens=sum(visual_tokens(*img.size) for img in request.pages),
                      completion_tokens=int(usage_json.get("completion_tokens") or 0),
                      cached_tokens=int(details.get("cached_tokens") or 0), ttft_s=first,
                      total_s=time.perf_counter() - started,
                      finish_reason=finish if finish in ("stop", "length", "cancelled") else "stop")
        yield StreamEvent("usage", usage=usage)
        yield StreamEvent("done", usage=usage, raw="".join(raw))

    def _refusal(self, response: httpx.Response) -> EngineError:
        """The server's error answer, with its own message (a technical detail, as the server wrote it)."""
        response.read()
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        return EngineError("backends.answered_error", status=response.status_code, message=message)
