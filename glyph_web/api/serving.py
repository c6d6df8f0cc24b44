"""The OpenAI-compatible API's serving: a checked request to an answer, a refusal, or server-sent events.

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

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from glyph_web.api.access import Admission, Credentials, FailureThrottle, RateLimiter
from glyph_web.api.protocol import MB, ApiError, Part, StreamOptions, api_error, chat_request, part_bytes, part_data
from glyph_web.chat import Library, RenderOptions, build_request
from glyph_web.contracts import AnswerRequest, GenerationSettings
from glyph_web.errors import GlyphError, Message
from glyph_web.settings import Settings

logger = logging.getLogger(__name__)


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
        return self.settings.render_options()


@dataclass
class Call:
    request: AnswerRequest
    generation: GenerationSettings
    stream: bool
    include_usage: bool
    model: str
    id: str
    created: int
    lang: str = "en"  # of the client (Accept-Language), for the messages of refusals and failures


def prepare_call(service: Service, payload: dict, lang: str = "en") -> Call:
    """Validate the request, read and render its documents: an AnswerRequest. ApiError on bad input (said in
    `lang` where it comes from the documents or the renderer)."""
    checked = chat_request(payload)
    s = service.settings
    limit = checked.max_completion_tokens or checked.max_tokens
    generation = GenerationSettings(
        max_new_tokens=min(limit or s.max_new_tokens, s.max_new_tokens),
        temperature=s.temperature if checked.temperature is None else checked.temperature,
        top_p=s.top_p if checked.top_p is None else checked.top_p,
        repetition_penalty=s.repetition_penalty if checked.repetition_penalty is None else checked.repetition_penalty,
        seed=checked.seed)
    messages = [m.model_dump() for m in checked.messages]
    try:
        docs, question, history = _read_messages(messages, service, lang)
        # not kept in the Library: the API never asks for it again (its pages still go through the page cache)
        prepared = service.library.prepare_documents(docs, service.options(), keep=False)
    except Exception as exc:  # refusals keep their status; a bug is a logged 500 in OpenAI's shape
        raise api_error(exc, lang) from None
    request, _asked = build_request(prepared, question, history, identifiers=service.settings.identifier_assist)
    options = checked.stream_options or StreamOptions()
    return Call(request=request, generation=generation, stream=checked.stream, include_usage=options.include_usage,
                model=checked.model or service.model_name(), id=f"chatcmpl-{uuid.uuid4().hex}",
                created=int(time.time()), lang=lang)


def _read_messages(messages: list, service: Service, lang: str = "en"):
    """(documents, question, history) from OpenAI messages; the documents are read by _read_documents, within
    the request's budget."""
    pending: list[Part] = []
    turns: list[list[str]] = []  # [question, answer] pairs in order
    for number, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ApiError(400, Message("api.message_not_object", number=number), param="messages")
        role, content = message.get("role"), message.get("content")
        if role in ("system", "developer"):
            continue  # Glyph's prompt is fixed: the pages and the question
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(parts, list):
            raise ApiError(400, Message("api.content_kind", number=number), param="messages")
        texts = []
        for index, part in enumerate(parts):
            where = f"messages[{number}].content[{index}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind in ("file", "image_url") and role == "user":
                pending.append(part_data(part, kind, where, len(pending) + 1))  # nothing decoded yet
            else:
                raise ApiError(400, Message("api.part_kind", where=where, kind=repr(kind), role=repr(role)),
                               param="messages")
        text = "\n".join(t for t in texts if t.strip())
        if role == "user":
            turns.append([text, ""])
        elif role == "assistant":
            if not turns or turns[-1][1]:
                raise ApiError(400, Message("api.assistant_first", number=number), param="messages")
            turns[-1][1] = text
        else:
            raise ApiError(400, Message("api.unknown_role", number=number, role=repr(role)), param="messages")
    if not turns or turns[-1][1] or not turns[-1][0].strip():
        raise ApiError(400, Message("api.no_question"), param="messages")
    if not pending:
        raise ApiError(400, Message("api.no_document"), param="messages")
    history = tuple((q, a) for q, a in turns[:-1] if q.strip())
    return _read_documents(pending, service.settings, lang), turns[-1][0], history


def _read_documents(pending: list[Part], settings: Settings, lang: str = "en") -> list:
    """The parts as Documents, each budget checked before the work it bounds: the pictures against the page
    limit before anything is decoded; each part's and all parts' declared size against --max-upload-mb before
    any base64 is decoded; the pictures (counted again, by content) and their pixels, from their headers, before
    any pixel is decoded; then the image pages read so far (pictures and scans) after each document.

    Figures (documents.figures) give way to the page limit rather than have the request refused: each part's are
    kept within the pages the parts before it take (their image pages, and their text at figures'
    TEXT_CHARS_PER_PAGE estimate) and a page for each part still to come; a part that still comes out over
    that (its own text pages are known only once it is read) is read again with room for fewer figures."""
    from glyph_web.documents import ImagePart, image_pages, is_image, load_bytes, too_many_image_pages
    from glyph_web.documents.figures import TEXT_CHARS_PER_PAGE
    from glyph_web.documents.images import image_size

    def estimated_pages(doc) -> int:  # as figures.fit counts them: image pages, and text by its length
        return sum(1 if isinstance(p, ImagePart) else -(-len(p.text) // TEXT_CHARS_PER_PAGE) for p in doc.parts)

    def figures(doc) -> int:  # image pages that are figures of a PDF or a Word file
        return sum(isinstance(p, ImagePart) and getattr(p.label, "key", None) in (
            "documents.figure_label", "documents.picture_label") for p in doc.parts)

    limits = settings.limits()
    pictures = sum(part.picture for part in pending)
    if pictures > limits.max_pages:
        raise _too_many_pictures(pictures, limits.max_pages)
    total = 0
    for part in pending:
        size = part.declared_bytes
        if size > limits.max_upload_bytes:
            raise ApiError(413, Message("api.part_too_large", where=part.where, name=part.name, size=size / MB,
                                        limit=limits.max_upload_mb), code="file_too_large")
        total += size
    if total > limits.max_upload_bytes:
        raise ApiError(413, Message("api.documents_too_large", size=total / MB, limit=limits.max_upload_mb),
                       code="request_too_large")
    blobs = [part_bytes(part) for part in pending]
    images = [blob for blob in blobs if is_image(blob[:1024])]  # what load_bytes will read as pictures
    if len(images) > limits.max_pages:
        raise _too_many_pictures(len(images), limits.max_pages)
    pixels = sum(w * h for w, h in filter(None, map(image_size, images)))
    most = int(settings.request_max_megapixels * 1_000_000)
    if pixels > most:
        raise ApiError(413, Message("api.too_many_pixels", pixels=pixels / 1e6, limit=settings.request_max_megapixels),
                       code="request_too_large")
    del images
    docs, pages, taken = [], 0, 0  # image pages read; estimated pages of the parts read
    for index, part in enumerate(pending):
        blob, blobs[index] = blobs[index], b""  # each upload's bytes go once it is read
        to_come = len(pending) - index - 1  # a page at least for each later part (a picture is one)
        try:
            doc = load_bytes(blob, part.name, limits, pages=part.pages, room=limits.max_pages - taken - to_come)
            over = taken + estimated_pages(doc) + to_come - limits.max_pages
            if over > 0 and figures(doc):  # each figure left out saves a page at least
                doc = load_bytes(blob, part.name, limits, pages=part.pages, room=image_pages(doc) - over)
        except GlyphError as exc:
            raise api_error(exc, lang, where=part.where) from None
        docs.append(doc)
        taken += estimated_pages(doc)
        pages += image_pages(doc)
        if pages > limits.max_pages:  # scanned PDF pages too: stop before reading more
            exc = too_many_image_pages(pages, limits, Message("documents.request_documents"),
                                       at_least=index + 1 < len(pending))
            raise ApiError(400, exc, code="too_many_pages")
    return docs


def _too_many_pictures(count: int, limit: int) -> ApiError:
    return ApiError(400, Message("api.too_many_pictures", count=count, limit=limit), param="messages",
                    code="too_many_pages")


class Slot:
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


def generate(service: Service, call: Call, slot: Slot, started: float) -> Iterator:
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


def collect(call: Call, events) -> dict:
    answer, thinking, usage = [], [], None
    try:
        for event in events:
            if event.kind == "text":
                answer.append(event.text)
            elif event.kind == "thinking":
                thinking.append(event.text)
            elif event.kind == "done":
                usage = event.usage
    except Exception as exc:  # a prompt that does not fit is a 400, a failure a 500, both in OpenAI's shape
        raise api_error(exc, call.lang) from None
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


def sse(call: Call, events) -> Iterator[str]:
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
    except Exception as exc:  # the status line has gone out: the error travels as an event, then [DONE]
        yield f"data: {json.dumps(api_error(exc, call.lang).body(call.lang), ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
        return
    yield chunk({}, _FINISH.get(usage.finish_reason if usage else "stop", "stop"))
    if usage is not None and call.include_usage:
        yield chunk(None, usage=usage)
    yield "data: [DONE]\n\n"
