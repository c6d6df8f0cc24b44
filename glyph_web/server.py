"""One ASGI app on one port: the Gradio page at /, and /healthz and /readyz for probes.

`create_app(settings)` builds it (the model starts loading in the background, so the page opens at once and
the status line tells the truth); `serve(settings)` runs it with uvicorn. Logs go to the console and to
<log_dir>/glyph_web.log, rotated, with control characters escaped (a file name cannot forge a log line).

Every response says it may not be framed by another site and that its type is not to be guessed; failed
page logins are throttled per client address like failed API keys. Beyond loopback there is always a login:
without GLYPH_AUTH, `serve` makes a random password and prints it (GLYPH_AUTH=off opens the app, loudly).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import signal
import sys
from dataclasses import replace
from pathlib import Path

from glyph_web.settings import Settings

logger = logging.getLogger(__name__)

LOG_FILE = "glyph_web.log"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


class _SafeFormatter(logging.Formatter):
    """Escapes control characters in the message (a newline in a file name would start a forged line); a
    traceback, added after the message, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"),
                            super().formatMessage(record))


def setup_logging(log_dir: str | Path, level: int = logging.INFO) -> Path:
    """Console and a rotated file (5 MB x 3); returns the file's path."""
    folder = Path(log_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):  # ours from an earlier call, or the CLI's stderr-only default
        root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 2**20, backupCount=3, encoding="utf-8")
    console = logging.StreamHandler(sys.stderr)
    for handler in (file_handler, console):
        handler.setFormatter(_SafeFormatter(LOG_FORMAT))
        root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def create_app(settings: Settings, backend=None, *, start: bool = True):
    """(FastAPI app, backend): the UI mounted at / beside the API (/v1), the probes and /metrics."""
    from fastapi import FastAPI, Response

    from glyph_web.api.access import Admission, Credentials, FailureThrottle, RateLimiter, parse_proxies
    from glyph_web.api.metrics import Metrics
    from glyph_web.api.routes import build_router
    from glyph_web.api.serving import Service
    from glyph_web.backends import make_backend
    from glyph_web.chat import Library
    from glyph_web.ui.app import build_ui, mount_page

    backend = backend or make_backend(settings)
    credentials = Credentials.from_settings(settings.auth, settings.api_key)
    library = Library(settings.limits(), cache_mb=settings.cache_mb)
    metrics = Metrics()
    metrics.watch_page_cache(library.page_cache)
    failures = FailureThrottle()
    proxies = parse_proxies(settings.trusted_proxies)
    admission = Admission(settings.gpu_concurrency, settings.queue_size)  # the one gate: page and API
    service = Service(settings=settings, backend=backend, library=library, metrics=metrics, admission=admission,
                      limiter=RateLimiter(settings.rate_limit), credentials=credentials, failures=failures,
                      proxies=proxies)
    app = FastAPI(title="glyph-web", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        return _readiness(backend)

    @app.get("/metrics")
    def metrics_route():
        return Response(metrics.render(backend, service.admission), media_type=metrics.content_type)

    app.include_router(build_router(service))
    app = mount_page(app, build_ui(backend, settings, library, admission), settings,
                     auth=credentials.check_user if credentials.users else None)
    app.add_middleware(_Guard, failures=failures, proxies=proxies)
    if start:
        backend.start()
    return app, backend


_HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


class _Guard:
    """ASGI middleware: security headers on every response; failed page logins throttled per address."""

    def __init__(self, app, failures, proxies: tuple):
        self.app, self.failures, self.proxies = app, failures, proxies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        login = scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/login")
        address = None
        if login:
            from glyph_web.api.access import client_address, retry_after

            headers = dict(scope.get("headers") or [])
            forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1") or None
            address = client_address((scope.get("client") or (None,))[0], forwarded, self.proxies)
            wait = self.failures.wait(address)
            if wait:
                from glyph_web.api.protocol import request_language
                from glyph_web.errors import message

                lang = request_language(headers.get(b"accept-language", b"").decode("latin-1"))
                said = message("api.too_many_failures", lang, seconds=retry_after(wait))
                body = json.dumps({"detail": said}, ensure_ascii=False).encode()
                await send({"type": "http.response.start", "status": 429,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"retry-after", retry_after(wait).encode()), *_HEADERS]})
                await send({"type": "http.response.body", "body": body})
                return
        status = {}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                names = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *(h for h in _HEADERS if h[0] not in names)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if login:
            if status.get("code") == 200:
                self.failures.succeeded(address)
            elif status.get("code") in (400, 401, 403):
                self.failures.failed(address)
                logger.warning("failed page login from %s", address)


def _readiness(backend):
    """200 with the model's state when it can answer, else 503 with the reason."""
    from fastapi.responses import JSONResponse

    state = backend.state()
    body = {"status": state.status, "model": state.model, "device": state.device, "precision": state.precision,
            "detail": state.detail}
    return JSONResponse(body, status_code=200 if state.ready else 503)


def exposure_warning(settings: Settings) -> str | None:
    """The warning for a server that listens beyond loopback open to all (GLYPH_AUTH=off), or None."""
    from glyph_web.api.access import OPEN

    if settings.host in LOOPBACK or (settings.auth or "").strip().lower() != OPEN:
        return None
    partly = " (the API needs the key, the page does not)" if settings.api_key else ""
    return (f"GLYPH_AUTH=off: listening on {settings.host} WITHOUT A LOGIN: anyone who can reach this machine can "
            f"use the app{partly}; set GLYPH_AUTH=user:password (and GLYPH_API_KEY for API clients), or use "
            "--host 127.0.0.1 to keep it local")


def with_login(settings: Settings) -> tuple[Settings, str | None]:
    """Settings that require a login beyond loopback: a random one when none was given (and not 'off').
    Returns (settings, the generated user:password or None)."""
    from glyph_web.api.access import generated_login

    if settings.host in LOOPBACK or settings.auth:
        return settings, None
    login = generated_login()
    return replace(settings, auth=login), login


def serve(settings: Settings) -> int:
    """Run the app until interrupted."""
    import uvicorn

    log_path = setup_logging(settings.log_dir)
    settings, login = with_login(settings)
    if login:
        user, _, password = login.partition(":")
        shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
        notice = (f"listening on {settings.host} and no login was set (GLYPH_AUTH): sign in with user '{user}' "
                  f"and password '{password}' (made for this run; API clients: HTTP Basic with the same). Set "
                  f"GLYPH_AUTH=user:password to choose one, or GLYPH_AUTH=off to open the app to everyone.")
        logger.warning("%s", notice)
        print(f"glyph-web: login for http://{shown}:{settings.port}  user: {user}  password: {password}",
              file=sys.stderr, flush=True)
    warning = exposure_warning(settings)
    if warning:
        logger.warning("%s", warning)
    if settings.share:
        return _serve_shared(settings, log_path)
    app, _backend = create_app(settings)
    shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    logger.info("glyph-web on http://%s:%d (model %s; log %s)", shown, settings.port, settings.model, log_path)
    print(f"glyph-web: open http://{shown}:{settings.port} in a browser", file=sys.stderr, flush=True)
    # uvicorn shuts down on SIGTERM and then raises it again: with the default action the process would die
    # there without running its exit handlers (the temp folders' clean-up); exit through Python instead
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    # X-Forwarded-For is read by our own client_address, from --trusted-proxies only (uvicorn would trust it
    # from loopback by default)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5,
                proxy_headers=False)
    return 0


def _serve_shared(settings: Settings, log_path: Path) -> int:
    """--share: Gradio's own server, which can open the public link, with the probe routes added to it (the
    page only: the /v1 API and /metrics are served by the normal path)."""
    from fastapi.routing import APIRoute

    from glyph_web.backends import make_backend
    from glyph_web.chat import Library
    from glyph_web.ui.app import build_ui

    backend = make_backend(settings)
    from glyph_web.ui.app import CSS, HEAD, upload_cap

    demo = build_ui(backend, settings, Library(settings.limits(), cache_mb=settings.cache_mb))
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.gpu_concurrency)
    backend.start()
    from glyph_web.api.access import Credentials

    credentials = Credentials.from_settings(settings.auth, settings.api_key)
    demo.launch(server_name=settings.host, server_port=settings.port, share=True, prevent_thread_lock=True,
                max_file_size=upload_cap(settings), show_error=False, css=CSS, head=HEAD,
                auth=credentials.check_user if credentials.users else None)

    def healthz():
        return {"status": "ok"}

    def readyz():
        return _readiness(backend)

    for path, endpoint in (("/healthz", healthz), ("/readyz", readyz)):
        demo.app.router.routes.insert(0, APIRoute(path, endpoint, methods=["GET"]))
    logger.info("glyph-web shared at %s (log %s)", demo.share_url, log_path)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0
