"""The OpenAI-compatible API: POST /v1/chat/completions and GET /v1/models, beside the page on the same server.

Documents come as content parts of user messages, in the order given: `file` parts
({"type": "file", "file": {"filename": ..., "file_data": "data:...;base64,..."}}) and `image_url` parts with
data URLs (the server fetches nothing). They go through the documents module and the renderer exactly as
uploads do (and share the page cache), within a budget checked before anything is decoded: the number of
pictures, each part's and all parts' declared bytes, the pictures' pixels from their headers (see
_read_documents). The last user message's text is the question; earlier user/assistant pairs are the
conversation so far. Answers stream as server-sent events ending in `data: [DONE]`, with the
thinking in `reasoning_content` and in `reasoning` (vLLM's newer name; clients read either) and a last chunk
carrying `usage` (prompt, visual and completion tokens).
Errors have OpenAI's shape: {"error": {"message", "type", "param", "code"}} with 400, 401, 413, 415, 429 or
503, and 500 (`internal_error`, logged) for a bug: never a plain-text error.
No torch, no gradio.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from fastapi import Request  # at module level: FastAPI resolves the routes' (string) annotations here

from glyph_web.access import Admission, Busy, Credentials, FailureThrottle, RateLimiter, client_address, retry_after
from glyph_web.backends import AnswerRequest, GenerationSettings
from glyph_web.chat import Library, RenderOptions
from glyph_web.errors import GlyphError, TooLargeError
from glyph_web.settings import Settings

logger = logging.getLogger(__name__)

MB = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param
        self.headers = headers or {}

    def response(self):
        from fastapi.responses import JSONResponse

        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


@dataclass
class Service:
    """What the API routes share with the rest of the app."""

    settings: Settings
    backend: Any
    library: Library
    metrics: Any
    admission: Admission
    limiter: RateLimiter
    credentials: Credentials
    failures: FailureThrottle
    proxies: tuple = ()  # --trusted-proxies, parsed

    @property
    def body_limit(self) -> int:
        # documents travel base64-encoded (4/3) inside JSON; one MB of room for the rest of the request
        return int(self.settings.max_upload_mb * MB * 4 / 3) + MB

    def model_name(self) -> str:
        return self.backend.state().model or self.settings.model

    def options(self) -> RenderOptions:
        s = self.settings
        return RenderOptions(dpi=s.dpi or 72, newline=s.newline or "br", lang=s.lang, config_path=s.render_config,
                             engine=s.engine, fonts_dir=s.fonts_dir, max_pages=s.max_pages)


def build_router(service: Service):
    from fastapi import APIRouter
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse, StreamingResponse

    router = APIRouter()

    def guard(request: Request) -> None:
        """Auth (with failures throttled per address), then the rate limit of the principal the credential
        names, or of the address without auth (after auth, so that strangers cannot spend a client's)."""
        address = client_address(request.client.host if request.client else None,
                                 request.headers.get("x-forwarded-for"), service.proxies)
        principal = None
        if service.credentials.enabled:
            wait = service.failures.wait(address)
            if wait:
                raise ApiError(429, f"Too many failed sign-ins from this address: try again in {retry_after(wait)} s.",
                               "rate_limit_error", "too_many_failures", headers={"Retry-After": retry_after(wait)})
            principal = service.credentials.principal(request.headers.get("authorization"))
            if principal is None:
                service.failures.failed(address)
                raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer <key>' (GLYPH_API_KEY) "
                                    "or HTTP Basic with a GLYPH_AUTH user.", "authentication_error",
                               "invalid_api_key", headers={"WWW-Authenticate": 'Bearer realm="glyph-web"'})
            service.failures.succeeded(address)
        wait = service.limiter.allow(principal or address)
        if wait:
            raise ApiError(429, f"Too many requests: at most {service.settings.rate_limit:g} a minute per client "
                                f"(GLYPH_RATE_LIMIT). Try again in {retry_after(wait)} s.", "rate_limit_error",
                           "rate_limit_exceeded", headers={"Retry-After": retry_after(wait)})

    def counted(route: str, response):
        service.metrics.requests.labels(route, str(response.status_code)).inc()
        return response

    @router.get("/v1/models")
    def models(request: Request):
        try:
            guard(request)
        except ApiError as exc:
            return counted("/v1/models", exc.response())
        body = {"object": "list", "data": [{"id": service.model_name(), "object": "model", "created": 0,
                                            "owned_by": "glyph-web"}]}
        return counted("/v1/models", JSONResponse(body))

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        route = "/v1/chat/completions"
        started = time.perf_counter()
        try:
            guard(request)
            _require_json(request)
            body = await _read_body(request, service.body_limit)
            payload = _parse_json(body)
            state = service.backend.state()
            if not state.ready:
                raise ApiError(503, f"The model is not ready ({state.status}): {state.detail or 'loading'}.",
                               "server_error", "model_not_ready", headers={"Retry-After": "10"})
            call = await run_in_threadpool(_prepare_call, service, payload)
            stop = threading.Event()
            try:
                await run_in_threadpool(service.admission.enter, stop)
            except Busy as exc:
                raise ApiError(429, str(exc), "rate_limit_error", "queue_full", headers={"Retry-After": "5"})
        except ApiError as exc:
            return counted(route, exc.response())
        slot = _Slot(service.admission, stop)
        events = _generate(service, call, slot, started)
        if call.stream:
            from starlette.background import BackgroundTask

            # the slot is also released after the response, should the stream never have started
            return counted(route, StreamingResponse(_sse(call, events), media_type="text/event-stream",
                                                    headers={"Cache-Control": "no-cache"},
                                                    background=BackgroundTask(slot.release)))
        watcher = asyncio.ensure_future(_stop_on_disconnect(request, slot))
        try:
            result = await run_in_threadpool(_collect, call, events)
        except ApiError as exc:
            return counted(route, exc.response())
        finally:
            watcher.cancel()
        return counted(route, JSONResponse(result))

    return router


def _require_json(request) -> None:
    """Only JSON bodies: a cross-site HTML form can send text/plain or form data without a preflight, never
    application/json, so this keeps other sites' pages from starting generations."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "Send the request as JSON with 'Content-Type: application/json'.",
                       code="unsupported_media_type")


async def _stop_on_disconnect(request, slot: _Slot, every_s: float = 0.25) -> None:
    """A non-streaming request whose client went away stops its generation (a stream stops when its writes
    fail); polled, since the answer is being computed in a worker thread meanwhile."""
    while not slot.stop.is_set():
        if await request.is_disconnected():
            logger.info("client gone: stopping its answer")
            slot.stop.set()
            return
        await asyncio.sleep(every_s)


async def _read_body(request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = ApiError(413, f"The request is larger than {limit // MB} MB: documents may be at most "
                              f"--max-upload-mb (GLYPH_MAX_UPLOAD_MB) each.", code="request_too_large")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return payload


@dataclass
class _Call:
    request: AnswerRequest
    generation: GenerationSettings
    stream: bool
    include_usage: bool
    model: str
    id: str
    created: int


def _prepare_call(service: Service, payload: dict) -> _Call:
    """Validate the request, read and render its documents: an AnswerRequest. ApiError on bad input."""
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list.", param="messages")
    if payload.get("n", 1) != 1:
        raise ApiError(400, "Only n=1 is supported.", param="n")
    s = service.settings
    limit = payload.get("max_completion_tokens", payload.get("max_tokens"))
    generation = GenerationSettings(
        max_new_tokens=min(_number(limit, "max_tokens", int, 1, None) or s.max_new_tokens, s.max_new_tokens),
        temperature=_number(payload.get("temperature"), "temperature", float, 0, 2, s.temperature),
        top_p=_number(payload.get("top_p"), "top_p", float, 1e-9, 1, s.top_p),
        repetition_penalty=_number(payload.get("repetition_penalty"), "repetition_penalty", float, 1e-9, None,
                                   s.repetition_penalty),
        seed=_number(payload.get("seed"), "seed", int, None, None))
    try:
        docs, question, history = _read_messages(messages, service)
        # not kept in the Library: the API never asks for it again (its pages still go through the page cache)
        prepared = service.library.prepare_documents(docs, service.options(), keep=False)
    except ApiError:
        raise
    except GlyphError as exc:
        raise ApiError(400, str(exc), code="bad_document") from None
    except Exception:  # a bug: an error in OpenAI's shape all the same, never a bare 500
        logger.exception("preparing the documents of an API request failed")
        raise ApiError(500, "The documents could not be prepared because of an internal error (it is logged).",
                       "server_error", "internal_error") from None
    asked = prepared.question_for_model(question) if service.settings.identifier_assist else question
    request = AnswerRequest(pages=prepared.pages.images, pages_key=prepared.key, question=asked,
                            history=history, dpi=prepared.pages.config.dpi)
    options = payload.get("stream_options") or {}
    return _Call(request=request, generation=generation, stream=bool(payload.get("stream")),
                 include_usage=bool(options.get("include_usage", True)) if isinstance(options, dict) else True,
                 model=str(payload.get("model") or service.model_name()), id=f"chatcmpl-{uuid.uuid4().hex}",
                 created=int(time.time()))


def _number(value, name: str, kind: type, low, high, default=None):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise ApiError(400, f"'{name}' must be a{'n integer' if kind is int else ' number'}.", param=name)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ApiError(400, f"'{name}' must be {bounds}.", param=name)
    return kind(value)


def _read_messages(messages: list, service: Service):
    """(documents, question, history) from OpenAI messages; the documents are read by _read_documents, within
    the request's budget."""
    pending: list[_Part] = []
    turns: list[list[str]] = []  # [question, answer] pairs in order
    for number, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ApiError(400, f"messages[{number}] must be an object.", param="messages")
        role, content = message.get("role"), message.get("content")
        if role in ("system", "developer"):
            continue  # Glyph's prompt is fixed: the pages and the question
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(parts, list):
            raise ApiError(400, f"messages[{number}].content must be a string or a list of parts.",
                           param="messages")
        texts = []
        for index, part in enumerate(parts):
            where = f"messages[{number}].content[{index}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind in ("file", "image_url") and role == "user":
                pending.append(_part_data(part, kind, where, len(pending) + 1))  # nothing decoded yet
            else:
                raise ApiError(400, f"{where}: unsupported part type {kind!r} for role {role!r} (use text, file "
                                    "or image_url).", param="messages")
        text = "\n".join(t for t in texts if t.strip())
        if role == "user":
            turns.append([text, ""])
        elif role == "assistant":
            if not turns or turns[-1][1]:
                raise ApiError(400, f"messages[{number}]: an assistant message must follow a user message.",
                               param="messages")
            turns[-1][1] = text
        else:
            raise ApiError(400, f"messages[{number}]: unknown role {role!r}.", param="messages")
    if not turns or turns[-1][1] or not turns[-1][0].strip():
        raise ApiError(400, "The last message must be a user message with a text part: the question.",
                       param="messages")
    if not pending:
        raise ApiError(400, "Attach a document to a user message: a 'file' part (PDF, DOCX, TXT, images) or an "
                            "'image_url' part with a data: URL.", param="messages")
    history = tuple((q, a) for q, a in turns[:-1] if q.strip())
    return _read_documents(pending, service.settings), turns[-1][0], history


@dataclass
class _Part:
    """A file or image_url part, validated but not decoded: `data` is its base64 text until _part_bytes."""

    where: str
    name: str
    data: str
    picture: bool  # an image_url part, or a file part that says it is a picture (by type or name)

    @property
    def declared_bytes(self) -> int:
        """The size the base64 text decodes to, from its length alone."""
        padding = 2 if self.data.endswith("==") else 1 if self.data.endswith("=") else 0
        return max(0, len(self.data) * 3 // 4 - padding)


def _read_documents(pending: list[_Part], settings: Settings) -> list:
    """The parts as Documents, each budget checked before the work it bounds: the pictures against the page
    limit before anything is decoded; each part's and all parts' declared size against --max-upload-mb before
    any base64 is decoded; the pictures (counted again, by content) and their pixels, from their headers, before
    any pixel is decoded; then the image pages read so far (pictures and scans) after each document."""
    from glyph_web.documents import image_pages, is_image, load_bytes, too_many_image_pages
    from glyph_web.documents.images import image_size

    limits = settings.limits()
    pictures = sum(part.picture for part in pending)
    if pictures > limits.max_pages:
        raise _too_many_pictures(pictures, limits.max_pages)
    total = 0
    for part in pending:
        size = part.declared_bytes
        if size > limits.max_upload_bytes:
            raise ApiError(413, f"{part.where}: {part.name} is {size / MB:.1f} MB, over the upload limit of "
                                f"{limits.max_upload_mb:g} MB; raise it with --max-upload-mb or "
                                f"GLYPH_MAX_UPLOAD_MB.", code="file_too_large")
        total += size
    if total > limits.max_upload_bytes:
        raise ApiError(413, f"The documents of this request are {total / MB:.1f} MB together, over the limit of "
                            f"{limits.max_upload_mb:g} MB for one request; send fewer or smaller ones, or raise "
                            f"it with --max-upload-mb or GLYPH_MAX_UPLOAD_MB.", code="request_too_large")
    blobs = [_part_bytes(part) for part in pending]
    images = [blob for blob in blobs if is_image(blob[:1024])]  # what load_bytes will read as pictures
    if len(images) > limits.max_pages:
        raise _too_many_pictures(len(images), limits.max_pages)
    pixels = sum(w * h for w, h in filter(None, map(image_size, images)))
    most = int(settings.request_max_megapixels * 1_000_000)
    if pixels > most:
        raise ApiError(413, f"The pictures of this request have {pixels / 1e6:,.0f} million pixels together, over "
                            f"the limit of {settings.request_max_megapixels:g} million for one request; send fewer "
                            f"or smaller pictures, or raise it with --request-max-megapixels or "
                            f"GLYPH_REQUEST_MAX_MEGAPIXELS.", code="request_too_large")
    del images
    docs, pages = [], 0
    for index, part in enumerate(pending):
        blob, blobs[index] = blobs[index], b""  # each upload's bytes go once it is read
        try:
            docs.append(load_bytes(blob, part.name, limits))
        except TooLargeError as exc:
            raise ApiError(413, f"{part.where}: {exc}", code="file_too_large") from None
        except GlyphError as exc:
            raise ApiError(400, f"{part.where}: {exc}", code="bad_document") from None
        pages += image_pages(docs[-1])
        if pages > limits.max_pages:  # scanned PDF pages too: stop before reading more
            exc = too_many_image_pages(pages, limits, "The documents of this request",
                                       at_least=index + 1 < len(pending))
            raise ApiError(400, str(exc), code="too_many_pages")
    return docs


def _too_many_pictures(count: int, limit: int) -> ApiError:
    return ApiError(400, f"This request has {count} pictures (image_url parts and image files), over the limit of "
                         f"{limit} pages: each picture is a page. Send at most {limit}, or raise the limit with "
                         f"--max-pages or GLYPH_MAX_PAGES.", param="messages", code="too_many_pages")


def _part_data(part: dict, kind: str, where: str, number: int) -> _Part:
    """A file or image_url part's name and base64 text, checked but not decoded."""
    from pathlib import PurePath

    from glyph_web.documents import EXTENSIONS

    if kind == "file":
        spec = part.get("file") or {}
        if not isinstance(spec, dict) or not spec.get("file_data"):
            raise ApiError(400, f"{where}: a file part needs file.file_data as a data: URL (file ids are not "
                                "supported).", param="messages")
        name, url = str(spec.get("filename") or f"file-{number}"), spec["file_data"]
    else:
        spec = part.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        name = f"image-{number}"
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ApiError(400, f"{where}: only data: URLs are accepted (the server fetches nothing).",
                       param="messages")
    header, sep, data = url.partition(",")
    if not sep or ";base64" not in header:
        raise ApiError(400, f"{where}: the data: URL must be base64 (data:<type>;base64,<data>).", param="messages")
    media = header[5:].split(";")[0].strip().lower()
    picture = (kind == "image_url" or media.startswith("image/")
               or PurePath(name).suffix.lower() in EXTENSIONS["image"])
    return _Part(where=where, name=name, data=data, picture=picture)


def _part_bytes(part: _Part) -> bytes:
    try:
        return base64.b64decode(part.data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"{part.where}: the base64 data is damaged.", param="messages") from None


class _Slot:
    """A place taken in the Admission, given back once (by whichever comes first: the end of the answer, or
    the end of the response)."""

    def __init__(self, admission: Admission, stop: threading.Event):
        self.admission, self.stop = admission, stop
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        self.stop.set()  # a client that went away stops the generation
        with self._lock:
            held, self._held = self._held, False
        if held:
            self.admission.leave()


def _generate(service: Service, call: _Call, slot: _Slot, started: float) -> Iterator:
    """The backend's events for the call, with the admission slot held until the end and metrics on the way."""
    events = None
    first = None
    try:
        events = service.backend.answer(call.request, call.generation, slot.stop)
        for event in events:
            if first is None and event.kind in ("text", "thinking"):
                first = time.perf_counter() - started
                service.metrics.ttft.observe(first)
            if event.kind == "done" and event.usage is not None:
                service.metrics.tokens.inc(event.usage.completion_tokens)
                service.metrics.prompt_tokens.inc(event.usage.prompt_tokens)
            yield event
        service.metrics.latency.observe(time.perf_counter() - started)
    finally:
        slot.stop.set()
        if events is not None and hasattr(events, "close"):
            events.close()
        slot.release()


_FINISH = {"stop": "stop", "length": "length", "cancelled": "stop"}


def _usage(usage) -> dict:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens, "visual_tokens": usage.visual_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.cached_tokens}}


def _collect(call: _Call, events) -> dict:
    answer, thinking, usage = [], [], None
    try:
        for event in events:
            if event.kind == "text":
                answer.append(event.text)
            elif event.kind == "thinking":
                thinking.append(event.text)
            elif event.kind == "done":
                usage = event.usage
    except GlyphError as exc:
        raise ApiError(500, f"The answer failed: {exc}", "server_error") from None
    finally:
        events.close()
    reasoning = "".join(thinking) or None
    message = {"role": "assistant", "content": "".join(answer), "reasoning_content": reasoning,
               "reasoning": reasoning}
    body = {"id": call.id, "object": "chat.completion", "created": call.created, "model": call.model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": _FINISH.get(usage.finish_reason if usage else "stop", "stop")}]}
    if usage is not None:
        body["usage"] = _usage(usage)
    return body


def _sse(call: _Call, events) -> Iterator[str]:
    def chunk(delta: dict | None, finish: str | None = None, usage=None) -> str:
        body = {"id": call.id, "object": "chat.completion.chunk", "created": call.created, "model": call.model,
                "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if usage is not None:
            body["usage"] = _usage(usage)
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    usage = None
    try:
        for event in events:
            if event.kind == "text" and event.text:
                yield chunk({"content": event.text})
            elif event.kind == "thinking" and event.text:  # both names: vLLM renamed the field, clients read either
                yield chunk({"reasoning_content": event.text, "reasoning": event.text})
            elif event.kind == "done":
                usage = event.usage
    except GlyphError as exc:  # the status line has gone out: the error travels as an event
        error = {"error": {"message": f"The answer failed: {exc}", "type": "server_error", "param": None,
                           "code": None}}
        yield f"data: {json.dumps(error)}\n\n"
        yield "data: [DONE]\n\n"
        return
    yield chunk({}, _FINISH.get(usage.finish_reason if usage else "stop", "stop"))
    if usage is not None and call.include_usage:
        yield chunk(None, usage=usage)
    yield "data: [DONE]\n\n"
