"""The API's routes: POST /v1/chat/completions and GET /v1/models, dispatch only (auth, rate limit, the body,
then serving), beside the page on the same server. No torch, no gradio.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from fastapi import Request  # at module level: FastAPI resolves the routes' (string) annotations here

from glyph_web.api.access import Busy, client_address, retry_after
from glyph_web.api.protocol import MB, ApiError, api_error, parse_json, request_language
from glyph_web.api.serving import Service, Slot, collect, generate, prepare_call, sse
from glyph_web.errors import Message

logger = logging.getLogger(__name__)


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
                raise ApiError(429, Message("api.too_many_failures", seconds=retry_after(wait)), "rate_limit_error",
                               "too_many_failures", headers={"Retry-After": retry_after(wait)})
            principal = service.credentials.principal(request.headers.get("authorization"))
            if principal is None:
                service.failures.failed(address)
                raise ApiError(401, Message("api.bad_key"), "authentication_error", "invalid_api_key",
                               headers={"WWW-Authenticate": 'Bearer realm="glyph-web"'})
            service.failures.succeeded(address)
        wait = service.limiter.allow(principal or address)
        if wait:
            raise ApiError(429, Message("api.rate_limited", rate=service.settings.rate_limit,
                                        seconds=retry_after(wait)), "rate_limit_error", "rate_limit_exceeded",
                           headers={"Retry-After": retry_after(wait)})

    def counted(route: str, response):
        service.metrics.requests.labels(route, str(response.status_code)).inc()
        return response

    @router.get("/v1/models")
    def models(request: Request):
        lang = request_language(request.headers.get("accept-language"))
        try:
            guard(request)
        except ApiError as exc:
            return counted("/v1/models", exc.response(lang))
        body = {"object": "list", "data": [{"id": service.model_name(), "object": "model", "created": 0,
                                            "owned_by": "glyph-web"}]}
        return counted("/v1/models", JSONResponse(body))

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        route = "/v1/chat/completions"
        started = time.perf_counter()
        lang = request_language(request.headers.get("accept-language"))
        try:
            guard(request)
            require_json(request)
            body = await read_body(request, service.body_limit)
            payload = parse_json(body)
            state = service.backend.state()
            if not state.ready:
                raise ApiError(503, Message("api.not_ready", status=state.status,
                                            detail=state.detail or Message("api.loading")), "server_error",
                               "model_not_ready", headers={"Retry-After": "10"})
            call = await run_in_threadpool(prepare_call, service, payload, lang)
            stop = threading.Event()
            try:
                await run_in_threadpool(service.admission.enter, stop)
            except Busy as exc:
                raise ApiError(429, exc.args[0], "rate_limit_error", "queue_full",
                               headers={"Retry-After": "5"})
        except Exception as exc:  # the one mapping: refusals keep their status, a bug is a logged 500
            return counted(route, api_error(exc, lang).response(lang))
        slot = Slot(service.admission, stop)
        events = generate(service, call, slot, started)
        if call.stream:
            from starlette.background import BackgroundTask

            # the first event before the status line: a prompt that does not fit is still a 400
            try:
                first = await run_in_threadpool(next, events, None)
            except Exception as exc:
                slot.release()
                return counted(route, api_error(exc, lang).response(lang))
            # the slot is also released after the response, should the stream never have started
            return counted(route, StreamingResponse(sse(call, _after(first, events)), media_type="text/event-stream",
                                                    headers={"Cache-Control": "no-cache"},
                                                    background=BackgroundTask(slot.release)))
        watcher = asyncio.ensure_future(stop_on_disconnect(request, slot))
        try:
            result = await run_in_threadpool(collect, call, events)
        except Exception as exc:
            return counted(route, api_error(exc, lang).response(lang))
        finally:
            watcher.cancel()
        return counted(route, JSONResponse(result))

    return router


def _after(first, events):
    """The events again, the first one (already taken) included."""
    if first is not None:
        yield first
    yield from events


def require_json(request) -> None:
    """Only JSON bodies: a cross-site HTML form can send text/plain or form data without a preflight, never
    application/json, so this keeps other sites' pages from starting generations."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, Message("api.json_only"), code="unsupported_media_type")


async def stop_on_disconnect(request, slot: Slot, every_s: float = 0.25) -> None:
    """A non-streaming request whose client went away stops its generation (a stream stops when its writes
    fail); polled, since the answer is being computed in a worker thread meanwhile."""
    while not slot.stop.is_set():
        if await request.is_disconnected():
            logger.info("client gone: stopping its answer")
            slot.stop.set()
            return
        await asyncio.sleep(every_s)


async def read_body(request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = ApiError(413, Message("api.request_too_large", limit=limit // MB), code="request_too_large")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
