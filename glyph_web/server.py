"""One ASGI app on one port: the Gradio page at /, and /healthz and /readyz for probes.

`create_app(settings)` builds it (the model starts loading in the background, so the page opens at once and
the status line tells the truth); `serve(settings)` runs it with uvicorn. Logs go to the console and to
<log_dir>/glyph_web.log, rotated.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from glyph_web.settings import Settings

logger = logging.getLogger(__name__)

LOG_FILE = "glyph_web.log"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def make_backend(settings: Settings):
    if settings.backend == "openai":
        from glyph_web.backends.openai import OpenAIBackend

        return OpenAIBackend(settings.api_base, settings.api_model or settings.model, settings.backend_api_key)
    from glyph_web.backends import LocalBackend

    return LocalBackend(settings.model_manager())


def create_app(settings: Settings, backend=None, *, start: bool = True):
    """(FastAPI app, backend): the UI mounted at / beside the API (/v1), the probes and /metrics."""
    import gradio as gr
    from fastapi import FastAPI, Response

    from glyph_web.access import Admission, Credentials, RateLimiter
    from glyph_web.api import Service, build_router
    from glyph_web.chat import Library
    from glyph_web.metrics import Metrics
    from glyph_web.ui.app import build_ui

    backend = backend or make_backend(settings)
    credentials = Credentials.from_settings(settings.auth, settings.api_key)
    library = Library(settings.limits())
    metrics = Metrics()
    metrics.watch_page_cache(library.page_cache)
    service = Service(settings=settings, backend=backend, library=library, metrics=metrics,
                      admission=Admission(settings.gpu_concurrency, settings.queue_size),
                      limiter=RateLimiter(settings.rate_limit), credentials=credentials)
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
    demo = build_ui(backend, settings, library)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.gpu_concurrency)
    auth = credentials.check_user if credentials.users else None
    app = gr.mount_gradio_app(app, demo, path="/", max_file_size=int(settings.max_upload_mb * 2**20),
                              show_error=False, css=_css(), auth=auth)
    if start:
        backend.start()
    return app, backend


def _readiness(backend):
    """200 with the model's state when it can answer, else 503 with the reason."""
    from fastapi.responses import JSONResponse

    state = backend.state()
    body = {"status": state.status, "model": state.model, "device": state.device, "precision": state.precision,
            "detail": state.detail}
    return JSONResponse(body, status_code=200 if state.ready else 503)


def _css() -> str:
    from glyph_web.ui.app import CSS

    return CSS


def exposure_warning(settings: Settings) -> str | None:
    """The warning for a server that listens beyond loopback without a login, or None."""
    if settings.host in LOOPBACK or settings.auth:
        return None
    partly = " (the API needs the key, the page does not)" if settings.api_key else ""
    return (f"listening on {settings.host} without authentication: anyone who can reach this machine can use the "
            f"app{partly}; set GLYPH_AUTH=user:password (and GLYPH_API_KEY for API clients), or use --host "
            "127.0.0.1 to keep it local")


def serve(settings: Settings) -> int:
    """Run the app until interrupted."""
    import uvicorn

    log_path = setup_logging(settings.log_dir)
    warning = exposure_warning(settings)
    if warning:
        logger.warning("%s", warning)
    if settings.share:
        return _serve_shared(settings, log_path)
    app, _backend = create_app(settings)
    shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    logger.info("glyph-web on http://%s:%d (model %s; log %s)", shown, settings.port, settings.model, log_path)
    print(f"glyph-web: open http://{shown}:{settings.port} in a browser", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)
    return 0


def _serve_shared(settings: Settings, log_path: Path) -> int:
    """--share: Gradio's own server, which can open the public link, with the probe routes added to it (the
    page only: the /v1 API and /metrics are served by the normal path)."""
    from fastapi.routing import APIRoute

    from glyph_web.chat import Library
    from glyph_web.ui.app import build_ui

    backend = make_backend(settings)
    demo = build_ui(backend, settings, Library(settings.limits()))
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.gpu_concurrency)
    backend.start()
    from glyph_web.access import Credentials

    credentials = Credentials.from_settings(settings.auth, settings.api_key)
    demo.launch(server_name=settings.host, server_port=settings.port, share=True, prevent_thread_lock=True,
                max_file_size=int(settings.max_upload_mb * 2**20), show_error=False, css=_css(),
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
